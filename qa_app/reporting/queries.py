"""Reads over the stored rates: the current run of each period, its rates and agreement."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.register.models import Agency
from qa_app.reporting import labels
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
class Rate:
    """One stored rate as a plain row, with its agency's name (None for the partnership)."""

    run_id: int
    measure: str
    scope: str
    breakdown: str
    agency_id: int | None
    agency: str | None
    n: int
    good: int
    excluded: int
    rate: float | None
    low: float | None
    high: float | None
    target: float | None
    rag: str | None
    weighted_rate: float | None = None
    weighted_low: float | None = None
    weighted_high: float | None = None

    @property
    def weighted(self) -> bool:
        """The stratum-weighted estimate is this row's main figure (reporting/weighting.py)."""
        return self.weighted_rate is not None

    @property
    def shown_rate(self) -> float | None:
        return self.weighted_rate if self.weighted else self.rate

    @property
    def shown_low(self) -> float | None:
        return self.weighted_low if self.weighted else self.low

    @property
    def shown_high(self) -> float | None:
        return self.weighted_high if self.weighted else self.high


RATE_COLUMNS = (RateSnapshot.run_id, RateSnapshot.measure, RateSnapshot.scope,
                RateSnapshot.breakdown, RateSnapshot.agency_id, Agency.name, RateSnapshot.n,
                RateSnapshot.good, RateSnapshot.excluded, RateSnapshot.rate, RateSnapshot.ci_low,
                RateSnapshot.ci_high, RateSnapshot.target, RateSnapshot.rag,
                RateSnapshot.weighted_rate, RateSnapshot.weighted_low, RateSnapshot.weighted_high)


def rates(run_ids: int | Collection[int], *, measures: Collection[str] | None = None,
          scope: str | None = None, breakdown: str | None = None,
          agencies: Collection[int] | None = None, partnership: bool = True) -> list[Rate]:
    """Rates of one or more runs in one query, the partnership's first, then agencies by name:
    the partnership's row (unless `partnership` is false) and every agency's, or only those
    in `agencies`. Plain rows, not ORM objects: a national dashboard reads thousands.

    Scoping applies: an agency lead's query only ever returns their own agency's rates.
    """
    ids = [run_ids] if isinstance(run_ids, int) else sorted(run_ids)
    if not ids:
        return []
    query = (select(*RATE_COLUMNS)
             .select_from(RateSnapshot)
             .outerjoin(Agency, Agency.id == RateSnapshot.agency_id)
             .where(RateSnapshot.run_id.in_(ids))
             .order_by(RateSnapshot.agency_id.is_not(None), Agency.name, RateSnapshot.id))
    if measures is not None:
        query = query.where(RateSnapshot.measure.in_(sorted(measures)))
    for column, value in ((RateSnapshot.scope, scope), (RateSnapshot.breakdown, breakdown)):
        if value is not None:
            query = query.where(column == value)
    who = [RateSnapshot.agency_id.is_not(None) if agencies is None
           else RateSnapshot.agency_id.in_(sorted(agencies))]
    if partnership:
        who.append(RateSnapshot.agency_id.is_(None))
    query = query.where(or_(*who))
    return [Rate(*row) for row in db.session.execute(query).all()]


def in_display_order(rows: list[Rate]) -> list[Rate]:
    """Measures in their usual order; within one, the partnership first, agencies by name."""
    return sorted(rows, key=lambda r: (
        measure_rank(r.measure), r.measure, r.agency_id is not None, r.agency or "",
        r.scope != "all", r.scope, r.breakdown != "", r.breakdown))


def measure_rank(measure: str) -> int:
    return MEASURE_ORDER.index(measure) if measure in MEASURE_ORDER else len(MEASURE_ORDER)


STATUS_RANK = {labels.BELOW_TARGET: 0, labels.NEAR_TARGET: 1, labels.ON_TARGET: 2,
               labels.TOO_FEW: 3, labels.NO_TARGET: 4}
"""Statuses from most to least in need of attention: an ascending sort puts "below" first."""

SORT_KEYS: dict[str, Callable[[Rate], object]] = {
    "agency": lambda r: (r.agency is not None, (r.agency or "").casefold()),
    "which": lambda r: labels.group_label(r.scope, r.breakdown, r.measure).casefold(),
    "counted": lambda r: r.n,
    "met": lambda r: r.good,
    "excluded": lambda r: r.excluded,
    "rate": lambda r: r.shown_rate,
    "interval": lambda r: r.shown_low,
    "target": lambda r: r.target,
    "status": lambda r: STATUS_RANK[labels.status(r.rag, r.target)],
}
"""The rates table's sortable columns, each read from the figure the page shows."""


def with_status(rows: list[Rate], statuses: Collection[str]) -> list[Rate]:
    """Only the rows whose status (labels.status) is one of `statuses`; all of them if none."""
    if not statuses:
        return list(rows)
    return [r for r in rows if labels.status(r.rag, r.target) in statuses]


def sorted_by(rows: list[Rate], column: str | None, descending: bool = False) -> list[Rate]:
    """Rows in display order, each measure's rows then ordered by `column`; equal figures
    keep the display order and rows with no figure come last in either direction."""
    rows = in_display_order(rows)
    key = SORT_KEYS.get(column or "")
    if key is not None:
        known = [r for r in rows if key(r) is not None]
        known.sort(key=key, reverse=descending)  # type: ignore[arg-type]
        rows = known + [r for r in rows if key(r) is None]
    return sorted(rows, key=lambda r: (measure_rank(r.measure), r.measure))


def measures_in(run_id: int) -> list[str]:
    found = db.session.execute(
        select(RateSnapshot.measure).where(RateSnapshot.run_id == run_id).distinct()
    ).scalars()
    return sorted(found, key=lambda m: (measure_rank(m), m))


def agreement_for(run_id: int, *, weakest_first: bool = False) -> list[AgreementSnapshot]:
    """A cycle's agreement between auditors, by standard and criterion, or lowest kappa first."""
    order = ((AgreementSnapshot.kappa.is_(None), AgreementSnapshot.kappa) if weakest_first
             else ())
    return list(db.session.execute(
        select(AgreementSnapshot).where(AgreementSnapshot.run_id == run_id)
        .order_by(*order, AgreementSnapshot.rubric_id, AgreementSnapshot.criterion_id)
    ).scalars())


def improvement_actions(status: str | None = None, *, academic_year: str | None = None,
                        agency_id: int | None = None) -> list[tuple[ImprovementAction, str]]:
    """Improvement actions with their agency's name, open ones first, newest first."""
    query = (
        select(ImprovementAction, Agency.name)
        .join(Agency, Agency.id == ImprovementAction.agency_id)
        .order_by(ImprovementAction.status.desc(), ImprovementAction.opened_at.desc(),
                  Agency.name, ImprovementAction.id.desc())
    )
    for column, value in ((ImprovementAction.status, status),
                          (ImprovementAction.academic_year, academic_year),
                          (ImprovementAction.agency_id, agency_id)):
        if value is not None:
            query = query.where(column == value)
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
