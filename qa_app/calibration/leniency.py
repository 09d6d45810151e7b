"""Leniency: how far an auditor's grades sit from the grade the panel agreed.

For each criterion both graded, the difference is the auditor's grade minus the agreed grade,
counted in steps on the rubric's scale (ranks, as agreement is: a 1,2,3,5 scale is read as
1,2,3,4). Leniency is the mean of those differences. Positive means the auditor grades more
generously than the panel; negative, more severely; zero, on average the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qa_app.reporting.agreement import Scale


def steps(scale_values: Sequence[int], grade: int, reference: int) -> int:
    """Steps on the scale from the agreed grade to the auditor's (positive = more generous)."""
    scale = Scale(tuple(sorted(scale_values)), frozenset())
    return scale.rank(grade) - scale.rank(reference)


def leniency(differences: Iterable[int]) -> float | None:
    """The mean difference; None when nothing was compared."""
    values = list(differences)
    if not values:
        return None
    return sum(values) / len(values)
