"""Reads for challenges: the lists on the pages, the chair's queue and the counts the rates
page and the learning brief show. Inside a request the access scoping applies (a lead
counts only their agency's challenges, a chair only their panels')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qa_app.audits.moderation.models import FinalGrade
from qa_app.challenges.models import CHANGED, OPEN, UPHELD, GradeChallenge
from qa_app.challenges.operations import (
    last_day,
    may_challenge,
    refusal,
    today,
    working_days,
)
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.timeutil import utcnow


@dataclass(frozen=True)
class ChallengeCounts:
    raised: int
    waiting: int
    upheld: int
    changed: int


def _counts(where: list) -> ChallengeCounts:
    rows: dict[str, int] = dict(db.session.execute(  # type: ignore[arg-type]
        select(GradeChallenge.status, func.count(GradeChallenge.id))
        .join(FinalGrade, FinalGrade.id == GradeChallenge.final_grade_id)
        .where(*where).group_by(GradeChallenge.status)).all())
    return ChallengeCounts(raised=sum(rows.values()), waiting=rows.get(OPEN, 0),
                           upheld=rows.get(UPHELD, 0), changed=rows.get(CHANGED, 0))


def cycle_challenge_counts(cycle_id: int) -> ChallengeCounts:
    """How many of the cycle's final grades were challenged, and what became of them."""
    return _counts([FinalGrade.cycle_id == cycle_id])


def period_challenge_counts(kind: str, key: str) -> ChallengeCounts:
    """The same for a period of the rates page: a cycle (its id) or an academic year."""
    if kind == "cycle":
        return cycle_challenge_counts(int(key)) if key.isdigit() else ChallengeCounts(0, 0, 0, 0)
    return _counts([FinalGrade.academic_year == key])


def challenges(status: str | None = None) -> list[GradeChallenge]:
    """Challenges the user may see, newest first."""
    query = (select(GradeChallenge)
             .options(selectinload(GradeChallenge.final_grade), selectinload(GradeChallenge.agency))
             .order_by(GradeChallenge.raised_at.desc(), GradeChallenge.id.desc()))
    if status == OPEN:
        query = query.where(GradeChallenge.status == OPEN)
    elif status == "decided":
        query = query.where(GradeChallenge.status != OPEN)
    return list(db.session.scalars(query))


def waiting_count() -> int:
    return db.session.scalar(select(func.count(GradeChallenge.id))
                             .where(GradeChallenge.status == OPEN)) or 0


def challengeable(agency: Agency) -> list[tuple[FinalGrade, object]]:
    """The agency's final grades it may still challenge, each with its last day."""
    since = utcnow() - timedelta(days=working_days() * 2 + 21)  # generous: holidays, weekends
    rows = db.session.scalars(
        select(FinalGrade).where(FinalGrade.agency_id == agency.id,
                                 FinalGrade.cycle_id.is_not(None),
                                 FinalGrade.finalised_at >= since)
        .options(selectinload(FinalGrade.plan), selectinload(FinalGrade.advice))
        .order_by(FinalGrade.finalised_at.desc(), FinalGrade.id))
    on = today()
    return [(row, last_day(row)) for row in rows
            if may_challenge(row, agency) and refusal(row, on=on) is None]
