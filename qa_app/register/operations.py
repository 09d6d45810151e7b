"""Writes to the register: add and flush, log, never commit."""

from __future__ import annotations

from sqlalchemy import select

from qa_app import audit_log
from qa_app.extensions import db
from qa_app.register.models import Advice, AdviceException, Agency, AgencyType, Plan, PlanException
from qa_app.rules import RuleError


class RegisterError(RuleError):
    """A register change was refused; the message says why."""


def agency_name_key(name: str) -> str:
    """An agency name as duplicates are refused and imports match it: any capitals, any
    spacing ("Health Trust" and "health  trust " are the same agency)."""
    return " ".join(name.casefold().split())


def agency_called(name: str, *, other_than: int | None = None) -> Agency | None:
    """The agency with this name in any capitals and spacing (other than `other_than`)."""
    wanted = agency_name_key(name)
    query = select(Agency).order_by(Agency.id)
    if other_than is not None:
        query = query.where(Agency.id != other_than)
    return next((agency for agency in db.session.scalars(query)
                 if agency_name_key(agency.name) == wanted), None)


def add_agency(name: str, agency_type: str, *, actor_id: int | None = None) -> Agency:
    name = " ".join(name.split())
    if not name:
        raise RegisterError("An agency needs a name")
    if len(name) > 200:
        raise RegisterError("An agency name can be at most 200 characters")
    try:
        kind = AgencyType(agency_type)
    except ValueError:
        known = ", ".join(t.value for t in AgencyType)
        raise RegisterError(
            f"Unknown agency type {agency_type!r}; choose one of: {known}"
        ) from None
    taken = agency_called(name)
    if taken is not None:
        raise RegisterError(f"An agency called {taken.name!r} already exists (names are "
                            "compared ignoring capitals and spaces)")
    agency = Agency(name=name, type=kind.value)
    db.session.add(agency)
    db.session.flush()
    audit_log.record("agency.create", "agency", agency.id,
                     changes={"name": name, "type": kind.value}, user_id=actor_id)
    return agency


def set_advice_exception(
    advice: Advice, exception: str | None, note: str | None, *, actor_id: int | None
) -> bool:
    """Record or clear a statutory exception to the six-week deadline; True if it changed."""
    return _set_exception(advice, AdviceException, exception, note, "advice", actor_id)


def set_plan_exception(
    plan: Plan, exception: str | None, note: str | None, *, actor_id: int | None
) -> bool:
    """Record or clear a statutory exception to the 20-week time limit (SEND Regs 2014
    reg. 13(3)); True if it changed. The 20-week measure is then reported with and without
    the plans that have one."""
    return _set_exception(plan, PlanException, exception, note, "plan", actor_id)


def _set_exception(record: Advice | Plan, reasons: type[AdviceException] | type[PlanException],
                   exception: str | None, note: str | None, kind: str,
                   actor_id: int | None) -> bool:
    if exception:
        try:
            exception = reasons(exception).value
        except ValueError:
            raise RegisterError(f"Unknown statutory exception {exception!r}") from None
        note = (note or "").strip()
        if not note:
            raise RegisterError("Give the reason the exception applies")
        if len(note) > 2000:
            raise RegisterError("Reason must be 2,000 characters or fewer")
    else:
        exception, note = None, None
    before = {"exception": record.exception, "exception_note": record.exception_note}
    after = {"exception": exception, "exception_note": note}
    if before == after:
        return False
    record.exception, record.exception_note = exception, note
    audit_log.record(f"{kind}.exception", kind, record.id, user_id=actor_id,
                     changes={"before": before, "after": after})
    return True
