"""What the measures produce: counts per period, agency and measure, before statistics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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
    """Sums over pairs of panel auditors' grades for one criterion, from which exact
    agreement and quadratic-weighted kappa follow (see stats.weighted_kappa)."""

    period_key: str
    rubric_id: str
    criterion_id: str
    pairs: int
    agreed: int
    sum_first: int
    sum_second: int
    squares_first: int
    squares_second: int
    squared_differences: int


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


@dataclass
class Figures:
    """Cells keyed (period, measure, scope, breakdown, agency; None for the partnership).

    Period keys never clash: a cycle's is its id, an academic year's has a slash.
    """

    cells: dict[CellKey, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    agreement: list[Agreement] = field(default_factory=list)
    fingerprint: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: defaultdict(list)
    )

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
        for key, parts in other.fingerprint.items():
            self.fingerprint[key].extend(parts)
