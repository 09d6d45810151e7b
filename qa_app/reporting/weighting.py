"""The partnership's all-plans rate for a cycle, weighted by sample stratum.

A cycle's sample gives transition-year plans at least a set share of its places, so it
often holds a larger (or, from older samples, smaller) share of them than the register
does. Pooling the grades then tilts the rate towards that stratum's quality. When the
strata were sampled at different fractions, the cycle's partnership row for "EHC plans
good or better, all" also carries the stratum-weighted estimate:

    p_w = sum_h W_h p_h,  W_h = N_h / N
    var = sum_h W_h^2 p_h (1 - p_h) / n_h * (1 - n_h / N_h)

where N_h is the number of eligible plans in stratum h when the sample was drawn (stored
with the sample), n_h the plans of the stratum with a final grade in the cycle and p_h the
share of them good or better (child voice limiting, as for the raw rate). The last factor
is the finite population correction: a stratum audited in full adds no sampling error.

The 95% interval is a Wilson interval on an effective sample size n_eff = p_w (1 - p_w) /
var (the sample size a simple random sample would need for the same precision), so it
stays within 0-100 and behaves near 0% and 100% as the raw rates' intervals do; where the
variance is nil (every stratum all good, none good, or audited in full) the plain count
of graded plans stands in for n_eff. The bounds are clamped to 0-100.

A plan's stratum is the one recorded on the sample when it was drawn; a plan graded in the
cycle but not in its sample (a historic audit imported into the cycle) takes the stratum
of the year group recorded with its final grade. The agencies' rows stay raw: the sample
is not stratified by agency, so no agency has stratum population sizes to weight by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import sqrt
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from qa_app.audits.cycles.models import Sample, SampleItem
from qa_app.audits.cycles.sampling import OTHER, TRANSITION
from qa_app.audits.moderation.models import FinalGrade
from qa_app.reporting.figures import Context, Figures, WeightedRate
from qa_app.reporting.stats import Z_95

STRATA = (TRANSITION, OTHER)


@dataclass(frozen=True)
class Stratum:
    """One stratum of a cycle's sample: eligible plans when drawn, graded, good or better."""

    population: int
    graded: int
    good: int


def weighted_estimate(strata: Sequence[Stratum], z: float = Z_95) -> WeightedRate | None:
    """The stratum-weighted rate and its 95% interval, in percent (see the module notes).

    None when it cannot be worked out: no population, or a stratum with eligible plans
    but none of them graded yet.
    """
    total = sum(s.population for s in strata)
    counted = [s for s in strata if s.population > 0]
    if total <= 0 or any(s.graded <= 0 for s in counted):
        return None
    rate = 0.0
    variance = 0.0
    for s in counted:
        weight = s.population / total
        share = s.good / s.graded
        correction = max(0.0, 1 - s.graded / s.population)
        rate += weight * share
        variance += weight * weight * share * (1 - share) / s.graded * correction
    rate = min(1.0, max(0.0, rate))
    graded = sum(s.graded for s in counted)
    spread = rate * (1 - rate)
    effective = spread / variance if variance > 0 and spread > 0 else float(graded)
    low, high = _wilson(rate, effective, z)
    low, high = max(0.0, min(low, rate)), min(1.0, max(high, rate))  # rounding crumbs
    return WeightedRate(100 * rate, 100 * low, 100 * high)


def _wilson(rate: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (rate + z2 / (2 * n)) / denominator
    half = z * sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / denominator
    return centre - half, centre + half


def sampled_unequally(parameters: Mapping[str, Any]) -> bool:
    """Whether the sample as drawn took different fractions of the two strata."""
    population = stratum_population(parameters)
    drawn = parameters.get("strata") or {}
    if population is None or not all(population.get(h, 0) > 0 for h in STRATA):
        return False
    fractions = [(int(drawn.get(h, 0)), population[h]) for h in STRATA]
    (n_t, big_t), (n_o, big_o) = fractions
    return n_t * big_o != n_o * big_t


def stratum_population(parameters: Mapping[str, Any]) -> dict[str, int] | None:
    """Eligible plans per stratum when the sample was drawn; older samples stored the
    eligible and eligible transition-year counts, from which the same follows."""
    stored = parameters.get("stratum_population")
    if isinstance(stored, Mapping):
        return {h: int(stored.get(h, 0)) for h in STRATA}
    eligible = parameters.get("eligible_plans")
    transition = parameters.get("eligible_transition_plans")
    if eligible is None or transition is None:
        return None
    return {TRANSITION: int(transition), OTHER: int(eligible) - int(transition)}


def plan_estimates(conn: Connection, ctx: Context) -> Figures:
    """Each cycle's weighted all-plans estimate, where its sample took its strata unequally."""
    from qa_app.reporting.measures import _child_voice

    figures = Figures()
    if not ctx.cycle_ids:
        return figures
    samples = {
        cycle_id: parameters or {}
        for cycle_id, parameters in conn.execute(
            select(Sample.cycle_id, Sample.parameters)
            .where(Sample.cycle_id.in_(sorted(ctx.cycle_ids)))
        ).all()
    }
    unequal = sorted(c for c, p in samples.items() if sampled_unequally(p))
    if not unequal:
        return figures
    cv, cv_joined, good = _child_voice()
    by_year = case((FinalGrade.nc_year.in_(ctx.transition_years), TRANSITION), else_=OTHER)
    stratum = func.coalesce(SampleItem.stratum, by_year).label("stratum")
    rows = conn.execute(
        select(FinalGrade.cycle_id, stratum, func.count(),
               func.sum(case((good, 1), else_=0)))
        .select_from(FinalGrade)
        .outerjoin(cv, cv_joined)
        .outerjoin(Sample, Sample.cycle_id == FinalGrade.cycle_id)
        .outerjoin(SampleItem, and_(SampleItem.sample_id == Sample.id,
                                    SampleItem.plan_id == FinalGrade.plan_id))
        .where(FinalGrade.cycle_id.in_(unequal), FinalGrade.plan_id.is_not(None))
        .group_by(FinalGrade.cycle_id, stratum)
    ).all()
    graded: dict[int, dict[str, tuple[int, int]]] = {}
    for cycle_id, name, n, met in rows:
        graded.setdefault(cycle_id, {})[name] = (int(n), int(met or 0))
    for cycle_id in unequal:
        population = stratum_population(samples[cycle_id]) or {}
        strata = [Stratum(population.get(h, 0), *graded.get(cycle_id, {}).get(h, (0, 0)))
                  for h in STRATA]
        estimate = weighted_estimate(strata)
        if estimate is not None:
            figures.weighted[str(cycle_id)] = estimate
    return figures


def add_weighted(rows: list[dict[str, Any]], estimate: WeightedRate | None, rag: Any) -> None:
    """Give every snapshot row the weighted columns (empty but for the partnership's
    all-plans row), and decide that row's status on the weighted figure it shows.

    `rag(rate, low, high, target)` is the status rule the raw rates use; a row the raw
    rule left without a status (no target, or too few plans to judge) keeps none.
    """
    from qa_app.reporting.measures import PLANS

    for row in rows:
        row.update(weighted_rate=None, weighted_low=None, weighted_high=None)
        if estimate is None or (row["measure"], row["scope"], row["breakdown"],
                                row["agency_id"]) != (PLANS, "all", "", None):
            continue
        row.update(weighted_rate=estimate.rate, weighted_low=estimate.low,
                   weighted_high=estimate.high)
        if row["rag"] is not None:
            row["rag"] = rag(estimate.rate, estimate.low, estimate.high, row["target"])
