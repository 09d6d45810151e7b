"""Draw a cycle's sample from the register and store it with its seed and parameters.

The eligible population is read here with plain column queries; the choice itself is
`qa_app.audits.sampling.draw`, which depends on nothing but its inputs. The eligible plans
in each stratum are stored with the sample, so the partnership's plans rate can later be
weighted by the population as it stood when the sample was drawn.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select, union

from qa_app import audit_log
from qa_app.audits.cycles import has_audits
from qa_app.audits.models import Audit, Cycle, FinalGrade, Sample, SampleItem
from qa_app.audits.sampling import (
    OTHER,
    TRANSITION,
    AdviceCandidate,
    Draw,
    DrawParameters,
    ExportRow,
    PlanCandidate,
    SamplingError,
    draw,
)
from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, Plan

DEFAULT_EXCLUDE_DAYS = 365
METHOD = "stratified-v1"


class SampleError(ValueError):
    """A draw was refused; the message says why."""


@dataclass(frozen=True)
class Eligibility:
    """Which plans may be drawn: not audited since `window_start`, requested by the end."""

    cycle_id: int
    window_start: date
    cycle_end: date
    issued_by_end: bool = False

    @classmethod
    def for_cycle(cls, cycle: Cycle, exclude_days: int = DEFAULT_EXCLUDE_DAYS,
                  issued_by_end: bool = False) -> Eligibility:
        if not 0 <= exclude_days <= 3660:
            raise SampleError("The exclusion window must be from 0 to 3660 days")
        return cls(cycle.id, cycle.start_date - timedelta(days=exclude_days), cycle.end_date,
                   issued_by_end)


def new_seed() -> int:
    """A six-digit seed: short enough to write in a report, so a draw can be repeated."""
    return 100_000 + secrets.randbelow(900_000)


def transition_years() -> tuple[int, ...]:
    from qa_app.standards.targets import load_targets
    from qa_app.standards.yaml_lines import RubricError

    path = Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml"
    try:
        return tuple(load_targets(path).transition_years)
    except RubricError as exc:
        first = exc.problems[0] if exc.problems else "unreadable"
        raise SampleError(f"The transition years come from {path}, which has a problem: "
                          f"{first}") from None


def _recently_audited_plans(rule: Eligibility) -> Any:
    """Plan ids audited, finally graded or sampled by another cycle since the window start."""
    since = rule.window_start
    other_cycle = or_(Audit.cycle_id.is_(None), Audit.cycle_id != rule.cycle_id)
    other_final = or_(FinalGrade.cycle_id.is_(None), FinalGrade.cycle_id != rule.cycle_id)
    submitted = (Audit.status == "submitted", Audit.audit_date >= since, other_cycle)
    final = (FinalGrade.audit_date >= since, other_final)
    sampled = (Sample.cycle_id != rule.cycle_id, Cycle.end_date >= since)
    return union(
        select(Audit.plan_id).where(Audit.plan_id.is_not(None), *submitted),
        select(Advice.plan_id).join(Audit, Audit.advice_id == Advice.id).where(*submitted),
        select(FinalGrade.plan_id).where(FinalGrade.plan_id.is_not(None), *final),
        select(Advice.plan_id).join(FinalGrade, FinalGrade.advice_id == Advice.id).where(*final),
        select(SampleItem.plan_id).join(Sample).join(Cycle)
        .where(SampleItem.plan_id.is_not(None), *sampled),
        select(Advice.plan_id).join(SampleItem, SampleItem.advice_id == Advice.id)
        .join(Sample).join(Cycle).where(*sampled),
    )


def _eligible_plans(rule: Eligibility) -> Select[Any]:
    query = select(Plan.id, Plan.ref, Plan.nc_year, Agency.name).join(
        Agency, Agency.id == Plan.agency_id
    ).where(
        Plan.id.not_in(_recently_audited_plans(rule)),
        or_(Plan.request_date.is_(None), Plan.request_date <= rule.cycle_end),
    )
    if rule.issued_by_end:
        query = query.where(Plan.issue_date.is_not(None), Plan.issue_date <= rule.cycle_end)
    return query


def eligible_count(rule: Eligibility) -> int:
    return db.session.scalar(select(func.count()).select_from(_eligible_plans(rule).subquery()))


def eligible_population(rule: Eligibility) -> list[PlanCandidate]:
    """Eligible plans with their advice received by the cycle end (advice that can be read)."""
    plans = db.session.execute(_eligible_plans(rule)).all()
    ids = select(_eligible_plans(rule).subquery().c.id)
    advice_rows = db.session.execute(
        select(Advice.id, Advice.ref, Advice.plan_id, Agency.name, Advice.advice_type)
        .join(Agency, Agency.id == Advice.agency_id)
        .where(Advice.plan_id.in_(ids), Advice.received_date.is_not(None),
               Advice.received_date <= rule.cycle_end)
    ).all()
    by_plan: dict[int, list[AdviceCandidate]] = {}
    for advice_id, ref, plan_id, agency, advice_type in advice_rows:
        by_plan.setdefault(plan_id, []).append(AdviceCandidate(advice_id, ref, agency, advice_type))
    return [
        PlanCandidate(plan_id, ref, nc_year, agency,
                      tuple(sorted(by_plan.get(plan_id, []), key=lambda a: a.ref)))
        for plan_id, ref, nc_year, agency in plans
    ]


def current_sample(cycle: Cycle) -> Sample | None:
    return db.session.execute(
        select(Sample).where(Sample.cycle_id == cycle.id)
    ).scalar_one_or_none()


def draw_sample(
    cycle: Cycle,
    *,
    size: int,
    seed: int,
    transition_share: float = 0.3,
    include_advice: bool = True,
    min_advice_per_agency: int = 1,
    exclude_days: int = DEFAULT_EXCLUDE_DAYS,
    issued_by_end: bool = False,
    actor_id: int | None = None,
) -> tuple[Sample, Draw]:
    """Draw and store the cycle's sample, replacing an earlier one while nothing is audited."""
    if cycle.status == "closed":
        raise SampleError(f"{cycle.name} is closed: reopen it before drawing its sample")
    previous = current_sample(cycle)
    if previous is not None and has_audits(cycle):
        raise SampleError(f"{cycle.name} already has audits, so its sample (seed "
                          f"{previous.seed}) can no longer be redrawn")
    rule = Eligibility.for_cycle(cycle, exclude_days, issued_by_end)
    params = DrawParameters(size=size, seed=seed, transition_share=transition_share,
                            transition_years=transition_years(), include_advice=include_advice,
                            min_advice_per_agency=min_advice_per_agency if include_advice else 0)
    try:
        result = draw(eligible_population(rule), params)
    except SamplingError as exc:
        raise SampleError(str(exc)) from None
    replaced = None
    if previous is not None:
        replaced = {"seed": previous.seed, "size": previous.size}
        db.session.delete(previous)
        db.session.flush()
    sample = Sample(cycle_id=cycle.id, seed=seed, size=len(result.plans), drawn_by_id=actor_id,
                    parameters=_parameters(params, rule, exclude_days, result))
    sample.items = [SampleItem(plan_id=p.id, stratum=s) for p, s in result.plans] + [
        SampleItem(advice_id=a.id, stratum=s) for a, s in result.advice
    ]
    db.session.add(sample)
    db.session.flush()
    audit_log.record("sample.redraw" if replaced else "sample.draw", "sample", sample.id,
                     user_id=actor_id, changes={
                         "cycle": cycle.name, "seed": seed, "plans": len(result.plans),
                         "advice": len(result.advice), "replaced": replaced})
    return sample, result


