"""The partnership's targets and deadlines (rubrics/targets.yaml), checked like rubrics."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from qa_app.standards.yaml_lines import (
    Checker,
    KeyPath,
    parse_document,
    read_document,
    read_text_file,
)

MEASURES = (
    "plans_good_or_better",
    "advice_good_or_better",
    "advice_assured_good_or_better",
    "advice_on_time",
    "child_voice_good_or_better",
    "plans_issued_in_20_weeks",
    "responses_on_time",
    "families_experience_good_or_better",  # counted from surveys (qa_app/surveys/figures.py)
)
COMPLETE_COUNTS = frozenset({"advice_on_time", "plans_issued_in_20_weeks", "responses_on_time"})
"""Measures that count every record, not a sample: no sampling interval applies to them."""
SCOPES = ("all", "transition_years", "new", "annual_review")
ADVICE_TYPE_SCOPE = re.compile(r"advice_type:[a-z0-9][a-z0-9_]*")
ACADEMIC_YEAR = re.compile(r"(\d{4})/(\d{2})")
_OPTIONAL_KEYS = (
    "advice_deadline_days",
    "assessment_deadline_weeks",
    "response_deadline_working_days",
    "transition_years",
    "rag",
    "consistently_late",
)


def exact(value: float | int | Fraction) -> Fraction:
    """A percentage as an exact fraction: a float from YAML is taken as the decimal it was
    written as (80 -> 80, 72.5 -> 145/2), never as its binary approximation."""
    return value if isinstance(value, Fraction) else Fraction(repr(value))


def is_complete_count(measure: str | None) -> bool:
    return measure in COMPLETE_COUNTS


def is_academic_year(text: object) -> bool:
    """True for "2025/26": four digits, a slash, then the next year's last two digits."""
    match = ACADEMIC_YEAR.fullmatch(text) if isinstance(text, str) else None
    return match is not None and int(match[2]) == (int(match[1]) + 1) % 100


@dataclass(frozen=True)
class Target:
    measure: str
    scope: str
    by_year: Mapping[str, float] = field(hash=False)

    def for_year(self, academic_year: str) -> float | None:
        """The latest listed year's target at or before `academic_year`, if any."""
        if not is_academic_year(academic_year):
            raise ValueError(f"{academic_year!r} is not an academic year such as 2025/26")
        listed = [year for year in self.by_year if year <= academic_year]
        return self.by_year[max(listed)] if listed else None


@dataclass(frozen=True)
class LatenessRule:
    """An agency is consistently late after `cycles` cycles in a row below the on-time rate.

    A cycle with fewer than `min_advice` pieces of advice is too small to count as late.
    """

    cycles: int = 2
    on_time_rate_below: float = 80.0
    min_advice: int = 5

    def judged(self, on_time: int, total: int) -> bool:
        """Enough advice in a cycle to say whether it was late."""
        return total >= max(self.min_advice, 1)

    def below(self, on_time: int, total: int) -> bool:
        return Fraction(100 * on_time, total) < exact(self.on_time_rate_below)

    def applies(self, recent: Sequence[tuple[int, int]]) -> bool:
        """`recent` holds (on time, total) per cycle, oldest first, newest last."""
        if len(recent) < self.cycles:
            return False
        return all(
            self.judged(on_time, total) and self.below(on_time, total)
            for on_time, total in recent[-self.cycles :]
        )

    def recovered(self, recent: Sequence[tuple[int, int]]) -> bool:
        """Evidence of recovery: the newest cycle with enough advice to judge is at or above
        the on-time rate. Cycles too small to judge, or with no advice, prove nothing."""
        judged = [(good, total) for good, total in recent if self.judged(good, total)]
        return bool(judged) and not self.below(*judged[-1])


