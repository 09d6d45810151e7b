"""Targets drive every RAG status and alert, so their file is checked and looked up exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.standards.rubric import validate_rubric_files
from qa_app.standards.targets import (
    LatenessRule,
    Targets,
    is_academic_year,
    load_targets,
    parse_targets,
)
from qa_app.standards.yaml_lines import RubricError, RubricProblem

VALID = """\
version: "2025.1"
advice_deadline_days: 42
assessment_deadline_weeks: 20
response_deadline_working_days: 20
transition_years: [5, 9]
rag: {amber_margin_points: 5}
consistently_late: {cycles: 2, on_time_rate_below: 80, min_advice: 5}
targets:
  - measure: plans_good_or_better
    scope: all
    by_year: {"2025/26": 80, "2026/27": 90}
  - measure: plans_good_or_better
    scope: transition_years
    by_year: {"2025/26": 70, "2027/28": 90}
  - measure: advice_on_time
    scope: advice_type:health
    by_year: {"2025/26": 75.5}
"""


def line_of(text: str, snippet: str) -> int:
    return text.count("\n", 0, text.index(snippet)) + 1


def problems_for(tmp_path: Path, text: str) -> list[RubricProblem]:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_targets(path)
    assert all(problem.file == str(path) for problem in caught.value.problems)
    return caught.value.problems


def expect(tmp_path: Path, old: str, new: str, key: str, fragment: str, at: str = "") -> None:
    assert old in VALID, old
    text = VALID.replace(old, new, 1)
    problems = problems_for(tmp_path, text)
    matches = [p for p in problems if p.key == key]
    assert matches, [str(p) for p in problems]
    assert matches[0].line == line_of(text, at or new.splitlines()[0]), str(matches[0])
    assert fragment in matches[0].message, str(matches[0])


@pytest.fixture
def targets() -> Targets:
    return parse_targets(VALID, "targets.yaml")


def test_valid_file_loads(targets: Targets) -> None:
    assert targets.version == "2025.1"
    assert targets.advice_deadline_days == 42
    assert targets.transition_years == (5, 9)
    assert targets.consistently_late == LatenessRule(2, 80.0, 5)


def test_defaults_for_optional_settings() -> None:
    minimal = parse_targets('version: "1"\ntargets:\n  - {measure: advice_on_time, scope: all,'
                           ' by_year: {"2025/26": 80}}\n', "t.yaml")  # fmt: skip
    assert (minimal.advice_deadline_days, minimal.assessment_deadline_weeks) == (42, 20)
    assert minimal.response_deadline_working_days == 20
    assert minimal.amber_margin_points == 5.0 and minimal.transition_years == (5, 9)


def test_target_lookup_by_year(targets: Targets) -> None:
    assert targets.target_for("plans_good_or_better", "all", "2025/26") == 80
    assert targets.target_for("plans_good_or_better", "all", "2026/27") == 90
    assert targets.target_for("plans_good_or_better", "all", "2031/32") == 90
    assert targets.target_for("plans_good_or_better", "all", "2024/25") is None
    assert targets.target_for("plans_good_or_better", "transition_years", "2026/27") == 70
    assert targets.target_for("advice_on_time", "advice_type:health", "2025/26") == 75.5
    assert targets.target_for("advice_on_time", "all", "2025/26") is None
    with pytest.raises(ValueError, match="academic year"):
        targets.target_for("plans_good_or_better", "all", "2025-26")


@pytest.mark.parametrize(
    ("rate", "low", "high", "target", "status"),
    [
        (85.0, 70.0, 95.0, 80.0, "green"),
        (80.0, 70.0, 90.0, 80.0, "green"),
        (76.0, 60.0, 79.0, 80.0, "amber"),  # within the 5-point margin
        (70.0, 55.0, 82.0, 80.0, "amber"),  # target inside the 95% interval
        (70.0, 62.0, 77.0, 80.0, "red"),
        (70.0, None, None, 80.0, "red"),
        (None, None, None, 80.0, None),
        (70.0, 60.0, 80.0, None, None),
    ],
)
def test_rag(
    targets: Targets,
    rate: float | None,
    low: float | None,
    high: float | None,
    target: float | None,
    status: str | None,
) -> None:
    assert targets.rag(rate, low, high, target) == status


@pytest.mark.parametrize(
    ("recent", "late"),
    [
        ([(3, 10), (5, 10)], True),
        ([(9, 10), (3, 10), (5, 10)], True),
        ([(3, 10), (9, 10)], False),
        ([(3, 10)], False),
        ([(1, 4), (1, 10)], False),  # the first cycle is too small to count
        ([(8, 10), (7, 10)], False),  # exactly 80% is not below 80%
        ([], False),
    ],
)
def test_consistently_late(targets: Targets, recent: list[tuple[int, int]], late: bool) -> None:
    assert targets.is_consistently_late(recent) is late


def test_transition_years(targets: Targets) -> None:
    assert targets.is_transition_year(9) and not targets.is_transition_year(8)
    assert not targets.is_transition_year(None)


@pytest.mark.parametrize(
    ("year", "ok"),
    [("2025/26", True), ("1999/00", True), ("2025/27", False), ("2025-26", False),
     ("25/26", False), (2025, False)],
)  # fmt: skip
def test_academic_year_format(year: object, ok: bool) -> None:
    assert is_academic_year(year) is ok


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ('"2026/27": 90}', '"2026/28": 90}', "targets[0].by_year.2026/28", "not an academic year"),
        ('"2026/27": 90}', '"2026-27": 90}', "targets[0].by_year.2026-27", "not an academic year"),
        ('"2026/27": 90}', '"2026/27": 120}', "targets[0].by_year.2026/27", "at most 100"),
        ('"2026/27": 90}', '"2026/27": lots}', "targets[0].by_year.2026/27", "number"),
        ("measure: plans_good_or_better\n    scope: all",
         "measure: plans_good\n    scope: all", "targets[0].measure", "must be one of"),
        ("scope: all", "scope: everyone", "targets[0].scope", "must be one of"),
        ("advice_deadline_days: 42", "advice_deadline_days: 0", "advice_deadline_days",
         "at least 1"),
        ("advice_deadline_days: 42", "advice_deadline_dayz: 42", "advice_deadline_dayz",
         "did you mean 'advice_deadline_days'"),
        ("transition_years: [5, 9]", "transition_years: [5, nine]", "transition_years[1]",
         "whole number"),
        ("rag: {amber_margin_points: 5}", "rag: {amber_margin: 5}", "rag.amber_margin",
         "unknown key"),
        ("on_time_rate_below: 80", "on_time_rate_below: 180",
         "consistently_late.on_time_rate_below", "at most 100"),
        ("cycles: 2", "cycles: 0", "consistently_late.cycles", "at least 1"),
        ('version: "2025.1"', "version: 2025.1", "version", "quote it"),
    ],
)  # fmt: skip
def test_malformed_targets_name_line_and_key(
    tmp_path: Path, old: str, new: str, key: str, fragment: str
) -> None:
    expect(tmp_path, old, new, key, fragment)


def test_duplicate_measure_and_scope_names_the_second(tmp_path: Path) -> None:
    second = '  - measure: plans_good_or_better\n    scope: all\n    by_year: {"2025/26": 70'
    expect(tmp_path, "scope: transition_years", "scope: all", "targets[1]", "already listed",
           at=second)  # fmt: skip


def test_missing_version_and_syntax_error(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, VALID.replace('version: "2025.1"\n', ""))
    assert [(p.key, p.line) for p in problems] == [("version", 1)]
    broken = problems_for(tmp_path, VALID.replace("rag: {amber_margin_points: 5}", "rag: amber: 5"))
    assert broken[0].line == line_of(VALID, "rag:") and "not valid YAML" in broken[0].message


def test_all_problems_are_collected(tmp_path: Path) -> None:
    text = VALID.replace("cycles: 2", "cycles: 0").replace("scope: all", "scope: nobody")
    assert len(problems_for(tmp_path, text)) == 2


def test_validate_rubric_files_checks_targets_yaml_as_targets(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(VALID.replace("scope: all", "scope: nobody"), encoding="utf-8")
    problems = validate_rubric_files([path])
    assert [(p.key, p.line) for p in problems] == [("targets[0].scope", 10)]


def test_round_trip_and_hash(targets: Targets) -> None:
    rebuilt = Targets.from_dict(targets.to_dict())
    assert rebuilt == targets and rebuilt.content_hash == targets.content_hash
    edited = parse_targets("# note\n" + VALID.replace("80, ", "80,   "), "t.yaml")
    assert edited.content_hash == targets.content_hash