def _parameters(params: DrawParameters, rule: Eligibility, exclude_days: int,
                result: Draw) -> dict[str, Any]:
    return {
        "method": METHOD,
        "requested_size": params.size,
        "seed": params.seed,
        "transition_share": params.transition_share,
        "transition_years": list(params.transition_years),
        "include_advice": params.include_advice,
        "min_advice_per_agency": params.min_advice_per_agency,
        "exclude_days": exclude_days,
        "window_start": rule.window_start.isoformat(),
        "issued_by_end": rule.issued_by_end,
        "eligible_plans": result.eligible,
        "eligible_transition_plans": result.eligible_transition,
        "transition_target": result.transition_target,
        "strata": result.strata,
        "stratum_population": {TRANSITION: result.eligible_transition,
                               OTHER: result.eligible - result.eligible_transition},
        "advice_by_agency": result.advice_by_agency,
        "agency_additions": [asdict(a) for a in result.additions],
        "notes": result.notes,
    }


def sample_rows(cycle: Cycle) -> list[ExportRow]:
    """One row per sample item, each plan followed by its advice, in reference order."""
    sample = current_sample(cycle)
    if sample is None:
        return []
    years = set(sample.parameters.get("transition_years") or transition_years())
    plans = db.session.execute(
        select(SampleItem.stratum, Plan.id, Plan.ref, Plan.nc_year, Agency.name)
        .join(Plan, Plan.id == SampleItem.plan_id).join(Agency, Agency.id == Plan.agency_id)
        .where(SampleItem.sample_id == sample.id)
    ).all()
    advice = db.session.execute(
        select(SampleItem.stratum, Advice.plan_id, Advice.ref, Plan.ref, Plan.nc_year,
               Agency.name, Advice.advice_type)
        .join(Advice, Advice.id == SampleItem.advice_id).join(Plan, Plan.id == Advice.plan_id)
        .join(Agency, Agency.id == Advice.agency_id)
        .where(SampleItem.sample_id == sample.id)
    ).all()
    rows = [
        ((ref, ""), ExportRow(ref, "", stratum, nc_year, nc_year in years, agency, ""))
        for stratum, _id, ref, nc_year, agency in plans
    ] + [
        ((plan_ref, advice_ref), ExportRow(plan_ref, advice_ref, stratum, nc_year,
                                           nc_year in years, agency, advice_type))
        for stratum, _pid, advice_ref, plan_ref, nc_year, agency, advice_type in advice
    ]
    return [row for _key, row in sorted(rows, key=lambda pair: pair[0])]


def prior_plan_rate(cycle: Cycle) -> tuple[int, int] | None:
    """(good or better, graded) for plans in the latest earlier cycle with final grades."""
    earlier = db.session.execute(
        select(FinalGrade.cycle_id, func.max(Cycle.start_date).label("start"))
        .join(Cycle, Cycle.id == FinalGrade.cycle_id)
        .where(FinalGrade.plan_id.is_not(None), Cycle.start_date < cycle.start_date)
        .group_by(FinalGrade.cycle_id).order_by(func.max(Cycle.start_date).desc()).limit(1)
    ).first()
    if earlier is None:
        return None
    good, total = db.session.execute(
        select(func.count().filter(FinalGrade.good_or_better), func.count())
        .where(FinalGrade.cycle_id == earlier[0], FinalGrade.plan_id.is_not(None))
    ).one()
    return (int(good), int(total)) if total else None