@dataclass(frozen=True)
class Targets:
    version: str
    targets: tuple[Target, ...]
    advice_deadline_days: int = 42
    assessment_deadline_weeks: int = 20
    response_deadline_working_days: int = 20
    transition_years: tuple[int, ...] = (5, 9)
    amber_margin_points: float = 5.0
    consistently_late: LatenessRule = LatenessRule()
    min_n: int = 5

    def target_for(self, measure: str, scope: str, academic_year: str) -> float | None:
        """The target in percent; years after the last listed keep the last listed target."""
        for target in self.targets:
            if target.measure == measure and target.scope == scope:
                return target.for_year(academic_year)
        return None

    def rag(
        self,
        rate_percent: float | None,
        low_percent: float | None,
        high_percent: float | None,
        target: float | None,
        *,
        measure: str | None = None,
        good: int | None = None,
        n: int | None = None,
    ) -> str | None:
        """Green at or above target; amber when the shortfall is within the amber margin or,
        for a sampled rate, the target lies inside its 95% interval; red otherwise. None when
        there is no target, nothing was counted, or a sampled rate counts fewer than `min_n`
        (too few to judge: see `reporting.labels.status`).

        Given `good` and `n`, the rate is judged as the exact fraction good/n, and a complete
        count (`measure` in COMPLETE_COUNTS) is judged on the margin alone: every record was
        counted, so no sampling interval applies. Without them (older callers) the rate in
        percent is judged as given, with its interval.
        """
        if target is None:
            return None
        if good is None or n is None:
            if rate_percent is None:
                return None
            return self._judge(exact(rate_percent), exact(target), low_percent, high_percent)
        complete = is_complete_count(measure)
        if n <= 0 or (not complete and n < self.min_n):
            return None
        if complete:
            low_percent = high_percent = None
        return self._judge(Fraction(100 * good, n), exact(target), low_percent, high_percent)

    def _judge(
        self, rate: Fraction, target: Fraction, low: float | None, high: float | None
    ) -> str:
        if rate >= target:
            return "green"
        if rate >= target - exact(self.amber_margin_points):
            return "amber"
        if low is not None and high is not None and low <= target <= high:
            return "amber"
        return "red"

    def enough_to_act(self, n: int) -> bool:
        """An improvement action opens or closes only on at least `min_n` records."""
        return n >= self.min_n

    def is_transition_year(self, nc_year: int | None) -> bool:
        return nc_year is not None and nc_year in self.transition_years

    def is_consistently_late(self, recent: Sequence[tuple[int, int]]) -> bool:
        return self.consistently_late.applies(recent)

    @cached_property
    def content_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        rule = self.consistently_late
        return {
            "version": self.version,
            "advice_deadline_days": self.advice_deadline_days,
            "assessment_deadline_weeks": self.assessment_deadline_weeks,
            "response_deadline_working_days": self.response_deadline_working_days,
            "transition_years": list(self.transition_years),
            "rag": {"amber_margin_points": self.amber_margin_points, "min_n": self.min_n},
            "consistently_late": {
                "cycles": rule.cycles,
                "on_time_rate_below": rule.on_time_rate_below,
                "min_advice": rule.min_advice,
            },
            "targets": [
                {"measure": t.measure, "scope": t.scope, "by_year": dict(t.by_year)}
                for t in self.targets
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<stored targets>") -> Targets:
        return read_document(dict(data), Checker(source), _read_targets)


def parse_targets(text: str, filename: str) -> Targets:
    return parse_document(text, filename, _read_targets, "targets (version, targets, ...)")


def load_targets(path: Path) -> Targets:
    return parse_targets(read_text_file(path), str(path))


def _read_targets(data: Any, check: Checker) -> Targets | None:
    top = check.mapping(data, (), required=("version", "targets"), optional=_OPTIONAL_KEYS)
    if top is None:
        return None
    defaults = Targets("", ())
    version = check.get(top, "version", (), check.string)

    def whole(key: str) -> int | None:
        return check.get(top, key, (), lambda v, p: check.integer(v, p, 1), getattr(defaults, key))

    advice_days = whole("advice_deadline_days")
    assessment_weeks = whole("assessment_deadline_weeks")
    response_days = whole("response_deadline_working_days")
    years = check.get(top, "transition_years", (), lambda v, p: _years(v, p, check), (5, 9))
    margin, min_n = _read_rag(top.get("rag", {}), ("rag",), check)
    late = _read_lateness(top.get("consistently_late", {}), ("consistently_late",), check)
    targets = check.get(top, "targets", (), lambda v, p: _read_target_list(v, p, check))
    if check.problems:
        return None
    assert version and advice_days and assessment_weeks and response_days and late
    assert years is not None and margin is not None and targets is not None and min_n
    return Targets(
        version, targets, advice_days, assessment_weeks, response_days, years, margin, late,
        min_n,
    )


def _years(raw: Any, path: KeyPath, check: Checker) -> tuple[int, ...] | None:
    items = check.sequence(raw, path) or []
    years = [check.integer(item, (*path, i), 0) for i, item in enumerate(items)]
    if len(set(years)) != len(years):
        check.add(path, "lists a year more than once")
    return tuple(sorted(y for y in years if y is not None))


def _read_rag(raw: Any, path: KeyPath, check: Checker) -> tuple[float | None, int | None]:
    rag = check.mapping(raw, path, required=(), optional=("amber_margin_points", "min_n"))
    if rag is None:
        return None, None
    margin = check.get(rag, "amber_margin_points", path,
                       lambda v, p: check.number(v, p, at_most=100), 5.0)
    min_n = check.get(rag, "min_n", path, lambda v, p: check.integer(v, p, 1), 5)
    return margin, min_n


def _read_lateness(raw: Any, path: KeyPath, check: Checker) -> LatenessRule | None:
    keys = ("cycles", "on_time_rate_below", "min_advice")
    rule = check.mapping(raw, path, required=(), optional=keys)
    if rule is None:
        return None
    default = LatenessRule()
    cycles = check.get(rule, "cycles", path, lambda v, p: check.integer(v, p, 1), default.cycles)
    below = check.get(
        rule, "on_time_rate_below", path, lambda v, p: check.number(v, p, at_most=100), 80.0
    )
    least = check.get(rule, "min_advice", path, lambda v, p: check.integer(v, p, 1), 5)
    if cycles is None or below is None or least is None:
        return None
    return LatenessRule(cycles, below, least)


def _read_target_list(raw: Any, path: KeyPath, check: Checker) -> tuple[Target, ...]:
    targets: list[Target] = []
    required = ("measure", "scope", "by_year")
    for here, item in check.records(raw, path, required):
        measure = check.get(item, "measure", here, lambda v, p: check.choice(v, p, MEASURES))
        scope = check.get(item, "scope", here, lambda v, p: _scope(v, p, check))
        by_year = check.get(item, "by_year", here, lambda v, p: _by_year(v, p, check))
        if measure is None or scope is None or by_year is None:
            continue
        if any(t.measure == measure and t.scope == scope for t in targets):
            check.add(here, f"a target for {measure} with scope {scope} is already listed")
        targets.append(Target(measure, scope, by_year))
    return tuple(targets)


def _scope(value: Any, path: KeyPath, check: Checker) -> str | None:
    if value in SCOPES or (isinstance(value, str) and ADVICE_TYPE_SCOPE.fullmatch(value)):
        return str(value)
    check.add(path, f"must be one of {', '.join(SCOPES)} or advice_type:<type>, not {value!r}")
    return None


def _by_year(raw: Any, path: KeyPath, check: Checker) -> dict[str, float] | None:
    if not isinstance(raw, dict) or not raw:
        check.add(path, 'must map academic years to percentages, such as {"2025/26": 80}')
        return None
    before = len(check.problems)
    by_year: dict[str, float] = {}
    for year, percent in raw.items():
        here = (*path, str(year))
        if not is_academic_year(year):
            check.add(here, f'{year!r} is not an academic year such as "2025/26"')
        elif (value := check.number(percent, here, at_most=100)) is not None:
            by_year[year] = value
    return dict(sorted(by_year.items())) if len(check.problems) == before else None
