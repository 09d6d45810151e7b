"""The agency's formal response: one row per change, saved as a draft, checked, then sent.

The letter asks who owns each change and by when, so each row has what will change, an
owner and a date after the day it is written. A draft can be saved incomplete and changed
until it is sent; once sent it is permanent (the rows also refuse changes on flush).
Every function flushes and writes the audit log; the caller commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from qa_app import audit_log
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.letters.document import long_date
from qa_app.letters.errors import LetterError
from qa_app.letters.models import Letter, LetterResponse, LetterResponseChange
from qa_app.text import clean_text
from qa_app.timeutil import utcnow

CHANGE_LIMIT = 2_000
OWNER_LIMIT = 200
MOST_ROWS = 20


@dataclass(frozen=True)
class ChangeRow:
    """One change as typed: any part may still be blank in a draft."""

    change: str = ""
    owner: str = ""
    complete_by: date | None = None

    @property
    def blank(self) -> bool:
        return not (self.change.strip() or self.owner.strip() or self.complete_by)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row: `index` counts from 0, `field` names the box."""

    index: int
    field: str
    message: str


class ResponseError(LetterError):
    """The response cannot be saved or sent; `problems` says which boxes of which rows."""

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


def cleaned(rows: Sequence[ChangeRow]) -> list[ChangeRow]:
    """Text kept the one way, and rows left entirely blank dropped."""
    kept = [ChangeRow(clean_text(r.change).strip(), " ".join(clean_text(r.owner).split()),
                      r.complete_by) for r in rows]
    return [row for row in kept if not row.blank]


def row_problems(rows: Sequence[ChangeRow], today: date, *, complete: bool
                 ) -> list[RowProblem]:
    """Every rule a row breaks. A draft may leave boxes blank (`complete=False`); what is
    typed must still fit, and a date must be after `today`."""
    found: list[RowProblem] = []
    for index, row in enumerate(rows):
        n = index + 1
        if complete and not row.change:
            found.append(RowProblem(index, "change", f"Enter what will change for change {n}"))
        if len(row.change) > CHANGE_LIMIT:
            found.append(RowProblem(index, "change", f"Change {n} must be {CHANGE_LIMIT:,} "
                                    "characters or fewer"))
        if complete and not row.owner:
            found.append(RowProblem(index, "owner", f"Enter who owns change {n}"))
        if len(row.owner) > OWNER_LIMIT:
            found.append(RowProblem(index, "owner", f"Who owns change {n} must be "
                                    f"{OWNER_LIMIT} characters or fewer"))
        if complete and row.complete_by is None:
            found.append(RowProblem(index, "complete_by",
                                    f"Enter the date change {n} will be done by"))
        if row.complete_by is not None and row.complete_by <= today:
            found.append(RowProblem(index, "complete_by", f"The date for change {n} must be "
                                    f"after today ({long_date(today)})"))
    return found


def answerable(letter_id: int, actor_id: int) -> LetterResponse:
    """The response this agency lead may still write, or LetterError saying why not."""
    from qa_app.letters.operations import latest_issued

    letter = db.session.get(Letter, letter_id)
    user = db.session.get(User, actor_id)
    if letter is None or not letter.is_issued or letter.response is None:
        raise LetterError("only an issued letter can be answered")
    if user is None or user.role != Role.AGENCY_LEAD or user.agency_id != letter.agency_id:
        raise LetterError("only the lead of the agency the letter is addressed to can answer it")
    newest = latest_issued(letter.agency_id, letter.cycle_id)
    if newest is not None and newest.id != letter.id:
        raise LetterError(f"this letter has been replaced by {newest.reference}: answer that one")
    response = letter.response
    if response.submitted_at is not None:
        raise LetterError(f"the response was already submitted on "
                          f"{long_date(response.submitted_at.date())}")
    return response


def draft_rows(response: LetterResponse) -> list[ChangeRow]:
    return [ChangeRow(r.change, r.owner, r.complete_by) for r in response.planned_changes]


def save_draft(letter_id: int, *, actor_id: int, rows: Sequence[ChangeRow],
               today: date | None = None, now: datetime | None = None) -> LetterResponse:
    """Keep what the lead has typed so far, replacing the earlier draft's rows. A draft is
working state, so only the sent response goes in the audit log."""
    response = answerable(letter_id, actor_id)
    kept = cleaned(rows)
    if len(kept) > MOST_ROWS:
        raise ResponseError(f"A response can list up to {MOST_ROWS} changes")
    found = row_problems(kept, today or date.today(), complete=False)
    if found:
        raise ResponseError("Check the changes", found)
    response.planned_changes.clear()
    db.session.flush()
    response.planned_changes.extend(
        LetterResponseChange(position=n, change=r.change, owner=r.owner, complete_by=r.complete_by)
        for n, r in enumerate(kept, start=1))
    response.draft_saved_at = now or utcnow()
    db.session.flush()
    return response


def draft_digest(response: LetterResponse) -> str:
    """A fingerprint of the draft as the check page shows it: sending what was not checked
    (a change saved in another tab since) is refused."""
    rows = [[r.change, r.owner, r.complete_by.isoformat() if r.complete_by else None]
            for r in response.planned_changes]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def sending_problems(response: LetterResponse, today: date) -> list[RowProblem]:
    """What must be put right before the draft can be sent (none: it is ready)."""
    rows = draft_rows(response)
    if not rows:
        return [RowProblem(0, "change", "Enter at least one change your agency will make")]
    return row_problems(rows, today, complete=True)


def send_response(letter_id: int, *, actor_id: int, checked: str, now: datetime | None = None,
                  today: date | None = None) -> LetterResponse:
    """Send the checked draft: from now on it is permanent. Accepted after the due date too,
    and flagged late."""
    response = answerable(letter_id, actor_id)
    if checked != draft_digest(response):
        raise ResponseError("The draft has changed since you checked it. Check it again, "
                            "then send it")
    sent_at = now or utcnow()
    found = sending_problems(response, today or (now.date() if now else date.today()))
    if found:
        raise ResponseError("The response is not ready to send", found)
    response.submitted_at = sent_at
    response.submitted_by_id = actor_id
    db.session.flush()
    audit_log.record("letter.respond", "letter_response", response.id, user_id=actor_id,
                     changes={"letter": response.letter.reference, "late": response.submitted_late,
                              "due_date": response.due_date.isoformat(),
                              "rows": len(response.planned_changes),
                              "complete_by": [r.complete_by.isoformat()
                                              for r in response.planned_changes
                                              if r.complete_by]})
    return response


def submit_response(letter_id: int, *, actor_id: int, rows: Sequence[ChangeRow],
                    now: datetime | None = None) -> LetterResponse:
    """Save and send in one step, for a command or the demo: the same rules as the pages."""
    today = now.date() if now else date.today()
    response = save_draft(letter_id, actor_id=actor_id, rows=rows, today=today, now=now)
    return send_response(letter_id, actor_id=actor_id, checked=draft_digest(response), now=now,
                         today=today)

