"""A broken rubric file must be refused with every problem named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.standards.rubric import (
    Rubric,
    RubricError,
    RubricProblem,
    load_rubric,
    parse_rubric,
    validate_rubric_files,
)

VALID = """\
# a comment line
id: test-plan
title: Test plan standard
version: "1.0"
applies_to: plan
advice_types: []
scale:
  - {value: 1, label: Inadequate}
  - {value: 2, label: Requires improvement}
  - {value: 3, label: Good}
  - {value: 4, label: Outstanding}
good_or_better: 3
overall: {method: weighted_mean, rounding: down}
criteria:
  - id: child_voice
    title: Voice
    section: A
    weight: 2
    limiting: true
    descriptors: {1: poor, 2: partial, 3: clear, 4: central}
    guidance: Look for the child's words.
  - id: timeliness
    title: On time
    kind: computed
    source: advice_timeliness
    bands:
      - {max_days_late: 0, grade: 3}
      - {max_days_late: 14, grade: 2}
      - {grade: 1}
"""


def line_of(text: str, snippet: str) -> int:
    offset = text.index(snippet)
    return text.count("\n", 0, offset) + 1


def problems_for(tmp_path: Path, text: str, name: str = "bad.yaml") -> list[RubricProblem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    problems = caught.value.problems
    assert problems, "a RubricError must carry at least one problem"
    assert all(problem.file == str(path) for problem in problems)
    return problems


def broken(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def find(problems: list[RubricProblem], key: str) -> RubricProblem:
    matches = [problem for problem in problems if problem.key == key]
    assert matches, f"no problem for {key!r} in {[str(p) for p in problems]}"
    return matches[0]


def expect(tmp_path: Path, text: str, key: str, snippet: str, fragment: str) -> RubricProblem:
    problem = find(problems_for(tmp_path, text), key)
    assert problem.line == line_of(text, snippet), str(problem)
    assert fragment in problem.message, str(problem)
    return problem


def test_the_base_text_is_valid() -> None:
    rubric = parse_rubric(VALID, "ok.yaml")
    assert rubric.id == "test-plan"
    assert [c.id for c in rubric.criteria] == ["child_voice", "timeliness"]


def test_problem_string_names_file_line_and_key(tmp_path: Path) -> None:
    text = broken("    weight: 2\n", "    weight: 0\n")
    problem = expect(tmp_path, text, "criteria[0].weight", "weight: 0", "greater than 0")
    line = line_of(text, "weight: 0")
    assert str(problem) == f"{tmp_path / 'bad.yaml'}:{line}: criteria[0].weight: " + (
        "must be greater than 0, not 0"
    )


def test_missing_required_key(tmp_path: Path) -> None:
    text = broken("title: Test plan standard\n", "")
    expect(tmp_path, text, "title", "id: test-plan", "required key is missing")


def test_unknown_top_level_key_is_a_typo(tmp_path: Path) -> None:
    text = broken("good_or_better: 3", "good_or_beter: 3")
    problems = problems_for(tmp_path, text)
    typo = find(problems, "good_or_beter")
    assert typo.line == line_of(text, "good_or_beter") and "unknown key" in typo.message
    assert "good_or_better" in typo.message
    assert "required key is missing" in find(problems, "good_or_better").message


def test_unknown_criterion_key(tmp_path: Path) -> None:
    text = broken("    limiting: true", "    limitting: true")
    expect(tmp_path, text, "criteria[0].limitting", "limitting", "unknown key")


def test_criterion_ids_must_be_unique(tmp_path: Path) -> None:
    text = broken("  - id: timeliness", "  - id: child_voice")
    expect(tmp_path, text, "criteria[1].id", "  - id: child_voice\n    title: On", "used twice")


def test_criterion_id_format(tmp_path: Path) -> None:
    text = broken("  - id: child_voice", "  - id: Child Voice")
    expect(tmp_path, text, "criteria[0].id", "Child Voice", "lower-case")


def test_scale_values_must_increase(tmp_path: Path) -> None:
    text = broken("{value: 3, label: Good}", "{value: 2, label: Good}")
    expect(tmp_path, text, "scale[2].value", "label: Good}", "must increase")


def test_scale_labels_must_be_unique(tmp_path: Path) -> None:
    text = broken("{value: 2, label: Requires improvement}", "{value: 2, label: inadequate}")
    expect(tmp_path, text, "scale[1].label", "label: inadequate", "used twice")


def test_good_or_better_must_be_on_the_scale(tmp_path: Path) -> None:
    text = broken("good_or_better: 3", "good_or_better: 5")
    expect(tmp_path, text, "good_or_better", "good_or_better", "not a value on the scale")


def test_judged_criterion_needs_every_descriptor(tmp_path: Path) -> None:
    text = broken("3: clear, 4: central}", "3: clear}")
    expect(tmp_path, text, "criteria[0].descriptors", "descriptors:", "missing [4]")


def test_descriptor_for_a_value_off_the_scale(tmp_path: Path) -> None:
    text = broken("4: central}", "4: central, 7: magic}")
    expect(tmp_path, text, "criteria[0].descriptors.7", "descriptors:", "not a value")


def test_judged_criterion_without_descriptors(tmp_path: Path) -> None:
    text = broken("    descriptors: {1: poor, 2: partial, 3: clear, 4: central}\n", "")
    expect(tmp_path, text, "criteria[0].descriptors", "  - id: child_voice", "missing")


@pytest.mark.parametrize(
    ("weight", "fragment"), [("0", "greater than 0"), ("-1", "greater than 0"), ("heavy", "number")]
)
def test_weights_must_be_positive_numbers(tmp_path: Path, weight: str, fragment: str) -> None:
    text = broken("    weight: 2\n", f"    weight: {weight}\n")
    expect(tmp_path, text, "criteria[0].weight", f"weight: {weight}", fragment)


def test_limiting_must_be_true_or_false(tmp_path: Path) -> None:
    text = broken("    limiting: true", "    limiting: sometimes")
    expect(tmp_path, text, "criteria[0].limiting", "sometimes", "true or false")


def test_needs_at_least_one_judged_criterion(tmp_path: Path) -> None:
    start = VALID.index("  - id: child_voice")
    end = VALID.index("  - id: timeliness")
    text = VALID[:start] + VALID[end:]
    expect(tmp_path, text, "criteria", "criteria:", "at least one judged")


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ("method: weighted_mean", "method: average", "overall.method", "must be one of"),
        ("rounding: down", "rounding: up", "overall.rounding", "must be one of"),
        ("method: weighted_mean, rounding: down", "method: lowest, rounding: nearest",
         "overall.rounding", "only to weighted_mean"),
    ],
)  # fmt: skip
def test_overall_rule_is_known(tmp_path: Path, old: str, new: str, key: str, fragment: str) -> None:
    expect(tmp_path, broken(old, new), key, "overall:", fragment)


def test_computed_source_must_be_known(tmp_path: Path) -> None:
    text = broken("source: advice_timeliness", "source: plan_timeliness")
    expect(tmp_path, text, "criteria[1].source", "plan_timeliness", "must be one of")


def test_computed_criterion_needs_bands(tmp_path: Path) -> None:
    start = VALID.index("    bands:")
    text = VALID[:start]
    expect(tmp_path, text, "criteria[1].bands", "  - id: timeliness", "required key")


def test_band_grade_must_be_on_the_scale(tmp_path: Path) -> None:
    text = broken("{max_days_late: 14, grade: 2}", "{max_days_late: 14, grade: 9}")
    expect(tmp_path, text, "criteria[1].bands[1].grade", "grade: 9", "not a value")


def test_band_limits_must_increase(tmp_path: Path) -> None:
    text = broken("{max_days_late: 14, grade: 2}", "{max_days_late: 0, grade: 2}")
    expect(tmp_path, text, "criteria[1].bands[1].max_days_late", "{max_days_late: 0, grade: 2}",
           "greater than the band before")  # fmt: skip


def test_last_band_must_be_open(tmp_path: Path) -> None:
    text = broken("{grade: 1}", "{max_days_late: 30, grade: 1}")
    expect(tmp_path, text, "criteria[1].bands[2].max_days_late", "max_days_late: 30", "last band")


def test_only_the_last_band_is_open(tmp_path: Path) -> None:
    text = broken("{max_days_late: 14, grade: 2}", "{grade: 2}")
    expect(tmp_path, text, "criteria[1].bands[1]", "{grade: 2}", "only the last band")


def test_later_band_cannot_grade_better(tmp_path: Path) -> None:
    text = broken("{max_days_late: 14, grade: 2}", "{max_days_late: 14, grade: 4}")
    expect(tmp_path, text, "criteria[1].bands[1].grade", "grade: 4", "better grade")


def test_judged_criterion_cannot_have_bands(tmp_path: Path) -> None:
    text = broken("    guidance: Look", "    source: advice_timeliness\n    guidance: Look")
    expect(tmp_path, text, "criteria[0].source", "source: advice_timeliness\n    guidance",
           "only a computed criterion")  # fmt: skip


@pytest.mark.parametrize(
    ("when", "key", "fragment"),
    [
        ("{nc_year: 9}", "criteria[0].applies_when.nc_year", "unknown key"),
        ("{plan_kinds: [renewal]}", "criteria[0].applies_when.plan_kinds[0]", "must be one of"),
        ("{nc_year_min: 11, nc_year_max: 9}", "criteria[0].applies_when.nc_year_max",
         "below nc_year_min"),
        ("{}", "criteria[0].applies_when", "at least one"),
    ],
)  # fmt: skip
def test_applies_when_keys(tmp_path: Path, when: str, key: str, fragment: str) -> None:
    text = broken("    guidance: Look", f"    applies_when: {when}\n    guidance: Look")
    expect(tmp_path, text, key, "applies_when", fragment)


def test_advice_rubric_needs_advice_types(tmp_path: Path) -> None:
    text = broken("applies_to: plan", "applies_to: advice")
    expect(tmp_path, text, "advice_types", "advice_types", "must name the advice types")


def test_plan_rubric_must_not_name_advice_types(tmp_path: Path) -> None:
    text = broken("advice_types: []", "advice_types: [health]")
    expect(tmp_path, text, "advice_types", "advice_types", "must not name advice types")


def test_unquoted_version_is_refused_with_a_hint(tmp_path: Path) -> None:
    text = broken('version: "1.0"', "version: 2025.1")
    expect(tmp_path, text, "version", "version:", "quote it")


def test_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    text = broken("    weight: 2\n", "    weight: 2\n    weight: 3\n")
    expect(tmp_path, text, "criteria[0].weight", "weight: 3", "more than once")


def test_syntax_error_names_the_line_without_a_traceback(tmp_path: Path) -> None:
    text = broken("    title: Voice\n", "    title: [Voice\n")
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].line is not None and problems[0].line >= line_of(text, "[Voice")
    assert "not valid YAML" in problems[0].message
    assert str(problems[0]).startswith(f"{tmp_path / 'bad.yaml'}:{problems[0].line}: ")


def test_tab_indentation_is_a_syntax_error_with_a_line(tmp_path: Path) -> None:
    text = broken("    section: A\n", "\tsection: A\n")
    problem = problems_for(tmp_path, text)[0]
    assert problem.line == line_of(text, "\tsection") and "not valid YAML" in problem.message


@pytest.mark.parametrize(("text", "fragment"), [("", "empty"), ("# only\n", "empty"),
                                                ("- a\n- b\n", "mapping")])  # fmt: skip
def test_empty_or_non_mapping_files(tmp_path: Path, text: str, fragment: str) -> None:
    problems = problems_for(tmp_path, text)
    assert fragment in problems[0].message


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    text = (
        broken("good_or_better: 3", "good_or_better: 9")
        .replace("    weight: 2", "    weight: -2")
        .replace("method: weighted_mean", "method: mode")
        .replace("{grade: 1}", "{grade: 0}")
    )
    keys = {problem.key for problem in problems_for(tmp_path, text)}
    assert {"good_or_better", "criteria[0].weight", "overall.method"} <= keys
    assert "criteria[1].bands[2].grade" in keys


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(RubricError) as caught:
        load_rubric(tmp_path / "nope.yaml")
    assert "cannot read file" in caught.value.problems[0].message


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load_rubric(path).id == "test-plan"


def test_validate_files_collects_every_file_and_checks_targets(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(broken("    weight: 2", "    weight: 0"), encoding="utf-8")
    (tmp_path / "copy.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "targets.yaml").write_text('version: "1"\ntargets: []\n', encoding="utf-8")
    problems = validate_rubric_files([tmp_path])
    by_file = {Path(problem.file).name: problem for problem in problems}
    assert set(by_file) == {"bad.yaml", "good.yaml", "targets.yaml"}
    assert by_file["bad.yaml"].key == "criteria[0].weight"
    assert "already used by" in by_file["good.yaml"].message
    assert by_file["targets.yaml"].key == "targets"


def test_validate_files_is_empty_for_good_files(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert validate_rubric_files([path]) == []


def test_round_trip_through_a_plain_dict() -> None:
    rubric = parse_rubric(VALID, "ok.yaml")
    stored = rubric.to_dict()
    assert stored["criteria"][0]["descriptors"]["4"] == "central"
    rebuilt = Rubric.from_dict(stored)
    assert rebuilt == rubric and rebuilt.content_hash == rubric.content_hash


def test_from_dict_refuses_bad_data() -> None:
    stored = parse_rubric(VALID, "ok.yaml").to_dict()
    stored["criteria"][0]["weight"] = 0
    with pytest.raises(RubricError) as caught:
        Rubric.from_dict(stored)
    assert caught.value.problems[0].key == "criteria[0].weight"


def test_content_hash_ignores_comments_and_layout_only() -> None:
    original = parse_rubric(VALID, "a.yaml").content_hash
    reflowed = VALID.replace("# a comment line", "# another comment\n\n").replace(
        "    weight: 2\n", "    weight: 2.0   # doubled\n"
    )
    assert parse_rubric(reflowed, "b.yaml").content_hash == original
    changed = VALID.replace("clear, 4", "clear and used, 4")
    assert parse_rubric(changed, "c.yaml").content_hash != original


def test_label_and_criterion_lookups() -> None:
    rubric = parse_rubric(VALID, "ok.yaml")
    assert rubric.label_for(2) == "Requires improvement"
    assert rubric.value_for_label("  requires IMPROVEMENT ") == 2
    assert rubric.value_for_label("4") == 4
    assert rubric.value_for_label("Excellent") is None
    assert rubric.value_for_label("9") is None
    assert rubric.criterion("child_voice").limiting is True
    with pytest.raises(KeyError):
        rubric.criterion("nope")
    with pytest.raises(KeyError):
        rubric.label_for(9)


def test_runaway_aliases_are_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcde", "bcdef", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
    problems = problems_for(tmp_path, "\n".join(lines) + "\n")
    assert "aliases" in problems[0].message
