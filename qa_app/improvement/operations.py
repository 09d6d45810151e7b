"""Changes to an improvement action: owner, due date, notes, asking to close, closing anyway.

Each change is flushed, never committed, and written to the audit log. A rule that refuses a
change raises RuleError and leaves the action as it was.
"""

from __future__ import annotations

from datetime import date

from qa_app import audit_log
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.improvement.models import ImprovementNote
from qa_app.improvement.queries import CLOSED, CLOSING, OPEN
from qa_app.reporting.actions import Recovery, close, recovery
from qa_app.reporting.models import ImprovementAction
from qa_app.rules import RuleError
from qa_app.standards.targets import Targets
from qa_app.timeutil import utcnow

RECORD = "improvement_action"
NOTE_LIMIT = 5_000


def _not_closed(action: ImprovementAction) -> None:
    if action.status == CLOSED:
        raise RuleError("This action is closed: it cannot be changed.")


def _text(text: str | None, field: str, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise RuleError(missing, field)
    if len(text) > NOTE_LIMIT:
        raise RuleError(f"Write {NOTE_LIMIT:,} characters or fewer", field)
    return text


def assign(action: ImprovementAction, *, owner_id: int | None, due_date: date | None,
           actor_id: int | None) -> list[str]:
    """Set the owner (an active lead of the action's agency, or nobody) and the due date;
    returns what changed, in words, for the confirmation message."""
    _not_closed(action)
    changed: list[str] = []
    owner = None
    if owner_id is not None:
        owner = db.session.get(User, owner_id)
        if (owner is None or owner.role != Role.AGENCY_LEAD.value or not owner.active
                or owner.agency_id != action.agency_id):
            raise RuleError("Choose one of this agency's leads as the owner", "owner_id")
    if owner_id != action.owner_id:
        audit_log.record("improvement_action.owner_assigned", RECORD, action.id,
                         changes={"owner_id": [action.owner_id, owner_id],
                                  "owner": [_name(action.owner_id),
                                            owner.display_name if owner else None]},
                         user_id=actor_id)
        action.owner_id = owner_id
        changed.append("owner")
    if due_date != action.due_date:
        audit_log.record("improvement_action.due_date_set", RECORD, action.id,
                         changes={"due_date": [_iso(action.due_date), _iso(due_date)]},
                         user_id=actor_id)
        action.due_date = due_date
        changed.append("due date")
    db.session.flush()
    return changed


def _name(user_id: int | None) -> str | None:
    found = db.session.get(User, user_id) if user_id is not None else None
    return found.display_name if found else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def add_note(action: ImprovementAction, text: str | None, *, actor_id: int) -> ImprovementNote:
    _not_closed(action)
    note = ImprovementNote(action_id=action.id, author_id=actor_id, kind="note",
                           text=_text(text, "text", "Enter your note"), written_at=utcnow())
    db.session.add(note)
    db.session.flush()
    audit_log.record("improvement_action.note", RECORD, action.id, changes={"note_id": note.id},
                     reason=note.text, user_id=actor_id)
    return note


def check_close_note(text: str | None) -> str:
    """The note asking to close, as it will be kept (refused when empty or too long)."""
    return _text(text, "note", "Enter what changed, so the action can be closed")


def check_close_reason(text: str | None) -> str:
    return _text(text, "reason", "Enter why the action is closed although the figure has "
                                 "not recovered")


def request_close(action: ImprovementAction, note: str | None, *, actor_id: int,
                  targets: Targets, as_of: date) -> Recovery:
    """Ask to close: the action waits for confirmation, which comes at once when the figure
    has already recovered, else at the recalculation that finds it recovered."""
    if action.status != OPEN:
        raise RuleError("Only an open action can be asked to close.")
    text = check_close_note(note)
    now = utcnow()
    action.status = CLOSING
    action.close_requested_at = now
    action.close_requested_by_id = actor_id
    action.close_request_note = text
    db.session.add(ImprovementNote(action_id=action.id, author_id=actor_id,
                                   kind="close_request", text=text, written_at=now))
    db.session.flush()
    audit_log.record("improvement_action.close_requested", RECORD, action.id,
                     changes={"status": [OPEN, CLOSING]}, reason=text, user_id=actor_id)
    found = recovery(action, targets, as_of)
    if found.recovered:
        close(action, found.text)
        db.session.flush()
    return found


def close_anyway(action: ImprovementAction, reason: str | None, *, actor_id: int) -> None:
    """The manager closes an action whose figure has not recovered, saying why."""
    _not_closed(action)
    text = check_close_reason(reason)
    was = action.status
    now = utcnow()
    action.status = CLOSED
    action.closed_at = now
    action.closed_by_id = actor_id
    action.closing_note = text
    db.session.add(ImprovementNote(action_id=action.id, author_id=actor_id, kind="closed",
                                   text=text, written_at=now))
    db.session.flush()
    audit_log.record("improvement_action.closed_by_manager", RECORD, action.id,
                     changes={"status": [was, CLOSED]}, reason=text, user_id=actor_id)

