"""Agency changes made by an administrator: checked, flushed and logged, never committed.

Deactivating an agency keeps everything it did (plans, advice, audits, figures, letters) and
leaves its accounts alone (the Users page ends them). It is refused while the agency still
has something to do in the partnership: a letter waiting for its response, or plans or
advice in the sample of an open cycle; close the cycle or record the response first.
"""

from __future__ import annotations

from datetime import date

from qa_app import audit_log
from qa_app.agencies.queries import TYPE_WORDS, letters_awaiting_response, open_cycles_sampling
from qa_app.extensions import db
from qa_app.register.models import Agency, AgencyType
from qa_app.register.operations import RegisterError, add_agency, agency_called

NAME_LENGTH = 200


class AgencyError(RegisterError):
    """An agency change was refused; the message says why."""


def clean_name(name: str | None) -> str:
    return " ".join((name or "").split())


def check_name(name: str | None, *, agency_id: int | None = None) -> str:
    """The tidied name, if no other agency has it in any mix of capitals and spacing."""
    cleaned = clean_name(name)
    if not cleaned:
        raise AgencyError("Enter the agency's name", "name")
    if len(cleaned) > NAME_LENGTH:
        raise AgencyError(f"The name can be at most {NAME_LENGTH} characters", "name")
    taken = agency_called(cleaned, other_than=agency_id)
    if taken is not None:
        raise AgencyError(f"There is already an agency called {taken.name}: choose another "
                          "name", "name")
    return cleaned


def check_type(agency_type: str | None) -> str:
    try:
        return AgencyType(agency_type or "").value
    except ValueError:
        raise AgencyError("Choose the type of agency", "type") from None


def add(name: str | None, agency_type: str | None, *, actor_id: int) -> Agency:
    """The same add as `ehcp-qa agencies add`, with the name checked in any capitals."""
    cleaned, kind = check_name(name), check_type(agency_type)
    return add_agency(cleaned, kind, actor_id=actor_id)


def rename(agency: Agency, name: str | None, *, actor_id: int) -> bool:
    """True if the name changed. Imports match agencies by name, so the log keeps the old one."""
    cleaned = check_name(name, agency_id=agency.id)
    if cleaned == agency.name:
        return False
    before, agency.name = agency.name, cleaned
    db.session.flush()
    audit_log.record("agency.rename", "agency", agency.id,
                     changes={"name": [before, cleaned]}, user_id=actor_id)
    return True


def change_type(agency: Agency, agency_type: str | None, *, actor_id: int) -> bool:
    kind = check_type(agency_type)
    if kind == agency.type:
        return False
    before, agency.type = agency.type, kind
    db.session.flush()
    audit_log.record("agency.change_type", "agency", agency.id,
                     changes={"type": [TYPE_WORDS[before], TYPE_WORDS[kind]]}, user_id=actor_id)
    return True


def deactivation_refusals(agency: Agency, today: date) -> list[str]:
    """Why the agency cannot be deactivated now; empty when it can."""
    reasons = []
    waiting = letters_awaiting_response(agency.id, today)
    if waiting:
        reasons.append(
            f"{waiting} letter{'s' if waiting != 1 else ''} to {agency.name} "
            f"{'are' if waiting != 1 else 'is'} waiting for the agency's response. Record "
            "the response first (an agency lead sends it).")
    for cycle_name in open_cycles_sampling(agency.id):
        reasons.append(f"{cycle_name} is open and its sample holds plans or advice from "
                       f"{agency.name}. Close the cycle first.")
    return reasons


def deactivate(agency: Agency, *, actor_id: int, today: date) -> None:
    if not agency.active:
        raise AgencyError(f"{agency.name} is already inactive")
    refusals = deactivation_refusals(agency, today)
    if refusals:
        raise AgencyError(refusals[0])
    agency.active = False
    db.session.flush()
    audit_log.record("agency.deactivate", "agency", agency.id,
                     changes={"active": [True, False]}, user_id=actor_id)


def reactivate(agency: Agency, *, actor_id: int) -> None:
    if agency.active:
        raise AgencyError(f"{agency.name} is already active")
    agency.active = True
    db.session.flush()
    audit_log.record("agency.reactivate", "agency", agency.id,
                     changes={"active": [False, True]}, user_id=actor_id)
