"""Reads for the dashboard: current rate snapshots only, never aggregation at page time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from qa_app.audits.models import Cycle, FinalGrade
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting import measures as m
from qa_app.reporting.models import AggregationRun, AgreementSnapshot, RateSnapshot
from qa_app.reporting.queries import current_runs

HEADLINES: list[tuple[str, str, str]] = [
    (m.PLANS, "all", ""),
    (m.PLANS, "transition_years", ""),
    (m.ADVICE, "all", ""),
    (m.ON_TIME, "all", ""),
    (m.CHILD_VOICE, "all", ""),
    (m.ISSUED, "all", ""),
]


@dataclass(frozen=True)
class Rate:
    measure: str
    scope: str
    breakdown: str
    agency_id: int | None
    agency: str | None
    n: int
    good: int
    rate: float | None
    low: float | None
    high: float | None
    target: float | None
    rag: str | None



RATE_COLUMNS = (RateSnapshot.measure, RateSnapshot.scope, RateSnapshot.breakdown,
                RateSnapshot.agency_id, RateSnapshot.n, RateSnapshot.good, RateSnapshot.rate,
                RateSnapshot.ci_low, RateSnapshot.ci_high, RateSnapshot.target, RateSnapshot.rag)


def academic_years() -> list[str]:
    keys = db.session.execute(
        current_runs("academic_year").with_only_columns(AggregationRun.period_key)
    ).scalars()
    return sorted(keys, reverse=True)


def cycles_in(year: str) -> list[Cycle]:
    return list(db.session.execute(
        select(Cycle).where(Cycle.academic_year == year).order_by(Cycle.start_date)
    ).scalars())


def run_for(kind: str, key: str) -> AggregationRun | None:
    return db.session.execute(
        current_runs(kind).where(AggregationRun.period_key == key)
    ).scalar_one_or_none()


def rates(run_id: int, *, measure: str | None = None, scope: str | None = None,
          breakdown: str | None = None, agency_id: int | None = None,
          partnership_only: bool = False) -> list[Rate]:
    """Rates of one run; agency leads' queries are scoped to their agency automatically."""
    query = (select(*RATE_COLUMNS, Agency.name)
             .select_from(RateSnapshot)
             .outerjoin(Agency, Agency.id == RateSnapshot.agency_id)
             .where(RateSnapshot.run_id == run_id)
             .order_by(RateSnapshot.agency_id.is_not(None), Agency.name, RateSnapshot.id))
    for column, value in ((RateSnapshot.measure, measure), (RateSnapshot.scope, scope),
                          (RateSnapshot.breakdown, breakdown)):
        if value is not None:
            query = query.where(column == value)
    if agency_id is not None:
        query = query.where(RateSnapshot.agency_id == agency_id)
    if partnership_only:
        query = query.where(RateSnapshot.agency_id.is_(None))
    return [Rate(*row[:4], row[-1], *row[4:-1]) for row in db.session.execute(query).all()]


def agreement(run_id: int) -> list[AgreementSnapshot]:
    return list(db.session.execute(
        select(AgreementSnapshot).where(AgreementSnapshot.run_id == run_id)
        .order_by(AgreementSnapshot.kappa.is_(None), AgreementSnapshot.kappa,
                  AgreementSnapshot.rubric_id, AgreementSnapshot.criterion_id)
    ).scalars())


def moderation_counts(year: str) -> list[tuple[str, int, int]]:
    """Per cycle of the year: subjects finalised, and how many the chair had to moderate."""
    rows = db.session.execute(
        select(Cycle.name, func.count(FinalGrade.id),
               func.sum(func.cast(FinalGrade.method == "moderated", db.Integer)))
        .join(FinalGrade, FinalGrade.cycle_id == Cycle.id)
        .where(Cycle.academic_year == year)
        .group_by(Cycle.id, Cycle.name, Cycle.start_date)
        .order_by(Cycle.start_date)
    ).all()
    return [(name, total, int(moderated or 0)) for name, total, moderated in rows]


def agencies_with_rates(run_id: int) -> list[Agency]:
    ids = select(RateSnapshot.agency_id).where(RateSnapshot.run_id == run_id)
    return list(db.session.execute(
        select(Agency).where(Agency.id.in_(ids)).order_by(Agency.name)
    ).scalars())
