"""What the measures produce: counts per period, agency and measure, before statistics."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import astuple, dataclass, field
from datetime import date

from qa_app.reporting.periods import ACADEMIC_YEAR, Period


@dataclass(frozen=True)
class Count:
    """One cell of a measure: `n` counted, `good` of them meeting it, `excluded` left out."""

    period_key: str
    measure: str
    scope: str
    breakdown: str
    agency_id: int | None
    n: int
    good: int
    excluded: int = 0


@dataclass(frozen=True)
class Agreement:
    """Pairs of panel auditors' grades for one criterion as a table of ranks on the rubric's
    scale (1 for its worst value, so 1,2,3,5 is read as 1,2,3,4): `cells` holds (first
    auditor's rank, second's, pairs), `categories` the scale's length. Exact agreement,
    quadratic-weighted kappa (see stats.weighted_kappa, from the sums below) and Gwet's
    AC1 (reporting/agreement.py) follow from it."""

    period_key: str
    rubric_id: str
    criterion_id: str
    categories: int
    cells: tuple[tuple[int, int, int], ...]

    @property
    def pairs(self) -> int:
        return sum(n for _, _, n in self.cells)

    @property
    def agreed(self) -> int:
        return sum(n for one, two, n in self.cells if one == two)

    @property
    def sum_first(self) -> int:
        return sum(one * n for one, _, n in self.cells)

    @property
    def sum_second(self) -> int:
        return sum(two * n for _, two, n in self.cells)

    @property
    def squares_first(self) -> int:
        return sum(one * one * n for one, _, n in self.cells)

    @property
    def squares_second(self) -> int:
        return sum(two * two * n for _, two, n in self.cells)

    @property
    def squared_differences(self) -> int:
        return sum((one - two) ** 2 * n for one, two, n in self.cells)


@dataclass(frozen=True)
class Context:
    """What the measures are counted for: periods of either kind, and the rules they use."""

    periods: tuple[Period, ...]
    as_of: date
    transition_years: tuple[int, ...]
    assessment_days: int

    @property
    def cycle_ids(self) -> set[int]:
        return {p.cycle_id for p in self.periods if p.cycle_id is not None}

    @property
    def years(self) -> set[str]:
        return {p.key for p in self.periods if p.kind == ACADEMIC_YEAR}

    def keys_for(self, cycle_id: int | None, academic_year: str) -> list[str]:
        """The periods a final grade counts in: its cycle's and its academic year's."""
        keys = [str(cycle_id)] if cycle_id in self.cycle_ids else []
        return keys + ([academic_year] if academic_year in self.years else [])


CellKey = tuple[str, str, str, str, int | None]


@dataclass(frozen=True)
class WeightedRate:
    """A cycle's stratum-weighted all-plans rate and its 95% interval, in percent
    (see reporting/weighting.py)."""

    rate: float
    low: float
    high: float


@dataclass
class Figures:
    """Cells keyed (period, measure, scope, breakdown, agency; None for the partnership).

    Period keys never clash: a cycle's is its id, an academic year's has a slash.
    """

    cells: dict[CellKey, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    agreement: list[Agreement] = field(default_factory=list)
    weighted: dict[str, WeightedRate] = field(default_factory=dict)

    def add(self, period_key: str, measure: str, scope: str, breakdown: str, agency_id: int,
            n: int, good: int, excluded: int = 0) -> None:
        """Count for the agency and, in the same stroke, for the partnership."""
        for who in (agency_id, None):
            cell = self.cells[(period_key, measure, scope, breakdown, who)]
            cell[0] += n
            cell[1] += good
            cell[2] += excluded

    @property
    def counts(self) -> list[Count]:
        """Every cell with something counted or excluded."""
        return [Count(*key, n, good, excluded)
                for key, (n, good, excluded) in self.cells.items() if n or excluded]

    def counts_by_period(self) -> dict[str, list[Count]]:
        grouped: dict[str, list[Count]] = defaultdict(list)
        for count in self.counts:
            grouped[count.period_key].append(count)
        return grouped

    def extend(self, other: Figures) -> None:
        for key, (n, good, excluded) in other.cells.items():
            cell = self.cells[key]
            cell[0] += n
            cell[1] += good
            cell[2] += excluded
        self.agreement.extend(other.agreement)
        self.weighted.update(other.weighted)

    def canonical(self, period_key: str) -> list[str]:
        """Every figure of one period as sorted JSON lines: what its inputs hash covers."""
        lines = [json.dumps(["cell", *key, *values], default=str)
                 for key, values in self.cells.items()
                 if key[0] == period_key and (values[0] or values[2])]
        lines += [json.dumps(["agreement", row.rubric_id, row.criterion_id, row.categories,
                              sorted(row.cells)])
                  for row in self.agreement if row.period_key == period_key]
        lines += [json.dumps(["weighted", *astuple(row)])
                  for key, row in self.weighted.items() if key == period_key]
        return sorted(lines)
