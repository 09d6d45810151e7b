"""What each role's home page lists: the work waiting for that person and what is overdue.

Each reader runs a fixed handful of statements however much data there is, so the home page
stays quick as a partnership grows. A date decides what is due, overdue or late; callers pass
today's date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, and_, case, distinct, exists, func, select
from sqlalchemy.orm import contains_eager, defer

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.audits.subjects import subject_label
from qa_app.extensions import db
from qa_app.jobs.models import JobRun
from qa_app.letters.models import Letter, LetterResponse
from qa_app.letters.queries import Status, status_of
from qa_app.main.stages import CycleCounts
from qa_app.register.models import Advice, Agency, Plan
from qa_app.reporting.models import RecalculationRequest

if TYPE_CHECKING:
    from qa_app.agencies.queries import LeaderlessAgency

AWAITING_RESPONSE = frozenset({"issued", "due", "late"})

SubjectKey = tuple[int | None, int | None]


# --- the auditor -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditToDo:
    audit_id: int
    subject: str
    started: bool


@dataclass(frozen=True)
class PanelAudits:
    """An auditor's unsubmitted audits at one panel, due by the panel's meeting."""

    panel_name: str
    cycle_name: str
    due: date | None
    overdue: bool
    audits: list[AuditToDo]


def audits_to_do(auditor_id: int, today: date) -> list[PanelAudits]:
    """The auditor's own panel audits not yet submitted, in open cycles only, grouped by panel
    with the soonest meeting first; a panel without a meeting date comes last."""
    rows = db.session.execute(
        select(Audit, Panel, Cycle.name, Plan, Advice)
        .join(Cycle, Cycle.id == Audit.cycle_id)
        .outerjoin(Panel, Panel.id == Audit.panel_id)
        .outerjoin(Plan, Plan.id == Audit.plan_id)
        .outerjoin(Advice, Advice.id == Audit.advice_id)
        .where(Audit.auditor_id == auditor_id, Audit.source == "panel",
               Audit.status != "submitted", Cycle.status == "open")
        .order_by(Panel.meeting_date.is_(None), Panel.meeting_date, Panel.id, Audit.id)
    ).all()
    grouped: dict[int | None, PanelAudits] = {}
    for audit, panel, cycle_name, plan, advice in rows:
        key = panel.id if panel is not None else None
        if key not in grouped:
            due = panel.meeting_date if panel is not None else None
            grouped[key] = PanelAudits(
                panel.name if panel is not None else "Not on a panel", cycle_name, due,
                due is not None and today > due, [])
        subject = plan if plan is not None else advice
        grouped[key].audits.append(AuditToDo(audit.id, subject_label(subject),
                                             audit.status == "draft"))
    return list(grouped.values())


# --- the panel chair ---------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationQueue:
    """Where one chaired panel's subjects stand: `ready` have all their audits in and wait
    for the chair's decision."""

    panel_id: int
    panel_name: str
    cycle_name: str
    meeting_date: date | None
    subjects: int
    ready: int
    finalised: int

    @property
    def with_auditors(self) -> int:
        return self.subjects - self.ready - self.finalised


def moderation_queues(chair_id: int) -> list[ModerationQueue]:
    """The chair's panels in open cycles and how many of their subjects wait for a decision,
    counted as the moderation pages count them."""
    panels = db.session.execute(
        select(Panel.id, Panel.name, Panel.meeting_date, Panel.cycle_id, Cycle.name)
        .join(Cycle, Cycle.id == Panel.cycle_id)
        .where(Panel.chair_id == chair_id, Cycle.status == "open")
        .order_by(Panel.meeting_date.is_(None), Panel.meeting_date, Panel.id)
    ).all()
    if not panels:
        return []
    statuses: dict[int, dict[SubjectKey, list[str]]] = {}
    for panel_id, plan_id, advice_id, status in db.session.execute(
        select(Audit.panel_id, Audit.plan_id, Audit.advice_id, Audit.status)
        .where(Audit.panel_id.in_([p.id for p in panels]), Audit.source == "panel")
    ):
        statuses.setdefault(panel_id, {}).setdefault((plan_id, advice_id), []).append(status)
    finals = {
        (cycle_id, (plan_id, advice_id)) for cycle_id, plan_id, advice_id in db.session.execute(
            select(FinalGrade.cycle_id, FinalGrade.plan_id, FinalGrade.advice_id)
            .where(FinalGrade.cycle_id.in_({p.cycle_id for p in panels})))
    }
    queues = []
    for panel_id, name, meeting_date, cycle_id, cycle_name in panels:
        subjects = statuses.get(panel_id, {})
        finalised = sum(1 for subject in subjects if (cycle_id, subject) in finals)
        ready = sum(1 for subject, found in subjects.items()
                    if (cycle_id, subject) not in finals and len(found) >= 2
                    and all(s == "submitted" for s in found))
        queues.append(ModerationQueue(panel_id, name, cycle_name, meeting_date, len(subjects),
                                      ready, finalised))
    return queues


def letters_to_issue(chair_id: int) -> list[Letter]:
    """Draft letters of every cycle in which the user chairs a panel: any of its chairs may
    issue them."""
    chaired = select(Panel.cycle_id).where(Panel.chair_id == chair_id)
    return list(db.session.execute(
        _letters().where(Letter.status == "draft", Letter.cycle_id.in_(chaired))
        .order_by(Cycle.start_date.desc(), Agency.name, Letter.version)
    ).unique().scalars())


# --- letters and responses (the lead and the manager) ------------------------------------


