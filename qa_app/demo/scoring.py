"""Plausible auditors' criterion grades and evidence notes, drawn from a rubric and a seed."""

from __future__ import annotations

import random
from collections.abc import Mapping

from qa_app.standards.grading import SubjectContext, computed_grades, overall_grade
from qa_app.standards.rubric import Criterion, Rubric

Grades = dict[str, int | None]

WEAK_NOTES: Mapping[str, tuple[str, ...]] = {
    "child_voice": (
        "Views are recorded second-hand by adults; nothing shows the child was asked.",
        "Child's views are generic and not linked to any outcome.",
    ),
    "aspirations": (
        "Aspirations are vague and not connected to the outcomes.",
        "Interests are listed but copied from earlier paperwork.",
    ),
    "educational_needs": ("Needs are described as a diagnosis only; advice not reflected.",),
    "health_needs": ("Health needs rely on an old report and lack detail.",),
    "social_care_needs": ("Social care section blank with no explanation.",),
    "needs": (
        "Needs described in general terms without dates or sources.",
        "Assessment is out of date and does not describe current needs.",
    ),
    "outcomes": (
        "Outcomes are broad and not time-bound.",
        "Outcomes describe services rather than what will change for the child.",
    ),
    "education_provision": (
        "Provision lacks hours per week and who will deliver it.",
        "Provision uses 'access to' and 'regular' without quantities.",
    ),
    "health_provision": ("Health provision lists therapy without frequency or duration.",),
    "social_care_provision": ("Short breaks mentioned but not specified.",),
    "provision": (
        "Recommendations are not specific or quantified.",
        "Recommendations repeat generic strategies with no frequency or staffing.",
    ),
    "placement": ("Placement named without the type of setting or reasons.",),
    "personal_budget": ("No record of whether a personal budget was discussed.",),
    "advice_and_information": ("Section K list is incomplete; one advice report missing.",),
    "preparation_for_adulthood": ("Preparation for adulthood not addressed despite year 9+.",),
    "next_steps": ("No review date or named professional for next steps.",),
}
GENERIC_NOTE = "Evidence falls short of the descriptor for Good."
MODERATION_REASON = "Chair moderated: evidence supports the lower grade"


def target_grade(rng: random.Random, rubric: Rubric, good: bool) -> int:
    """An overall grade to aim at, on the chosen side of good; now and then an extreme."""
    values = rubric.scale_values
    above = [v for v in values if v >= rubric.good_or_better]
    below = [v for v in values if v < rubric.good_or_better]
    if good or not below:
        return above[-1] if len(above) > 1 and rng.random() < 0.18 else above[0]
    return below[0] if len(below) > 1 and rng.random() < 0.15 else below[-1]


def _step(rubric: Rubric, grade: int, direction: int) -> int:
    values = list(rubric.scale_values)
    return values[max(0, min(len(values) - 1, values.index(grade) + direction))]


def first_opinion(
    rng: random.Random,
    rubric: Rubric,
    ctx: SubjectContext,
    days_late: int | None,
    good: bool,
    weak_voice: bool = False,
) -> Grades:
    """Criterion grades scattered around a drawn target, nudged until the overall matches it.

    With `weak_voice` the limiting criteria (child voice) fall below good, capping a subject
    whose other criteria are good.
    """
    target = target_grade(rng, rubric, good or weak_voice)
    grades: Grades = dict(computed_grades(rubric, days_late, ctx))
    judged = [c for c in rubric.criteria if c.is_judged]
    for criterion in judged:
        noise = rng.choices((-1, 0, 1), weights=(0.12, 0.63, 0.25))[0]
        applies = criterion.applies_to_subject(ctx)
        grades[criterion.id] = _step(rubric, target, noise) if applies else None
    below_good = _step(rubric, rubric.good_or_better, -1)
    for criterion in judged:
        grade = grades[criterion.id]
        if criterion.limiting and grade is not None:
            grades[criterion.id] = min(grade, below_good) if weak_voice else max(grade, target)
    if weak_voice:
        target = min(target, below_good)
    adjustable = [c.id for c in judged if not c.limiting and grades[c.id] is not None]
    _nudge(rng, rubric, ctx, grades, adjustable, target)
    return grades


def _nudge(
    rng: random.Random,
    rubric: Rubric,
    ctx: SubjectContext,
    grades: Grades,
    adjustable: list[str],
    target: int,
) -> None:
    """Move the lowest (or highest) adjustable grade one step until the overall hits target."""
    for _ in range(len(adjustable) * len(rubric.scale)):
        overall = overall_grade(rubric, grades, ctx)
        if overall is None or overall == target:
            return
        direction = 1 if overall < target else -1
        current = {key: grade for key in adjustable if (grade := grades[key]) is not None}
        movable = {k: g for k, g in current.items() if _step(rubric, g, direction) != g}
        if not movable:
            return
        extreme = (min if direction > 0 else max)(movable.values())
        chosen = rng.choice([k for k, g in movable.items() if g == extreme])
        grades[chosen] = _step(rubric, extreme, direction)


def second_opinion(
    rng: random.Random, rubric: Rubric, first: Grades, p_differ: float = 0.05
) -> Grades:
    """A second auditor mostly agrees; now and then one judged criterion is a grade apart."""
    second = dict(first)
    for criterion in rubric.criteria:
        grade = first.get(criterion.id)
        if criterion.is_judged and grade is not None and rng.random() < p_differ:
            second[criterion.id] = _step(rubric, grade, -1 if rng.random() < 0.5 else 1)
    return second


def evidence(
    rng: random.Random,
    rubric: Rubric,
    criterion: Criterion,
    grade: int | None,
    days_late: int | None,
) -> str | None:
    """A short, generic note for every grade below good (never names or identifying details)."""
    if grade is None or grade >= rubric.good_or_better:
        return None
    if criterion.kind == "computed":
        return f"Advice received {days_late} days after the due date."
    return rng.choice(WEAK_NOTES.get(criterion.id, (GENERIC_NOTE,)))


def lower_of(first: Grades, second: Grades) -> dict[str, int]:
    """The final per-criterion grade: the lower of two auditors' grades, skipping n/a."""
    return {
        key: min(a, b)
        for key, a in first.items()
        if a is not None and (b := second.get(key)) is not None
    }
