"""Reading letters and responses: where each agency's letter stands, and the board pack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.letters.content import letterhead, previous_cycle
from qa_app.letters.document import (
    BoardEntry,
    BoardPack,
    LetterContent,
    PlannedChange,
    ResponseSheet,
)
from qa_app.letters.integrity import describe, problems
from qa_app.letters.models import Letter, LetterResponse
from qa_app.letters.working_days import working_days_between
from qa_app.standards.models import RubricVersion

DUE_SOON_WORKING_DAYS = 5


@dataclass(frozen=True)
class Status:
    key: str  # draft, issued, due, late, received, presented
    words: str
    colour: str  # a GOV.UK tag modifier

    def __str__(self) -> str:
        return self.words


def status_of(letter: Letter, today: date) -> Status:
    response = letter.response
    if not letter.is_issued or response is None:
        return Status("draft", "Draft", "grey")
    if response.presented_on:
        return Status("presented", "Presented to the board", "green")
    if response.submitted_at:
        late = " (late)" if response.submitted_late else ""
        return Status("received", f"Response received{late}", "blue")
    if today > response.due_date:
        return Status("late", "Response late", "red")
    if working_days_between(today, response.due_date) <= DUE_SOON_WORKING_DAYS:
        return Status("due", "Response due soon", "yellow")
    return Status("issued", "Issued: response not yet due", "light-blue")


@dataclass(frozen=True)
class TrackerRow:
    agency_name: str
    latest: Letter
    issued: Letter | None
    status: Status

    @property
    def shown(self) -> Letter:
        return self.issued or self.latest

    @property
    def pending_correction(self) -> Letter | None:
        return self.latest if self.issued and self.latest.id != self.issued.id else None


def cycles_newest_first() -> Sequence[Cycle]:
    return db.session.execute(
        select(Cycle).order_by(Cycle.start_date.desc(), Cycle.id.desc())
    ).scalars().all()


def cycle_tracker(cycle_id: int, today: date) -> list[TrackerRow]:
    """One row per agency: its newest version, and its newest issued version if any."""
    letters = db.session.execute(
        select(Letter).where(Letter.cycle_id == cycle_id)
        .options(selectinload(Letter.response), selectinload(Letter.agency))
        .order_by(Letter.agency_id, Letter.version)
    ).scalars().all()
    latest: dict[int, Letter] = {}
    issued: dict[int, Letter] = {}
    for letter in letters:
        latest[letter.agency_id] = letter
        if letter.is_issued:
            issued[letter.agency_id] = letter
    rows = [
        TrackerRow(letter.agency.name, letter, issued.get(agency_id),
                   status_of(issued.get(agency_id) or letter, today))
        for agency_id, letter in latest.items()
    ]
    return sorted(rows, key=lambda row: row.agency_name.casefold())


def issued_letters_for_agency() -> Sequence[Letter]:
    """Issued letters only; an agency lead's scoping limits them to her own agency."""
    return db.session.execute(
        select(Letter).join(Cycle, Cycle.id == Letter.cycle_id)
        .where(Letter.status == "issued")
        .options(selectinload(Letter.response), selectinload(Letter.cycle))
        .order_by(Cycle.start_date.desc(), Letter.version.desc())
    ).scalars().all()


def versions_of(letter: Letter) -> Sequence[Letter]:
    return db.session.execute(
        select(Letter).where(Letter.agency_id == letter.agency_id,
                             Letter.cycle_id == letter.cycle_id)
        .order_by(Letter.version)
    ).scalars().all()


def newer_issued(letter: Letter) -> Letter | None:
    return db.session.execute(
        select(Letter).where(Letter.agency_id == letter.agency_id,
                             Letter.cycle_id == letter.cycle_id, Letter.status == "issued",
                             Letter.version > letter.version)
        .order_by(Letter.version.desc()).limit(1)
    ).scalar_one_or_none()


def overdue_responses(as_of: date) -> list[tuple[str, str, date]]:
    """(agency, letter reference, due date) for every current letter whose response is late:
    for the nightly sweep and the manager's reminders."""
    rows = db.session.execute(
        select(Letter).join(LetterResponse, LetterResponse.letter_id == Letter.id)
        .where(Letter.status == "issued", LetterResponse.submitted_at.is_(None),
               LetterResponse.due_date < as_of)
        .options(selectinload(Letter.agency), selectinload(Letter.response))
        .order_by(LetterResponse.due_date, Letter.id)
    ).scalars().all()
    return [(letter.agency.name, letter.reference, letter.response.due_date)
            for letter in rows if newer_issued(letter) is None]


