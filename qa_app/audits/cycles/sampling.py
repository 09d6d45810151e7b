"""The sampling rules as pure functions, so a draw can be reproduced and tested without a database.

`draw` picks plans from an eligible population with `random.Random(seed)`; `sample_size`
says how many plans a rate needs for a chosen margin of error.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from qa_app.audits.errors import SamplingError
from qa_app.cells import safe_row

Z_95 = Fraction("1.96")
MAX_SEED = 2**31 - 1
TRANSITION = "transition_year"
OTHER = "other"
REAUDIT = "reaudit"
"""The stratum of a re-audit place: amended work added beside the random sample (see
qa_app/reaudit/), never part of it, so no rate counts it as randomly drawn."""


@dataclass(frozen=True)
class AdviceCandidate:
    id: int
    ref: str
    agency: str
    advice_type: str


@dataclass(frozen=True)
class PlanCandidate:
    """An eligible plan with the advice that would be audited with it."""

    id: int
    ref: str
    nc_year: int
    agency: str
    advice: tuple[AdviceCandidate, ...] = ()


@dataclass(frozen=True)
class DrawParameters:
    size: int
    seed: int
    transition_share: float = 0.3
    transition_years: tuple[int, ...] = (5, 9)
    include_advice: bool = True
    min_advice_per_agency: int = 1

    def check(self) -> None:
        if self.size < 1:
            raise SamplingError("The sample size must be at least 1 plan")
        if not 0 <= self.seed <= MAX_SEED:
            raise SamplingError(f"The seed must be a whole number from 0 to {MAX_SEED}")
        if not 0 <= self.transition_share <= 1:
            raise SamplingError("The transition-year share must be between 0% and 100%")
        if self.min_advice_per_agency < 0:
            raise SamplingError("The advice per agency cannot be negative")


@dataclass(frozen=True)
class AgencyAddition:
    agency: str
    plan_ref: str
    replaced_ref: str | None


@dataclass
class Draw:
    """The chosen plans (by ref), the advice to audit with them, and how the draw went."""

    plans: list[tuple[PlanCandidate, str]]
    advice: list[tuple[AdviceCandidate, str]]
    eligible: int
    eligible_transition: int
    transition_target: int
    additions: list[AgencyAddition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def strata(self) -> dict[str, int]:
        counts = Counter(stratum for _, stratum in self.plans)
        counts.update(stratum for _, stratum in self.advice)
        return dict(sorted(counts.items()))

    @property
    def advice_by_agency(self) -> dict[str, int]:
        return dict(sorted(Counter(a.agency for a, _ in self.advice).items()))


def plan_stratum(nc_year: int, transition_years: Iterable[int]) -> str:
    return TRANSITION if nc_year in set(transition_years) else OTHER


def transition_share(params: DrawParameters, transition: int, eligible: int) -> Fraction:
    """The least share of the sample given to transition-year plans: the setting, or their
    share of the eligible plans when that is larger, so they are never under-sampled."""
    setting = Fraction(str(params.transition_share))
    return max(setting, Fraction(transition, eligible)) if eligible else setting


def draw(population: Sequence[PlanCandidate], params: DrawParameters) -> Draw:
    """A stratified draw that depends only on the population, the seed and the parameters.

    Plans are ordered by reference before any random choice, so the database's row order
    or collation never changes the result.
    """
    params.check()
    plans = sorted(population, key=lambda p: p.ref)
    if not plans:
        raise SamplingError("No plans are eligible for this cycle, so there is nothing to draw")
    rng = random.Random(params.seed)
    years = set(params.transition_years)
    transition = [p for p in plans if p.nc_year in years]
    other = [p for p in plans if p.nc_year not in years]
    notes: list[str] = []
    size = params.size
    if size > len(plans):
        notes.append(f"Only {len(plans)} plans are eligible, so all of them are in the sample "
                     f"(you asked for {size}).")
        size = len(plans)
    wanted = math.ceil(transition_share(params, len(transition), len(plans)) * size)
    if Fraction(len(transition), len(plans)) > Fraction(str(params.transition_share)):
        notes.append(f"Transition-year plans are {len(transition)} of the {len(plans)} eligible "
                     f"plans, more than the {float(params.transition_share):.0%} setting, so "
                     "the sample takes at least their share of the population.")
    target = min(wanted, len(transition))
    if target < wanted:
        notes.append(f"Only {len(transition)} transition-year plans are eligible: all of them "
                     "are in the sample.")
    n_transition = max(target, size - len(other))
    chosen = rng.sample(transition, n_transition) + rng.sample(other, size - n_transition)
    additions: list[AgencyAddition] = []
    if params.include_advice and params.min_advice_per_agency > 0:
        additions = _represent_agencies(rng, plans, chosen, params, target)
        grown = len(chosen) - size
        if grown:
            notes.append(f"{grown} plan(s) were added beyond the requested size so that every "
                         "agency's advice is represented; no plan could be swapped without "
                         "losing another agency or the transition-year share.")
    chosen.sort(key=lambda p: p.ref)
    chosen_plans = [(p, plan_stratum(p.nc_year, years)) for p in chosen]
    advice = [
        (a, f"advice:{a.advice_type}")
        for p in chosen
        for a in sorted(p.advice, key=lambda a: a.ref)
    ] if params.include_advice else []
    return Draw(chosen_plans, advice, len(plans), len(transition), target, additions, notes)


def _agency_counts(plans: Iterable[PlanCandidate]) -> Counter[str]:
    return Counter(a.agency for p in plans for a in p.advice)


def _represent_agencies(
    rng: random.Random,
    plans: list[PlanCandidate],
    chosen: list[PlanCandidate],
    params: DrawParameters,
    transition_target: int,
) -> list[AgencyAddition]:
    """Swap in (or, failing that, add) plans until each agency has its minimum advice.

    A swap never takes an agency below its minimum, never lowers an agency that is still
    short, and never takes the transition-year plans below their target, so every step
    shrinks the total shortfall and the loop ends.
    """
    years = set(params.transition_years)
    available = _agency_counts(plans)
    needed = {agency: min(params.min_advice_per_agency, n) for agency, n in available.items()}
    writers: dict[str, dict[int, PlanCandidate]] = {}
    for plan in plans:
        for advice in plan.advice:
            writers.setdefault(advice.agency, {})[plan.id] = plan
    additions: list[AgencyAddition] = []
    while True:
        counts = _agency_counts(chosen)
        short = sorted(agency for agency, n in needed.items() if counts[agency] < n)
        if not short:
            return additions
        agency = short[0]
        chosen_ids = {p.id for p in chosen}
        pool = [p for p in writers[agency].values() if p.id not in chosen_ids]
        newcomer = rng.choice(pool)
        n_transition = sum(1 for p in chosen if p.nc_year in years)
        gained = _agency_counts([newcomer])
        swappable = []
        for old in chosen:
            if old.nc_year in years and newcomer.nc_year not in years and (
                    n_transition - 1 < transition_target):
                continue
            after = counts - _agency_counts([old]) + gained
            if after[agency] > counts[agency] and all(
                after[a] >= min(counts[a], needed[a]) for a in needed
            ):
                swappable.append(old)
        same = [p for p in swappable if (p.nc_year in years) == (newcomer.nc_year in years)]
        choices = same or swappable
        replaced = rng.choice(choices) if choices else None
        if replaced is not None:
            chosen.remove(replaced)
        chosen.append(newcomer)
        additions.append(AgencyAddition(agency, newcomer.ref, replaced.ref if replaced else None))


@dataclass(frozen=True)
class SampleSize:
    """The plans needed for a rate within ±margin at 95% confidence, with the working."""

    margin: Fraction
    proportion: Fraction
    population: int | None
    n0: Fraction
    n_exact: Fraction
    n: int

    def working(self) -> str:
        p, e = _show(self.proportion), _show(self.margin)
        text = f"n0 = 1.96² × {p} × (1 − {p}) / {e}² = {float(self.n0):.2f}"
        if self.population is not None:
            text += (f"; n = n0 / (1 + (n0 − 1) / {self.population}) = "
                     f"{float(self.n_exact):.2f}")
        return text + f", rounded up to {self.n}"


def _show(value: Fraction) -> str:
    return f"{float(value):g}"


def sample_size(
    margin: float | str | Fraction,
    population: int | None = None,
    proportion: float | str | Fraction = "0.5",
) -> SampleSize:
    """n0 = z² p (1 − p) / e², then n = n0 / (1 + (n0 − 1) / N), rounded up.

    Exact fractions are used so a figure that is a whole number is not rounded up by a
    floating-point crumb. `margin` and `proportion` are fractions (0.10 for ±10 points).
    """
    e = Fraction(str(margin)) if not isinstance(margin, Fraction) else margin
    p = Fraction(str(proportion)) if not isinstance(proportion, Fraction) else proportion
    if not 0 < e < 1:
        raise SamplingError("The margin of error must be more than 0 and less than 100 points")
    if not 0 < p < 1:
        raise SamplingError("The expected rate must be more than 0% and less than 100%")
    if population is not None and population < 1:
        raise SamplingError("The population must be at least 1 plan")
    n0 = Z_95**2 * p * (1 - p) / e**2
    exact = n0 if population is None else n0 / (1 + (n0 - 1) / population)
    n = max(1, math.ceil(exact))
    if population is not None:
        n = min(n, population)
    return SampleSize(e, p, population, n0, exact, n)


def parse_rate(text: str | float, what: str) -> Fraction:
    """A rate typed as a fraction (0.8) or in percent (80); returned as a fraction."""
    try:
        value = Fraction(str(text).strip().rstrip("%").strip())
    except (ValueError, ZeroDivisionError):
        raise SamplingError(f"The {what} must be a number, such as 10 or 0.1, not {text!r}")\
            from None
    return value if value < 1 else value / 100


EXPORT_HEADER = ("plan_ref", "advice_ref", "stratum", "nc_year", "transition_year", "agency",
                 "advice_type")


@dataclass(frozen=True)
class ExportRow:
    plan_ref: str
    advice_ref: str
    stratum: str
    nc_year: int
    transition_year: bool
    agency: str
    advice_type: str

    def cells(self) -> list[str]:
        return [self.plan_ref, self.advice_ref, self.stratum, str(self.nc_year),
                "yes" if self.transition_year else "no", self.agency, self.advice_type]


def export_csv(rows: Iterable[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(EXPORT_HEADER))
    for row in rows:
        writer.writerow(safe_row(row.cells()))
    return out.getvalue()
