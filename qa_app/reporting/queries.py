"""Reads over the stored rates: the current run of each period, its rates and agreement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from qa_app.audits.models import Cycle
from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.register.models import Agency
from qa_app.reporting.labels import MEASURE_ORDER
from qa_app.reporting.models import (
    AggregationRun,
    AgreementSnapshot,
    ImprovementAction,
    RateSnapshot,
)
from qa_app.reporting.periods import ACADEMIC_YEAR, CYCLE


def current_runs(kind: str | None = None) -> Select[tuple[AggregationRun]]:
    """The current run of each period: the one computed (or confirmed) most recently."""
    newer = aliased(AggregationRun)
    later_exists = (
        select(newer.id)
        .where(
            newer.period_kind == AggregationRun.period_kind,
            newer.period_key == AggregationRun.period_key,
            (newer.computed_at > AggregationRun.computed_at)
            | and_(newer.computed_at == AggregationRun.computed_at, newer.id > AggregationRun.id),
        )
        .exists()
    )
    query = select(AggregationRun).where(~later_exists)
    if kind:
        query = query.where(AggregationRun.period_kind == kind)
    return query


def current_run(kind: str, key: str) -> AggregationRun | None:
    return db.session.execute(
        current_runs(kind).where(AggregationRun.period_key == key)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PeriodChoice:
    kind: str
    key: str
    label: str
    academic_year: str


def reported_periods() -> list[PeriodChoice]:
    """Periods that have a current run, academic years first (newest first), then cycles."""
    runs = db.session.execute(current_runs()).scalars().all()
    cycle_ids = [int(r.period_key) for r in runs if r.period_kind == CYCLE]
    cycles = {
        str(c.id): c
        for c in db.session.execute(select(Cycle).where(Cycle.id.in_(cycle_ids))).scalars()
    }
    years = sorted((r.period_key for r in runs if r.period_kind == ACADEMIC_YEAR), reverse=True)
    choices = [PeriodChoice(ACADEMIC_YEAR, y, y, y) for y in years]
    ordered = sorted(cycles.values(), key=lambda c: (c.start_date, c.id), reverse=True)
    choices += [PeriodChoice(CYCLE, str(c.id), c.name, c.academic_year) for c in ordered]
    return choices


@dataclass(frozen=True)
class RateRow:
    snapshot: RateSnapshot
    agency_name: str | None


def rates_for(
    run_id: int,
    *,
    measure: str | None = None,
    agency_id: int | None = None,
    partnership: bool = True,
) -> list[RateRow]:
    """A run's rates, the partnership's first, then agencies by name.

    Scoping applies: an agency lead's query only ever returns their own agency's rates.
    """
    query = (
        select(RateSnapshot, Agency.name)
        .outerjoin(Agency, Agency.id == RateSnapshot.agency_id)
        .where(RateSnapshot.run_id == run_id)
    )
    if measure:
        query = query.where(RateSnapshot.measure == measure)
    if agency_id is not None:
        query = query.where(RateSnapshot.agency_id == agency_id)
    if not partnership:
        query = query.where(RateSnapshot.agency_id.is_not(None))
    rows = [RateRow(s, name) for s, name in db.session.execute(query).all()]
    return sorted(rows, key=_display_order)


def _display_order(row: RateRow) -> tuple[object, ...]:
    s = row.snapshot
    return (measure_rank(s.measure), s.measure, s.agency_id is not None, row.agency_name or "",
            s.scope != "all", s.scope, s.breakdown != "", s.breakdown)


def measure_rank(measure: str) -> int:
    return MEASURE_ORDER.index(measure) if measure in MEASURE_ORDER else len(MEASURE_ORDER)


def measures_in(run_id: int) -> list[str]:
    found = db.session.execute(
        select(RateSnapshot.measure).where(RateSnapshot.run_id == run_id).distinct()
    ).scalars()
    return sorted(found, key=lambda m: (measure_rank(m), m))


def agreement_for(run_id: int) -> list[AgreementSnapshot]:
    return list(
        db.session.execute(
            select(AgreementSnapshot)
            .where(AgreementSnapshot.run_id == run_id)
            .order_by(AgreementSnapshot.rubric_id, AgreementSnapshot.criterion_id)
        ).scalars()
    )


def improvement_actions(status: str | None = None) -> list[tuple[ImprovementAction, str]]:
    """Improvement actions with their agency's name, open ones first, newest first."""
    query = (
        select(ImprovementAction, Agency.name)
        .join(Agency, Agency.id == ImprovementAction.agency_id)
        .order_by(ImprovementAction.status.desc(), ImprovementAction.opened_at.desc(),
                  ImprovementAction.id.desc())
    )
    if status:
        query = query.where(ImprovementAction.status == status)
    return [(action, name) for action, name in db.session.execute(query).all()]


def agencies_with_rates(run_id: int) -> list[Agency]:
    with_rates = select(RateSnapshot.agency_id).where(RateSnapshot.run_id == run_id)
    return list(
        db.session.execute(
            select(Agency).where(Agency.id.in_(with_rates)).order_by(Agency.name)
        ).scalars()
    )


def latest_aggregation_job() -> JobRun | None:
    return db.session.execute(
        select(JobRun).where(JobRun.job == "aggregate").order_by(JobRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def run_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AggregationRun)) or 0


def agency_name(agency_id: int) -> str:
    return db.session.scalar(select(Agency.name).where(Agency.id == agency_id)) or ""
