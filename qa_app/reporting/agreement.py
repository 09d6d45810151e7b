"""Inter-rater agreement on grade ranks: the tables kappa and Gwet's AC1 are computed from.

A rubric's scale may be any increasing list of values (1,2,3,5 is accepted), so grades are
compared by their rank on the scale, never by their raw values: kappa's quadratic weights
then treat every step between neighbouring grades alike. Criteria a rubric marks
`computed` (worked out from dates, such as advice timeliness) are left out: both auditors
always get the same grade for them, which would flatter agreement.

Kappa falls towards zero, or is undefined, when nearly every grade is the same even if the
auditors almost always agree; Gwet's AC1 does not, so both are shown.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qa_app.reporting.figures import Agreement

DEFAULT_SCALE = (1, 2, 3, 4)
"""For a stored rubric without a scale: the design's default, worst to best."""


@dataclass(frozen=True)
class Scale:
    """What agreement needs from one rubric version: its scale and its computed criteria."""

    values: tuple[int, ...]
    computed: frozenset[str]

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Scale:
        values = sorted(int(level["value"]) for level in body.get("scale") or [])
        computed = {c["id"] for c in body.get("criteria") or [] if c.get("kind") == "computed"}
        return cls(tuple(values) or DEFAULT_SCALE, frozenset(computed))

    def rank(self, value: int) -> int:
        """1 for the worst value on the scale; a value off the scale falls where it sorts."""
        return bisect_left(self.values, value) + 1


def rank_tables(rows: Iterable[tuple[Any, ...]], bodies: Mapping[int, Mapping[str, Any]]
                ) -> list[Agreement]:
    """Rows of (period key, rubric id, rubric version id, criterion id, first grade, second
    grade, pairs), as the GROUP BY gives them (a cycle's rows once for the cycle and once for
    its academic year), merged per period, rubric and criterion into tables of ranks;
    computed criteria are dropped."""
    scales = {version: Scale.of(body) for version, body in bodies.items()}
    tables: dict[tuple[str, str, str], Counter[tuple[int, int]]] = defaultdict(Counter)
    categories: dict[tuple[str, str, str], int] = defaultdict(int)
    for period_key, rubric_id, version_id, criterion_id, one, two, pairs in rows:
        scale = scales[version_id]
        if criterion_id in scale.computed:
            continue
        key = (str(period_key), rubric_id, criterion_id)
        tables[key][(scale.rank(int(one)), scale.rank(int(two)))] += int(pairs)
        categories[key] = max(categories[key], len(scale.values))
    return [
        Agreement(*key, categories[key],
                  tuple((one, two, n) for (one, two), n in sorted(table.items())))
        for key, table in sorted(tables.items())
    ]


def gwet_ac1(cells: Iterable[tuple[int, int, int]], categories: int) -> float | None:
    """Gwet's AC1 for two raters: (observed - chance) / (1 - chance), where chance is
    sum over categories of p(1 - p) / (categories - 1) and p is the share of all grades
    given in that category. None when there are no pairs or fewer than two categories."""
    counts = list(cells)
    pairs = sum(n for _, _, n in counts)
    if pairs <= 0 or categories < 2:
        return None
    observed = sum(n for one, two, n in counts if one == two) / pairs
    given: Counter[int] = Counter()
    for one, two, n in counts:
        given[one] += n
        given[two] += n
    chance = sum((k / (2 * pairs)) * (1 - k / (2 * pairs)) for k in given.values())
    chance /= categories - 1
    return (observed - chance) / (1 - chance)
