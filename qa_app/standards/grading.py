"""The one place overall grades are worked out: pure functions of a rubric and its grades.

Best fit, before limiting criteria cap it:

- ``weighted_mean``: the weighted mean of the criterion grades, then either ``down`` (the
  highest scale value at or below the mean) or ``nearest`` (the closest scale value; a mean
  exactly half-way between two values goes to the lower one). Arithmetic is exact
  (fractions of the weights as written, so 0.1 is one tenth), so a mean of exactly 3
  stays 3 and 2.9999 never becomes 3 by accident.
- ``lowest``: the lowest criterion grade.
- ``median``: the median criterion grade, ignoring weights; with an even count the lower
  of the two middle grades, so a split panel never rounds a subject up.

Then every limiting criterion with a grade caps the result: the overall can be no better
than that grade. Criteria graded None are not applicable and take no part at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qa_app.standards.rubric import Criterion, Rubric


class GradingError(ValueError):
    """Grades that cannot be combined under a rubric; the message says which and why."""


@dataclass(frozen=True)
class SubjectContext:
    """What a criterion's `applies_when` looks at: the plan's year and kind, if known."""

    nc_year: int | None = None
    plan_kind: str | None = None


@dataclass(frozen=True)
class OverallResult:
    """The computed overall grade, and an auditor's override with its reason; both are kept."""

    computed: int | None
    override: int | None = None
    override_reason: str | None = None

    @property
    def final(self) -> int | None:
        return self.override if self.override is not None else self.computed

    @property
    def overridden(self) -> bool:
        return self.override is not None


def timeliness_grade(criterion: Criterion, days_late: int) -> int:
    """Grade for advice received `days_late` days after it was due (0 or less is on time)."""
    for band in criterion.bands:
        if band.covers(days_late):
            return band.grade
    raise GradingError(f"criterion {criterion.id!r} has no timeliness bands")


def computed_grades(
    rubric: Rubric, days_late: int | None, ctx: SubjectContext | None = None
) -> dict[str, int | None]:
    """Grades for the computed criteria; None where the data is missing or does not apply.

    Pass ``days_late=None`` for advice not yet received or covered by a statutory exception.
    """
    grades: dict[str, int | None] = {}
    for criterion in rubric.criteria:
        if criterion.kind != "computed":
            continue
        applies = criterion.applies_to_subject(ctx) and days_late is not None
        known = criterion.source == "advice_timeliness" and applies
        grades[criterion.id] = timeliness_grade(criterion, days_late) if known else None
    return grades


def overall_grade(
    rubric: Rubric, grades: Mapping[str, int | None], ctx: SubjectContext | None = None
) -> int | None:
    """Best fit of the applicable grades, capped by limiting criteria; None if none apply.

    Every judged criterion that applies needs an entry (None meaning not applicable); a
    computed criterion left out counts as not applicable. With `ctx`, criteria that do not
    apply to the subject may be left out, and grading one of them is an error.
    """
    applicable = _applicable_grades(rubric, grades, ctx)
    if not applicable:
        return None
    values = [grade for _, grade in applicable]
    method = rubric.overall.method
    if method == "lowest":
        best_fit = min(values)
    elif method == "median":
        best_fit = sorted(values)[(len(values) - 1) // 2]
    else:
        best_fit = _from_weighted_mean(rubric, applicable)
    caps = [grade for criterion, grade in applicable if criterion.limiting]
    return min([best_fit, *caps])


def resolve_overall(
    rubric: Rubric,
    grades: Mapping[str, int | None],
    override: int | None = None,
    reason: str | None = None,
    ctx: SubjectContext | None = None,
) -> OverallResult:
    """Computes the overall grade and checks an auditor's override of it.

    An override needs a written reason, must be on the scale, and cannot lift the subject
    above a limiting criterion (child voice below good keeps the whole subject below good).
    """
    computed = overall_grade(rubric, grades, ctx)
    if override is None:
        return OverallResult(computed)
    _check_on_scale(rubric, "the overridden overall grade", override)
    written = (reason or "").strip()
    if not written:
        raise GradingError("an overridden overall grade needs a written reason")
    for criterion_id, grade in grades.items():
        criterion = rubric.criterion(criterion_id)
        if criterion.limiting and grade is not None and override > grade:
            raise GradingError(
                f"the overall grade cannot be better than limiting criterion "
                f"{criterion.title!r} ({grade} {rubric.label_for(grade)})"
            )
    return OverallResult(computed, override, written)


def is_good_or_better(rubric: Rubric, grade: int | None) -> bool:
    return grade is not None and grade >= rubric.good_or_better


def _applicable_grades(
    rubric: Rubric, grades: Mapping[str, int | None], ctx: SubjectContext | None
) -> list[tuple[Criterion, int]]:
    known = {criterion.id for criterion in rubric.criteria}
    unknown = sorted(set(grades) - known)
    if unknown:
        raise GradingError(f"rubric {rubric.id} has no criterion {', '.join(unknown)}")
    applicable: list[tuple[Criterion, int]] = []
    for criterion in rubric.criteria:
        applies = criterion.applies_to_subject(ctx)
        if criterion.id not in grades:
            if criterion.is_judged and applies:
                raise GradingError(f"no grade for criterion {criterion.id!r} (use None for n/a)")
            continue
        grade = grades[criterion.id]
        if grade is None:
            continue
        if not applies:
            raise GradingError(f"criterion {criterion.id!r} does not apply to this subject")
        _check_on_scale(rubric, f"criterion {criterion.id!r}", grade)
        applicable.append((criterion, grade))
    return applicable


def _check_on_scale(rubric: Rubric, what: str, grade: object) -> None:
    on_scale = isinstance(grade, int) and not isinstance(grade, bool)
    if not on_scale or grade not in rubric.scale_values:
        allowed = ", ".join(str(value) for value in rubric.scale_values)
        raise GradingError(f"{what}: {grade!r} is not on the scale ({allowed})")


def _from_weighted_mean(rubric: Rubric, applicable: list[tuple[Criterion, int]]) -> int:
    total = sum(criterion.exact_weight for criterion, _ in applicable)
    mean = sum(criterion.exact_weight * grade for criterion, grade in applicable) / total
    values = rubric.scale_values
    if rubric.overall.rounding == "nearest":
        return min(values, key=lambda value: (abs(value - mean), value))
    return max(value for value in values if value <= mean)