def response_sheet(letter: Letter, today: date) -> ResponseSheet:
    response = letter.response
    status = status_of(letter, today)
    if response is None:
        return ResponseSheet(letter.agency.name, letter.cycle.name, None, "Letter not issued")
    return ResponseSheet(
        agency_name=letter.agency.name, cycle_name=letter.cycle.name,
        reference=letter.reference, status=status.words, due_date=response.due_date,
        submitted_on=response.submitted_at.date() if response.submitted_at else None,
        late=response.submitted_late, changes=response.changes, owner=response.owner,
        complete_by=response.complete_by, presented_on=response.presented_on,
        planned=planned_changes(response) if response.submitted else (),
    )


def planned_changes(response: LetterResponse) -> tuple[PlannedChange, ...]:
    """The response's rows; a response sent with the single box reads as one row."""
    rows = tuple(PlannedChange(row.change, row.owner, row.complete_by)
                 for row in response.planned_changes)
    if rows or not response.changes:
        return rows
    return (PlannedChange(response.changes, response.owner or "", response.complete_by),)


class UnverifiedLetters(RuntimeError):
    """A board pack is refused while any letter it would quote fails its integrity check."""

    def __init__(self, failures: list[tuple[Letter, list[str]]]) -> None:
        self.failures = failures
        super().__init__("; ".join(describe(letter, found) for letter, found in failures))


def board_pack(cycle: Cycle, today: date) -> BoardPack:
    """Each agency's latest issued letter's figures and its response; drafts are listed as
    not yet issued. Every issued letter is checked first: figures whose stored content no
    longer matches its fingerprint never reach the board."""
    rows = cycle_tracker(cycle.id, today)
    failed = [(row.issued, found) for row in rows
              if row.issued is not None and (found := problems(row.issued))]
    if failed:
        raise UnverifiedLetters(failed)
    entries = []
    for row in rows:
        if row.issued is None:
            sheet = ResponseSheet(row.agency_name, cycle.name, None, "Letter not yet issued")
            entries.append(BoardEntry(row.agency_name, (), sheet))
            continue
        figures = LetterContent.from_json(row.issued.content or {}).facts.figures \
            if row.issued.content else ()
        entries.append(BoardEntry(row.agency_name, figures, response_sheet(row.issued, today)))
    before = previous_cycle(cycle)
    return BoardPack(cycle.id, cycle.name, before.name if before else None, letterhead().name,
                     today, tuple(entries))


@dataclass(frozen=True)
class Result:
    grade: FinalGrade
    reference: str
    kind: str
    grade_label: str


def _labels(body: dict[str, Any]) -> dict[int, str]:
    return {level["value"]: level["label"] for level in body.get("scale", [])}


def audit_results(cycle_id: int | None = None) -> list[Result]:
    """Final grades by pseudonymous reference; scoping limits an agency lead to her own."""
    query = select(FinalGrade).options(
        selectinload(FinalGrade.plan), selectinload(FinalGrade.advice),
        selectinload(FinalGrade.rubric_version),
    ).order_by(FinalGrade.audit_date.desc(), FinalGrade.id)
    if cycle_id is not None:
        query = query.where(FinalGrade.cycle_id == cycle_id)
    return [result_of(g) for g in db.session.execute(query).scalars()]


def result_of(grade: FinalGrade) -> Result:
    body = grade.rubric_version.body
    if grade.plan is not None:
        reference, kind = grade.plan.ref, "EHC plan"
    else:
        reference = grade.advice.ref if grade.advice else "–"
        kind = (f"{grade.advice.advice_type.replace('_', ' ').capitalize()} advice"
                if grade.advice else "Advice")
    return Result(grade, reference, kind, _labels(body).get(grade.grade, str(grade.grade)))


def criterion_rows(grade: FinalGrade) -> list[tuple[str, str, bool]]:
    """(criterion title, grade label, good or better) for a final grade, in rubric order."""
    version: RubricVersion = grade.rubric_version
    labels = _labels(version.body)
    order = {c["id"]: (i, c["title"]) for i, c in enumerate(version.body.get("criteria", []))}
    rows = sorted(grade.criteria, key=lambda c: order.get(c.criterion_id, (999, ""))[0])
    return [(order.get(c.criterion_id, (0, c.criterion_id))[1], labels.get(c.grade, str(c.grade)),
             c.good_or_better) for c in rows]
