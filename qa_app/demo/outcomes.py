"""What happened to some of the closed cycles' grades after the panel: challenges and marks
for amendment and re-audit. Runs through the challenges' and re-audits' own operations, on
the days the panels' calendar gives, then dates each step (the operations stamp "now").

- A grade of the earlier closed cycle was challenged within its window; the chair upheld it.
- A grade of the latest closed cycle was challenged within its window and waits for the chair.
- Two grades of the latest closed cycle below good are marked to amend and re-audit; one
  agency has since recorded its amendment, so the work waits for the next sample.
No grade changes, so the stored figures stay equal to a recount.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle, Sample
from qa_app.audits.moderation.models import FinalGrade
from qa_app.auth.models import Role, User
from qa_app.challenges import operations as challenges
from qa_app.challenges.models import UPHELD, GradeChallenge
from qa_app.extensions import db
from qa_app.letters.working_days import add_working_days
from qa_app.reaudit import operations as reaudit
from qa_app.reaudit.models import ReauditMark

UPHELD_REASON = ("The advice sets out the child's needs well, but the outcomes give no "
                 "timescale and we believe the panel graded them too harshly.")
UPHOLD_DECISION = ("The panel looked at the advice again. The outcomes describe what the "
                   "service will do rather than what will change for the child, so the grade "
                   "stands.")
OPEN_REASON = ("Our advice was sent before the statutory deadline; the delay was in "
               "requesting it. We ask the panel to look again at the timeliness and the "
               "overall grade.")
AMENDED_AFTER_DAYS = 9
"""The amended work's amendment date is at most this many days before the demo is seeded."""


def closed_cycles() -> list[Cycle]:
    return list(db.session.scalars(select(Cycle).where(Cycle.status == "closed")
                                   .order_by(Cycle.start_date)))


def seed_challenges() -> int:
    """An upheld challenge and an open one, unless any challenge exists; returns how many."""
    if db.session.scalar(select(GradeChallenge.id).limit(1)) is not None:
        return 0
    cycles = closed_cycles()
    if len(cycles) < 2:
        return 0
    added = 0
    used: set[int] = set()
    for cycle, decided in ((cycles[-2], True), (cycles[-1], False)):
        found = _challengeable(cycle, used)
        if found is None:
            continue
        final, lead = found
        used.add(final.agency_id)
        finalised = challenges.local_date(final.finalised_at or datetime.min)
        raised_on = add_working_days(finalised, 3 if decided else 2)
        challenge = challenges.raise_challenge(
            final, lead, UPHELD_REASON if decided else OPEN_REASON, on=raised_on)
        challenge.raised_at = datetime.combine(raised_on, time(10, 30))
        if decided:
            challenges.decide(challenge, UPHELD, None, {}, UPHOLD_DECISION,
                              actor_id=challenge.panel.chair_id)
            challenge.decided_at = datetime.combine(add_working_days(raised_on, 4), time(15))
        added += 1
    db.session.flush()
    return added


def _challengeable(cycle: Cycle, agencies_used: set[int]) -> tuple[FinalGrade, User] | None:
    """The cycle's first advice grade below good whose agency has a lead (an agency other
    than those already chosen)."""
    leads = {u.agency_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.AGENCY_LEAD.value).order_by(User.id.desc()))}
    grades = db.session.scalars(
        select(FinalGrade).where(FinalGrade.cycle_id == cycle.id,
                                 FinalGrade.advice_id.is_not(None),
                                 FinalGrade.good_or_better.is_(False))
        .order_by(FinalGrade.id))
    for final in grades:
        lead = leads.get(final.agency_id)
        if lead is not None and final.agency_id not in agencies_used:
            return final, lead
    return None


def seed_reaudit_marks(today: date) -> int:
    """Two marks on the latest closed cycle's grades below good, unless any mark exists; the
    second has its amendment recorded. Returns how many were marked."""
    if db.session.scalar(select(func.count()).select_from(ReauditMark)):
        return 0
    cycles = closed_cycles()
    manager = db.session.scalar(select(User).where(User.role == Role.QI_MANAGER.value)
                                .order_by(User.email).limit(1))
    if not cycles or manager is None:
        return 0
    challenged = select(GradeChallenge.final_grade_id)
    below = db.session.scalars(
        select(FinalGrade).where(FinalGrade.cycle_id == cycles[-1].id,
                                 FinalGrade.good_or_better.is_(False),
                                 FinalGrade.id.not_in(challenged))
        .order_by(FinalGrade.plan_id.is_(None), FinalGrade.id)).all()
    chosen = [g for g in below if g.plan_id is not None][:1]
    chosen += [g for g in below if g.advice_id is not None][:1]
    leads = {u.agency_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.AGENCY_LEAD.value).order_by(User.id.desc()))}
    for index, grade in enumerate(chosen):
        mark = reaudit.mark(grade, actor_id=manager.id)
        graded = reaudit.graded_on(mark)
        mark.marked_at = datetime.combine(add_working_days(graded, 1), time(11))
        lead = leads.get(grade.agency_id)
        if index == len(chosen) - 1 and lead is not None:
            day = amendment_day(graded, today)
            reaudit.record_amendment(mark, day, today=today, actor_id=lead.id)
            mark.amended_at = datetime.combine(day, time(14))
    db.session.flush()
    return len(chosen)


def amendment_day(graded: date, today: date) -> date:
    """A recent day after the grade, and after the open cycle's sample was drawn (so the
    work rightly waits for the next one)."""
    drawn = db.session.scalar(select(func.max(Sample.drawn_at)))
    day = max(graded + timedelta(days=1), today - timedelta(days=AMENDED_AFTER_DAYS))
    if drawn is not None:
        day = max(day, drawn.date() + timedelta(days=1))
    return min(day, today)
