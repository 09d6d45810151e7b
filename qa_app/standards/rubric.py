"""Practice-standard rubrics as immutable typed objects, built only from fully validated data."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from qa_app.standards.yaml_lines import (
    Checker,
    KeyPath,
    RubricError,
    RubricProblem,
    parse_document,
    read_document,
    read_text_file,
)

__all__ = ["RubricError", "RubricProblem"]  # re-exported: the app imports them from here

APPLIES_TO = ("plan", "advice")
KINDS = ("judged", "computed")
KNOWN_SOURCES = ("advice_timeliness",)
OVERALL_METHODS = ("weighted_mean", "lowest", "median")
ROUNDINGS = ("down", "nearest")
PLAN_KINDS = ("new", "annual_review")
RUBRIC_ID = (r"[a-z0-9][a-z0-9-]*", "lower-case letters, digits and hyphens")
CRITERION_ID = (r"[a-z0-9][a-z0-9_]*", "lower-case letters, digits and underscores")
ADVICE_TYPE = CRITERION_ID


class SubjectLike(Protocol):
    @property
    def nc_year(self) -> int | None: ...

    @property
    def plan_kind(self) -> str | None: ...


@dataclass(frozen=True)
class ScaleLevel:
    value: int
    label: str


@dataclass(frozen=True)
class Overall:
    method: str = "weighted_mean"
    rounding: str = "down"


@dataclass(frozen=True)
class Band:
    """Advice at most `max_days_late` days late earns `grade`; no maximum means any lateness."""

    grade: int
    max_days_late: int | None = None

    def covers(self, days_late: int) -> bool:
        return self.max_days_late is None or days_late <= self.max_days_late


@dataclass(frozen=True)
class AppliesWhen:
    """Limits a criterion to some subjects; an unknown year or plan kind counts as a match."""

    nc_year_min: int | None = None
    nc_year_max: int | None = None
    plan_kinds: tuple[str, ...] = ()

    def matches(self, ctx: SubjectLike) -> bool:
        year, kind = ctx.nc_year, ctx.plan_kind
        if year is not None and self.nc_year_min is not None and year < self.nc_year_min:
            return False
        if year is not None and self.nc_year_max is not None and year > self.nc_year_max:
            return False
        return not (kind is not None and self.plan_kinds and kind not in self.plan_kinds)


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    section: str = ""
    weight: float = 1.0
    limiting: bool = False
    kind: str = "judged"
    source: str | None = None
    bands: tuple[Band, ...] = ()
    applies_when: AppliesWhen | None = None
    descriptors: Mapping[int, str] = field(default_factory=dict, hash=False)
    guidance: str = ""

    @property
    def is_judged(self) -> bool:
        return self.kind == "judged"

    @property
    def exact_weight(self) -> Fraction:
        """The weight as the decimal written in the file, so 0.1 is exactly 1/10.

        YAML hands the weight over as a binary float; its shortest repr gives back the
        written decimal exactly for any weight of up to 15 significant digits.
        """
        return Fraction(repr(self.weight))

    def applies_to_subject(self, ctx: SubjectLike | None) -> bool:
        return ctx is None or self.applies_when is None or self.applies_when.matches(ctx)


@dataclass(frozen=True)
class Rubric:
    id: str
    title: str
    version: str
    applies_to: str
    advice_types: tuple[str, ...]
    scale: tuple[ScaleLevel, ...]
    good_or_better: int
    overall: Overall
    criteria: tuple[Criterion, ...]

    @property
    def scale_values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.scale)

    @cached_property
    def content_hash(self) -> str:
        """Hash of the parsed content: comment and layout edits leave it unchanged."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def label_for(self, value: int) -> str:
        for level in self.scale:
            if level.value == value:
                return level.label
        raise KeyError(f"{value!r} is not on the scale of rubric {self.id}")

    def value_for_label(self, text: str) -> int | None:
        """Reads a grade as typed in a spreadsheet: a label in any case, or the number itself."""
        wanted = text.strip()
        for level in self.scale:
            if level.label.casefold() == wanted.casefold() or wanted == str(level.value):
                return level.value
        return None

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(f"rubric {self.id} has no criterion {criterion_id!r}")

    def criteria_for(self, ctx: SubjectLike | None) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.applies_to_subject(ctx))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (lists, string keys, no empty keys) that `from_dict` accepts."""
        return _prune(json.loads(json.dumps(asdict(self))))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<stored rubric>") -> Rubric:
        """Rebuilds a rubric from `to_dict` output, checking it as strictly as a file."""
        return read_document(dict(data), Checker(source), _read_rubric)


def _prune(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _prune(v) for k, v in data.items() if v not in (None, [], {})}
    return [_prune(item) for item in data] if isinstance(data, list) else data


def parse_rubric(text: str, filename: str) -> Rubric:
    return parse_document(text, filename, _read_rubric, "a rubric (id, title, version, ...)")


def load_rubric(path: Path) -> Rubric:
    return parse_rubric(read_text_file(path), str(path))


def validate_rubric_files(paths: Iterable[Path | str]) -> list[RubricProblem]:
    """Every problem in every file; a folder means its *.yaml files; targets.yaml is targets."""
    from qa_app.standards.targets import load_targets

    problems: list[RubricProblem] = []
    seen: dict[str, str] = {}
    for path in _expand(paths):
        try:
            if path.name == "targets.yaml":
                load_targets(path)
                continue
            rubric = load_rubric(path)
        except RubricError as exc:
            problems.extend(exc.problems)
            continue
        if rubric.id in seen:
            message = f"rubric id {rubric.id!r} is already used by {seen[rubric.id]}"
            problems.append(RubricProblem(str(path), None, "id", message))
        seen.setdefault(rubric.id, str(path))
    return problems


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    expanded: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            expanded.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            expanded.append(path)
    return expanded


def _read_rubric(data: Any, check: Checker) -> Rubric | None:
    required = ("id", "title", "version", "applies_to", "scale", "good_or_better", "criteria")
    top = check.mapping(data, (), required, optional=("advice_types", "overall"))
    if top is None:
        return None
    rubric_id = check.get(top, "id", (), lambda v, p: check.string(v, p, RUBRIC_ID))
    title = check.get(top, "title", (), check.string)
    version = check.get(top, "version", (), check.string)
    applies_to = check.get(top, "applies_to", (), lambda v, p: check.choice(v, p, APPLIES_TO))
    advice_types = _read_advice_types(top.get("advice_types", []), applies_to, check)
    scale = check.get(top, "scale", (), lambda v, p: _read_scale(v, p, check))
    values = {level.value for level in scale} if scale else None
    good = check.get(top, "good_or_better", (), check.integer)
    if good is not None and values is not None and good not in values:
        check.add(("good_or_better",), f"{good} is not a value on the scale")
    overall = _read_overall(top.get("overall", {}), ("overall",), check)
    criteria = check.get(top, "criteria", (), lambda v, p: _read_criteria(v, p, values, check))
    if check.problems:
        return None
    assert rubric_id and title and version and applies_to and scale and overall
    assert good is not None and criteria is not None and advice_types is not None
    return Rubric(
        rubric_id, title, version, applies_to, advice_types, scale, good, overall, criteria
    )


def _read_advice_types(raw: Any, applies_to: str | None, check: Checker) -> tuple[str, ...]:
    path: KeyPath = ("advice_types",)
    items = check.sequence(raw, path, non_empty=False) or []
    types = [check.string(item, (*path, i), ADVICE_TYPE) for i, item in enumerate(items)]
    if len(set(types)) != len(types):
        check.add(path, "lists an advice type more than once")
    if applies_to == "advice" and not items:
        check.add(path, "an advice rubric must name the advice types it scores")
    if applies_to == "plan" and items:
        check.add(path, "a plan rubric must not name advice types (use [] or leave it out)")
    return tuple(t for t in types if t)


def _read_scale(raw: Any, path: KeyPath, check: Checker) -> tuple[ScaleLevel, ...] | None:
    before = len(check.problems)
    levels: list[ScaleLevel] = []
    for here, level in check.records(raw, path, required=("value", "label")):
        value = check.get(level, "value", here, check.integer)
        label = check.get(level, "label", here, check.string)
        if value is None or label is None:
            continue
        if levels and value <= levels[-1].value:
            check.add((*here, "value"), "scale values must increase from worst to best")
        if label.casefold() in {known.label.casefold() for known in levels}:
            check.add((*here, "label"), f"label {label!r} is used twice")
        levels.append(ScaleLevel(value, label))
    if isinstance(raw, list) and len(raw) == 1:
        check.add(path, "a scale needs at least two levels")
    return tuple(levels) if len(check.problems) == before else None


def _read_overall(raw: Any, path: KeyPath, check: Checker) -> Overall | None:
    overall = check.mapping(raw, path, required=(), optional=("method", "rounding"))
    if overall is None:
        return None
    method = check.get(overall, "method", path, lambda v, p: check.choice(v, p, OVERALL_METHODS))
    rounding = check.get(overall, "rounding", path, lambda v, p: check.choice(v, p, ROUNDINGS))
    if method not in (None, "weighted_mean") and rounding == "nearest":
        check.add((*path, "rounding"), f"rounding applies only to weighted_mean, not {method}")
    if ("method" in overall and method is None) or ("rounding" in overall and rounding is None):
        return None
    return Overall(method or "weighted_mean", rounding or "down")


def _read_criteria(
    raw: Any, path: KeyPath, values: set[int] | None, check: Checker
) -> tuple[Criterion, ...]:
    before = len(check.problems)
    criteria: list[Criterion] = []
    for here, item in check.records(raw, path, required=("id", "title"), optional=_OPTIONAL):
        criterion = _read_criterion(item, here, values, check)
        if criterion is None:
            continue
        if criterion.id in {known.id for known in criteria}:
            check.add((*here, "id"), f"criterion id {criterion.id!r} is used twice")
        criteria.append(criterion)
    if len(check.problems) == before and criteria and not any(c.is_judged for c in criteria):
        check.add(path, "needs at least one judged criterion for an auditor to grade")
    return tuple(criteria)


_OPTIONAL = (
    "section", "weight", "limiting", "kind", "source", "bands",
    "applies_when", "descriptors", "guidance",
)  # fmt: skip


def _read_criterion(
    item: dict[str, Any], here: KeyPath, values: set[int] | None, check: Checker
) -> Criterion | None:
    before = len(check.problems)
    criterion_id = check.get(item, "id", here, lambda v, p: check.string(v, p, CRITERION_ID))
    title = check.get(item, "title", here, check.string)
    section = check.get(item, "section", here, lambda v, p: _free_text(v, p, check), "")
    weight = check.get(item, "weight", here, lambda v, p: _read_weight(v, p, check), 1.0)
    limiting = check.get(item, "limiting", here, check.boolean, False)
    kind = check.get(item, "kind", here, lambda v, p: check.choice(v, p, KINDS), "judged")
    guidance = check.get(item, "guidance", here, lambda v, p: _free_text(v, p, check), "")
    needed = {"computed": ("source", "bands"), "judged": ("descriptors",)}.get(kind, ())
    for key in needed:
        if key not in item:
            check.add((*here, key), f"required key is missing for a {kind} criterion")
    if kind == "judged":
        for key in ("source", "bands"):
            if key in item:
                check.add((*here, key), "only a computed criterion has this key")
    source = check.get(item, "source", here, lambda v, p: check.choice(v, p, KNOWN_SOURCES))
    bands = check.get(item, "bands", here, lambda v, p: _read_bands(v, p, values, check), ())
    descriptors = _read_descriptors(item.get("descriptors", {}), here, values, kind, check)
    when = check.get(item, "applies_when", here, lambda v, p: _read_applies_when(v, p, check))
    if len(check.problems) != before:
        return None
    return Criterion(
        criterion_id, title, section, weight, limiting, kind,
        source, bands, when, descriptors, guidance,
    )  # fmt: skip


def _read_weight(value: Any, path: KeyPath, check: Checker) -> float | None:
    weight = check.number(value, path, positive=True)
    if weight is not None and not math.isfinite(weight):
        check.add(path, f"must be a finite number, not {value!r}")
        return None
    return weight


def _free_text(value: Any, path: KeyPath, check: Checker) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        check.add(path, "must be text")
        return None
    return value.strip()


def _read_bands(
    raw: Any, path: KeyPath, values: set[int] | None, check: Checker
) -> tuple[Band, ...]:
    bands: list[Band] = []
    last = len(raw) - 1 if isinstance(raw, list) else -1
    for here, band in check.records(raw, path, required=("grade",), optional=("max_days_late",)):
        grade = check.get(band, "grade", here, check.integer)
        limit = check.get(band, "max_days_late", here, check.integer)
        if here[-1] == last and "max_days_late" in band:
            check.add((*here, "max_days_late"), "the last band must have no max_days_late")
        if here[-1] != last and "max_days_late" not in band:
            check.add(here, "only the last band may leave out max_days_late")
        previous = bands[-1] if bands else None
        if grade is not None and values is not None and grade not in values:
            check.add((*here, "grade"), f"{grade} is not a value on the scale")
        earlier = previous.max_days_late if previous else None
        if earlier is not None and limit is not None and limit <= earlier:
            check.add((*here, "max_days_late"), "must be greater than the band before")
        if grade is not None and previous and grade > previous.grade:
            check.add(
                (*here, "grade"), "later advice cannot earn a better grade than the band before"
            )
        if grade is not None:
            bands.append(Band(grade, limit))
    return tuple(bands)


def _read_descriptors(
    raw: Any, here: KeyPath, values: set[int] | None, kind: str | None, check: Checker
) -> dict[int, str]:
    path = (*here, "descriptors")
    if not isinstance(raw, dict):
        check.add(path, "must be a mapping of scale value to text, such as {1: ..., 2: ...}")
        return {}
    descriptors: dict[int, str] = {}
    for key, text in raw.items():
        value = key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.strip().lstrip("-").isdigit():
            value = int(key)
        if value is None or (values is not None and value not in values):
            check.add((*path, str(key)), f"{key!r} is not a value on the scale")
        elif (read := check.string(text, (*path, str(key)))) is not None:
            descriptors[value] = read
    missing = sorted((values or set()) - set(descriptors))
    if kind == "judged" and values is not None and missing:
        check.add(path, f"needs a descriptor for every scale value; missing {missing}")
    return dict(sorted(descriptors.items()))


def _read_applies_when(raw: Any, path: KeyPath, check: Checker) -> AppliesWhen | None:
    keys = ("nc_year_min", "nc_year_max", "plan_kinds")
    when = check.mapping(raw, path, required=(), optional=keys)
    if when is None:
        return None
    if not when:
        check.add(path, "name at least one of nc_year_min, nc_year_max, plan_kinds")
    low = check.get(when, "nc_year_min", path, check.integer)
    high = check.get(when, "nc_year_max", path, check.integer)
    if low is not None and high is not None and low > high:
        check.add((*path, "nc_year_max"), "must not be below nc_year_min")
    kinds = check.get(when, "plan_kinds", path, lambda v, p: check.sequence(v, p)) or []
    chosen = [
        check.choice(kind, (*path, "plan_kinds", index), PLAN_KINDS)
        for index, kind in enumerate(kinds)
    ]
    return AppliesWhen(low, high, tuple(k for k in chosen if k))
