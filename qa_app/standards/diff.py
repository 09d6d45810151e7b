"""What a new version of a practice standard or of the targets changes, in plain words,
criterion by criterion (and target by target), for the preview before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_app.standards.rubric import AppliesWhen, Criterion, Rubric
from qa_app.standards.targets import Targets


@dataclass(frozen=True)
class ItemChange:
    """One criterion (or target): `status` is added, removed, changed or unchanged."""

    key: str
    title: str
    status: str
    lines: tuple[str, ...] = ()


@dataclass
class Changes:
    overall: list[str] = field(default_factory=list)
    items: list[ItemChange] = field(default_factory=list)

    def of(self, status: str) -> list[ItemChange]:
        return [item for item in self.items if item.status == status]

    @property
    def any(self) -> bool:
        return bool(self.overall) or any(item.status != "unchanged" for item in self.items)


def _number(value: float) -> str:
    return f"{value:g}"


def _scale(rubric: Rubric) -> str:
    return ", ".join(f"{level.value} {level.label}" for level in rubric.scale)


def _overall_words(rubric: Rubric) -> str:
    method = {"weighted_mean": "weighted average", "lowest": "lowest criterion grade",
              "median": "median criterion grade"}[rubric.overall.method]
    if rubric.overall.method == "weighted_mean":
        method += f", rounded {'down' if rubric.overall.rounding == 'down' else 'to nearest'}"
    return method


def _when(when: AppliesWhen | None) -> str:
    if when is None:
        return "every plan"
    parts = []
    if when.nc_year_min is not None:
        parts.append(f"from year {when.nc_year_min}")
    if when.nc_year_max is not None:
        parts.append(f"up to year {when.nc_year_max}")
    if when.plan_kinds:
        parts.append(" and ".join(k.replace("_", " ") for k in when.plan_kinds) + " plans")
    return ", ".join(parts)


def _changed(label: str, before: Any, after: Any) -> list[str]:
    return [] if before == after else [f"{label}: {before} → {after}"]


def rubric_changes(old: Rubric | None, new: Rubric) -> Changes:
    """Every difference between the current version `old` (None: a new standard) and `new`."""
    changes = Changes()
    if old is None:
        changes.items = [ItemChange(c.id, c.title, "added") for c in new.criteria]
        return changes
    changes.overall += _changed("Title", old.title, new.title)
    changes.overall += _changed("Scores", old.applies_to, new.applies_to)
    changes.overall += _changed("Advice types", ", ".join(old.advice_types) or "none",
                                ", ".join(new.advice_types) or "none")
    changes.overall += _changed("Grades", _scale(old), _scale(new))
    if old.good_or_better != new.good_or_better:
        changes.overall.append(f"Good or better from: {old.good_or_better} → "
                               f"{new.good_or_better}")
    changes.overall += _changed("Overall grade", _overall_words(old), _overall_words(new))
    before = {c.id: c for c in old.criteria}
    after = {c.id: c for c in new.criteria}
    for criterion in new.criteria:
        if criterion.id not in before:
            changes.items.append(ItemChange(criterion.id, criterion.title, "added"))
            continue
        lines = _criterion_lines(before[criterion.id], criterion, old, new)
        changes.items.append(ItemChange(criterion.id, criterion.title,
                                        "changed" if lines else "unchanged", tuple(lines)))
    changes.items += [ItemChange(c.id, c.title, "removed") for c in old.criteria
                      if c.id not in after]
    return changes


def _criterion_lines(old: Criterion, new: Criterion, old_rubric: Rubric,
                     new_rubric: Rubric) -> list[str]:
    lines = _changed("Title", old.title, new.title)
    lines += _changed("Section", old.section or "none", new.section or "none")
    lines += _changed("Weight", _number(old.weight), _number(new.weight))
    lines += _changed("Limiting", "yes" if old.limiting else "no", "yes" if new.limiting else "no")
    lines += _changed("Graded by", _kind(old), _kind(new))
    lines += _changed("Applies to", _when(old.applies_when), _when(new.applies_when))
    if old.bands != new.bands:
        lines.append("Lateness bands changed")
    for value in sorted(set(old.descriptors) | set(new.descriptors)):
        label = _label(new_rubric, value) or _label(old_rubric, value) or str(value)
        if value not in new.descriptors:
            lines.append(f"Descriptor for {label} removed")
        elif value not in old.descriptors:
            lines.append(f"Descriptor for {label} added")
        elif old.descriptors[value] != new.descriptors[value]:
            lines.append(f"Descriptor for {label} reworded")
    if old.guidance != new.guidance:
        lines.append("Guidance reworded")
    return lines


def _kind(criterion: Criterion) -> str:
    return "the auditor" if criterion.is_judged else "the advice dates"


def _label(rubric: Rubric, value: int) -> str | None:
    try:
        return rubric.label_for(value)
    except KeyError:
        return None


_SETTINGS = (
    ("advice_deadline_days", "Advice deadline (days)"),
    ("assessment_deadline_weeks", "Assessment deadline (weeks)"),
    ("response_deadline_working_days", "Response deadline (working days)"),
    ("amber_margin_points", "Amber margin (points)"),
    ("min_n", "Fewest records to judge a rate"),
)


def targets_changes(old: Targets | None, new: Targets) -> Changes:
    """Every difference between the targets in use and the uploaded ones, target by target."""
    changes = Changes()
    if old is None:
        changes.items = [ItemChange(f"{t.measure}:{t.scope}", _target_title(t.measure, t.scope),
                                    "added") for t in new.targets]
        return changes
    for attribute, label in _SETTINGS:
        changes.overall += _changed(label, _plain(getattr(old, attribute)),
                                    _plain(getattr(new, attribute)))
    changes.overall += _changed("Transition years", _years(old.transition_years),
                                _years(new.transition_years))
    for attribute, label in (("cycles", "Late: cycles in a row"),
                             ("on_time_rate_below", "Late: on-time rate below (%)"),
                             ("min_advice", "Late: least advice in a cycle")):
        changes.overall += _changed(label, _plain(getattr(old.consistently_late, attribute)),
                                    _plain(getattr(new.consistently_late, attribute)))
    before = {(t.measure, t.scope): t for t in old.targets}
    after = {(t.measure, t.scope): t for t in new.targets}
    for key, target in after.items():
        title = _target_title(*key)
        if key not in before:
            changes.items.append(ItemChange(":".join(key), title, "added"))
            continue
        lines = []
        old_years = before[key].by_year
        for year in sorted(set(old_years) | set(target.by_year)):
            if year not in target.by_year:
                lines.append(f"{year}: {_plain(old_years[year])}% removed")
            elif year not in old_years:
                lines.append(f"{year}: {_plain(target.by_year[year])}% added")
            elif old_years[year] != target.by_year[year]:
                lines.append(f"{year}: {_plain(old_years[year])}% → "
                             f"{_plain(target.by_year[year])}%")
        changes.items.append(ItemChange(":".join(key), title,
                                        "changed" if lines else "unchanged", tuple(lines)))
    changes.items += [ItemChange(":".join(key), _target_title(*key), "removed")
                      for key in before if key not in after]
    return changes


def _plain(value: float | int) -> str:
    return _number(float(value))


def _years(years: tuple[int, ...]) -> str:
    return ", ".join(str(y) for y in years) or "none"


def _target_title(measure: str, scope: str) -> str:
    return f"{measure.replace('_', ' ').capitalize()} ({scope.replace('_', ' ')})"
