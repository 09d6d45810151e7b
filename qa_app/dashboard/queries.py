"""Reads for the dashboard: current rate snapshots only, never aggregation at page time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting import measures as m
from qa_app.reporting.models import (
    AggregationRun,
    AgreementSnapshot,
    ImprovementAction,
    RateSnapshot,
)
from qa_app.reporting.queries import agreement_for, current_runs, measure_rank

HEADLINES: list[tuple[str, str, str]] = [
    (m.PLANS, "all", ""),
    (m.PLANS, "transition_years", ""),
    (m.ADVICE, "all", ""),
    (m.ON_TIME, "all", ""),
    (m.CHILD_VOICE, "all", ""),
    (m.ISSUED, "all", ""),
]


def academic_years() -> list[str]:
    keys = db.session.execute(
        current_runs("academic_year").with_only_columns(AggregationRun.period_key)
    ).scalars()
    return sorted(keys, reverse=True)


def cycles_in(year: str) -> list[Cycle]:
    return list(db.session.execute(
        select(Cycle).where(Cycle.academic_year == year).order_by(Cycle.start_date)
    ).scalars())


def cycle_runs() -> list[tuple[Cycle, int]]:
    """Every cycle that has figures, oldest first, with the id of its current run."""
    runs = dict(db.session.execute(
        current_runs("cycle").with_only_columns(AggregationRun.period_key, AggregationRun.id)
    ).all())
    cycles = db.session.execute(
        select(Cycle).where(Cycle.id.in_([int(key) for key in runs if key.isdigit()]))
        .order_by(Cycle.start_date, Cycle.id)
    ).scalars()
    return [(cycle, runs[str(cycle.id)]) for cycle in cycles]


@dataclass
class OpenActions:
    """One measure's open improvement actions: how many, and the first few agencies by name."""

    measure: str
    scope: str
    count: int
    first: list[tuple[int, str]]


def open_actions(year: str, agency_id: int | None, listed: int) -> list[OpenActions]:
    """Open actions of the year by measure, counted in the database; `listed` named per measure."""
    where = [ImprovementAction.status != "closed", ImprovementAction.academic_year == year]
    if agency_id is not None:
        where.append(ImprovementAction.agency_id == agency_id)
    groups = {
        (measure, scope): OpenActions(measure, scope, count, [])
        for measure, scope, count in db.session.execute(
            select(ImprovementAction.measure, ImprovementAction.scope, func.count())
            .where(*where)
            .group_by(ImprovementAction.measure, ImprovementAction.scope)
        ).all()
    }
    place = func.row_number().over(
        partition_by=(ImprovementAction.measure, ImprovementAction.scope),
        order_by=(Agency.name, ImprovementAction.id),
    ).label("place")
    named = (select(ImprovementAction.measure, ImprovementAction.scope, ImprovementAction.id,
                    Agency.name, place)
             .join(Agency, Agency.id == ImprovementAction.agency_id)
             .where(*where)
             .subquery())
    for measure, scope, action_id, name in db.session.execute(
        select(named.c.measure, named.c.scope, named.c.id, named.c.name)
        .where(named.c.place <= listed)
        .order_by(named.c.measure, named.c.scope, named.c.place)
    ).all():
        group = groups.setdefault((measure, scope), OpenActions(measure, scope, 0, []))
        group.first.append((action_id, name))
        group.count = max(group.count, len(group.first))  # opened between the two reads
    return sorted(groups.values(), key=lambda g: (measure_rank(g.measure), g.measure,
                                                  g.scope != "all", g.scope))


def heat_agencies(run_id: int, scope: str) -> list[int]:
    """Agencies with criterion figures, lowest share of criterion grades good or better first."""
    share = (func.sum(RateSnapshot.good) * 1.0
             / func.nullif(func.sum(RateSnapshot.n), 0))
    return list(db.session.execute(
        select(RateSnapshot.agency_id)
        .join(Agency, Agency.id == RateSnapshot.agency_id)
        .where(RateSnapshot.run_id == run_id, RateSnapshot.measure == m.CRITERION,
               RateSnapshot.scope == scope)
        .group_by(RateSnapshot.agency_id, Agency.name)
        .order_by(func.coalesce(share, 1.0), Agency.name)
    ).scalars())



@dataclass(frozen=True)
class PooledAgreement:
    """A criterion's agreement over several cycles: pairs and same grades add up exactly;
    kappa and AC1 cannot be pooled from stored figures, so they (and the cycle's run, which
    names it in exports) are kept only when a single cycle holds every pair."""

    run_id: int
    rubric_id: str
    criterion_id: str
    pairs: int
    agreed: int
    kappa: float | None
    ac1: float | None
    cycles: int

    @property
    def exact_rate(self) -> float | None:
        return 100 * self.agreed / self.pairs if self.pairs else None


def year_agreement(year_run: int, cycle_run_ids: list[int]) -> list[PooledAgreement]:
    """The year's agreement, lowest first: the year's own rows if it has them (kappa and AC1
    over every pair of every cycle of the year), else, for a year last counted before the
    year had its own rows, the rows of its cycles added together (lowest share of same
    grades first)."""
    own = agreement_for(year_run, weakest_first=True)
    if own or not cycle_run_ids:
        return [PooledAgreement(a.run_id, a.rubric_id, a.criterion_id, a.pairs, a.agreed,
                                a.kappa, a.ac1, 1) for a in own]
    groups: dict[tuple[str, str], list[AgreementSnapshot]] = {}
    for row in db.session.execute(
        select(AgreementSnapshot).where(AgreementSnapshot.run_id.in_(cycle_run_ids))
    ).scalars():
        groups.setdefault((row.rubric_id, row.criterion_id), []).append(row)
    pooled = []
    for (rubric_id, criterion_id), rows in groups.items():
        single = rows[0] if len(rows) == 1 else None
        pooled.append(PooledAgreement(
            single.run_id if single else year_run, rubric_id, criterion_id,
            sum(r.pairs for r in rows), sum(r.agreed for r in rows),
            single.kappa if single else None,
            single.ac1 if single else None, len(rows)))
    return sorted(pooled, key=lambda a: (a.exact_rate or 0.0, a.rubric_id, a.criterion_id))