@dataclass(frozen=True)
class LetterLine:
    letter: Letter
    status: Status

    @property
    def late(self) -> bool:
        return self.status.key == "late"


def current_letters(today: date, agency_id: int | None = None) -> list[LetterLine]:
    """Each agency's newest issued letter per cycle with where its response stands (status_of,
    as on the letters pages); an issued letter replaced by a newer issued version is left out.
    Limited to one agency when `agency_id` is given."""
    query = _letters().where(Letter.status == "issued")
    if agency_id is not None:
        query = query.where(Letter.agency_id == agency_id)
    newest: dict[tuple[int, int], Letter] = {}
    for letter in db.session.execute(query.order_by(Letter.version)).unique().scalars():
        newest[(letter.agency_id, letter.cycle_id)] = letter
    lines = [LetterLine(letter, status_of(letter, today)) for letter in newest.values()]
    return sorted(lines, key=lambda line: (_due(line), line.letter.agency.name.casefold()))


def awaiting_response(lines: Sequence[LetterLine]) -> list[LetterLine]:
    return [line for line in lines if line.status.key in AWAITING_RESPONSE]


def responses_sent(lines: Sequence[LetterLine]) -> list[LetterLine]:
    return [line for line in lines if line.status.key not in AWAITING_RESPONSE]


def _due(line: LetterLine) -> date:
    response = line.letter.response
    return response.due_date if response is not None else date.max


def _letters() -> Select[tuple[Letter]]:
    """Letters without their PDF bytes or stored content, which a list never shows."""
    return (
        select(Letter)
        .join(Agency, Agency.id == Letter.agency_id)
        .join(Cycle, Cycle.id == Letter.cycle_id)
        .outerjoin(LetterResponse, LetterResponse.letter_id == Letter.id)
        .options(contains_eager(Letter.agency), contains_eager(Letter.cycle),
                 contains_eager(Letter.response), defer(Letter.pdf), defer(Letter.content),
                 defer(Letter.omitted_evidence))
    )


# --- the QI manager and the administrator ------------------------------------------------


def open_cycle_counts() -> list[CycleCounts]:
    """How far each open cycle has gone, newest first: five grouped counts for all of them."""
    cycles = db.session.execute(
        select(Cycle).where(Cycle.status == "open")
        .order_by(Cycle.start_date.desc(), Cycle.id.desc())
    ).scalars().all()
    if not cycles:
        return []
    ids = [c.id for c in cycles]
    has_final = exists().where(
        FinalGrade.cycle_id == Sample.cycle_id,
        and_(SampleItem.plan_id.is_not(None), FinalGrade.plan_id == SampleItem.plan_id)
        | and_(SampleItem.advice_id.is_not(None), FinalGrade.advice_id == SampleItem.advice_id),
    )
    sampled = {cycle_id: (int(n), int(done)) for cycle_id, n, done in db.session.execute(
        select(Sample.cycle_id, func.count(SampleItem.id),
               func.count(SampleItem.id).filter(has_final))
        .join(SampleItem, SampleItem.sample_id == Sample.id, isouter=True)
        .where(Sample.cycle_id.in_(ids)).group_by(Sample.cycle_id))}
    panels = dict(db.session.execute(  # type: ignore[arg-type]
        select(Panel.cycle_id, func.count()).where(Panel.cycle_id.in_(ids))
        .group_by(Panel.cycle_id)).all())
    audits = {cycle_id: (int(n), int(done)) for cycle_id, n, done in db.session.execute(
        select(Audit.cycle_id, func.count(), func.count().filter(Audit.status == "submitted"))
        .where(Audit.cycle_id.in_(ids), Audit.source == "panel").group_by(Audit.cycle_id))}
    letters = {row[0]: tuple(int(n) for n in row[1:]) for row in db.session.execute(
        select(Letter.cycle_id, func.count(distinct(Letter.agency_id)),
               _agencies_where(Letter.status == "issued"),
               _agencies_where(LetterResponse.submitted_at.is_not(None)),
               _agencies_where(LetterResponse.presented_on.is_not(None)))
        .outerjoin(LetterResponse, LetterResponse.letter_id == Letter.id)
        .where(Letter.cycle_id.in_(ids)).group_by(Letter.cycle_id))}
    return [
        CycleCounts(cycle, sampled.get(cycle.id), panels.get(cycle.id, 0),
                    *audits.get(cycle.id, (0, 0)), *letters.get(cycle.id, (0, 0, 0, 0)))
        for cycle in cycles
    ]


def _agencies_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(distinct(case((condition, Letter.agency_id))))


def agencies_without_lead(today: date) -> list[LeaderlessAgency]:
    """Active agencies with issued letters and no active agency lead: nobody can answer them."""
    from qa_app.agencies.queries import leaderless_agencies

    return leaderless_agencies(current_letters(today))


def failed_jobs() -> int:
    """Background jobs that ended failed: the number the jobs page shows when filtered so."""
    return db.session.scalar(
        select(func.count()).select_from(JobRun).where(JobRun.status == "failed")) or 0


def recalculating_since() -> datetime | None:
    """When the oldest change not yet counted in the figures was made; None when all are."""
    return db.session.scalar(select(func.min(RecalculationRequest.requested_at)))


def register_counts() -> dict[str, int]:
    """Agencies, plans and advice in the register (as far as the user may see them)."""
    return {
        "agencies": db.session.scalar(select(func.count()).select_from(Agency)) or 0,
        "plans": db.session.scalar(select(func.count()).select_from(Plan)) or 0,
        "advice": db.session.scalar(select(func.count()).select_from(Advice)) or 0,
    }
