"""Overall grades must follow the stated rules for every rubric and every set of grades."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_app.standards.grading import (
    GradingError,
    OverallResult,
    SubjectContext,
    computed_grades,
    is_good_or_better,
    overall_grade,
    resolve_overall,
    timeliness_grade,
)
from qa_app.standards.rubric import Rubric

FOUR_POINT = [(1, "Inadequate"), (2, "Requires improvement"), (3, "Good"), (4, "Outstanding")]
METHODS = ("weighted_mean", "lowest", "median")


def criterion(cid: str, values: list[int], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": cid, "title": cid.title()}
    if extra.get("kind") != "computed":
        data["descriptors"] = {str(v): f"level {v}" for v in values}
    return {**data, **extra}


def make_rubric(
    criteria: list[dict[str, Any]],
    method: str = "weighted_mean",
    rounding: str = "down",
    scale: list[tuple[int, str]] = FOUR_POINT,
) -> Rubric:
    return Rubric.from_dict(
        {
            "id": "test",
            "title": "Test",
            "version": "1",
            "applies_to": "plan",
            "scale": [{"value": v, "label": label} for v, label in scale],
            "good_or_better": scale[len(scale) // 2][0],
            "overall": {"method": method, "rounding": rounding},
            "criteria": criteria,
        }
    )


def simple(method: str = "weighted_mean", rounding: str = "down", *weights: float) -> Rubric:
    values = [v for v, _ in FOUR_POINT]
    ids = ["a", "b", "c", "d"][: len(weights) or 4]
    ws = weights or (1, 1, 1, 1)
    return make_rubric(
        [criterion(cid, values, weight=w) for cid, w in zip(ids, ws, strict=True)],
        method,
        rounding,
    )


TIMELINESS = criterion(
    "timeliness",
    [],
    kind="computed",
    source="advice_timeliness",
    bands=[{"max_days_late": 0, "grade": 3}, {"max_days_late": 14, "grade": 2}, {"grade": 1}],
)


# Hand-worked examples


@pytest.mark.parametrize(
    ("grades", "rounding", "expected"),
    [
        ((4, 3, 2, 3), "down", 3),  # mean 3.0
        ((4, 4, 4, 3), "down", 3),  # mean 3.75 rounds down to 3
        ((4, 4, 4, 3), "nearest", 4),  # 3.75 is nearer 4
        ((3, 4, 3, 4), "nearest", 3),  # mean 3.5: a tie goes down
        ((1, 2, 2, 2), "nearest", 2),  # mean 1.75 is nearer 2
        ((1, 1, 2, 1), "nearest", 1),  # mean 1.25 is nearer 1
        ((1, 1, 1, 4), "down", 1),  # mean 1.75 rounds down to 1
    ],
)
def test_weighted_mean_with_equal_weights(
    grades: tuple[int, ...], rounding: str, expected: int
) -> None:
    rubric = simple("weighted_mean", rounding)
    assert overall_grade(rubric, dict(zip("abcd", grades, strict=True))) == expected


def test_weights_pull_the_mean() -> None:
    rubric = simple("weighted_mean", "down", 3, 1)
    assert overall_grade(rubric, {"a": 4, "b": 1}) == 3  # (12 + 1) / 4 = 3.25
    assert overall_grade(rubric, {"a": 1, "b": 4}) == 1  # (3 + 4) / 4 = 1.75


def test_fractional_weights_are_exact() -> None:
    rubric = simple("weighted_mean", "down", 0.1, 0.2)
    assert overall_grade(rubric, {"a": 3, "b": 3}) == 3


def test_non_consecutive_scale_values() -> None:
    scale = [(0, "Low"), (5, "Mid"), (10, "High")]
    values = [0, 5, 10]
    down = make_rubric([criterion("a", values), criterion("b", values)], scale=scale)
    nearest = make_rubric(
        [criterion("a", values), criterion("b", values)], rounding="nearest", scale=scale
    )
    assert overall_grade(down, {"a": 5, "b": 10}) == 5  # 7.5 down
    assert overall_grade(nearest, {"a": 5, "b": 10}) == 5  # 7.5 tie goes down
    assert overall_grade(down, {"a": 0, "b": 10}) == 5  # 5.0 exactly


@pytest.mark.parametrize(
    ("grades", "expected"), [((3, 4, 2, 4), 2), ((4, 4, 4, 4), 4), ((1, 4, 4, 4), 1)]
)
def test_lowest(grades: tuple[int, ...], expected: int) -> None:
    assert overall_grade(simple("lowest"), dict(zip("abcd", grades, strict=True))) == expected


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ({"a": 1, "b": 3, "c": 4, "d": None}, 3),  # odd count: the middle
        ({"a": 2, "b": 3, "c": 4, "d": 4}, 3),  # even count: the lower middle
        ({"a": 1, "b": 2, "c": 3, "d": 4}, 2),
        ({"a": 4, "b": None, "c": None, "d": None}, 4),
    ],
)
def test_median(grades: dict[str, int | None], expected: int) -> None:
    assert overall_grade(simple("median"), grades) == expected


def test_limiting_criterion_caps_the_overall() -> None:
    values = [1, 2, 3, 4]
    rubric = make_rubric(
        [criterion("child_voice", values, weight=2, limiting=True)]
        + [criterion(c, values) for c in "abc"]
    )
    assert overall_grade(rubric, {"child_voice": 2, "a": 4, "b": 4, "c": 4}) == 2
    assert overall_grade(rubric, {"child_voice": 4, "a": 4, "b": 3, "c": 3}) == 3
    assert overall_grade(rubric, {"child_voice": None, "a": 4, "b": 4, "c": 4}) == 4


def test_not_applicable_is_left_out() -> None:
    rubric = simple()
    assert overall_grade(rubric, {"a": 4, "b": None, "c": 2, "d": None}) == 3
    assert overall_grade(rubric, {"a": None, "b": None, "c": None, "d": None}) is None


def test_errors_name_the_problem() -> None:
    rubric = simple()
    full = {"a": 3, "b": 3, "c": 3, "d": 3}
    with pytest.raises(GradingError, match="no criterion zz"):
        overall_grade(rubric, {**full, "zz": 3})
    for bad in (5, 0, 3.0, True, "3"):
        with pytest.raises(GradingError, match="not on the scale"):
            overall_grade(rubric, {**full, "b": bad})  # type: ignore[dict-item]
    with pytest.raises(GradingError, match="no grade for criterion 'd'"):
        overall_grade(rubric, {"a": 3, "b": 3, "c": 3})


def test_a_computed_criterion_left_out_is_not_applicable() -> None:
    rubric = make_rubric([criterion("a", [1, 2, 3, 4]), TIMELINESS])
    assert overall_grade(rubric, {"a": 4}) == 4
    assert overall_grade(rubric, {"a": 4, "timeliness": 1}) == 2  # 2.5 down


def test_subject_context_decides_which_criteria_apply() -> None:
    values = [1, 2, 3, 4]
    adulthood = criterion("adulthood", values, applies_when={"nc_year_min": 9})
    rubric = make_rubric([criterion("a", values), adulthood])
    year8, year10 = SubjectContext(nc_year=8), SubjectContext(nc_year=10)
    assert not rubric.criterion("adulthood").applies_to_subject(year8)
    assert rubric.criterion("adulthood").applies_to_subject(year10)
    assert rubric.criterion("adulthood").applies_to_subject(SubjectContext())
    assert [c.id for c in rubric.criteria_for(year8)] == ["a"]
    assert overall_grade(rubric, {"a": 3}, year8) == 3
    with pytest.raises(GradingError, match="does not apply"):
        overall_grade(rubric, {"a": 3, "adulthood": 1}, year8)
    with pytest.raises(GradingError, match="no grade for criterion 'adulthood'"):
        overall_grade(rubric, {"a": 3}, year10)
    assert overall_grade(rubric, {"a": 3, "adulthood": 1}, year10) == 2


def test_plan_kind_condition() -> None:
    values = [1, 2, 3, 4]
    review_only = criterion("progress", values, applies_when={"plan_kinds": ["annual_review"]})
    rubric = make_rubric([criterion("a", values), review_only])
    assert not rubric.criterion("progress").applies_to_subject(SubjectContext(9, "new"))
    assert rubric.criterion("progress").applies_to_subject(SubjectContext(9, "annual_review"))


@pytest.mark.parametrize(
    ("days_late", "grade"), [(-30, 3), (0, 3), (1, 2), (14, 2), (15, 1), (400, 1)]
)
def test_timeliness_bands(days_late: int, grade: int) -> None:
    rubric = make_rubric([criterion("a", [1, 2, 3, 4]), TIMELINESS])
    assert timeliness_grade(rubric.criterion("timeliness"), days_late) == grade


def test_computed_grades_fill_timeliness() -> None:
    rubric = make_rubric([criterion("a", [1, 2, 3, 4]), TIMELINESS])
    assert computed_grades(rubric, 20) == {"timeliness": 1}
    assert computed_grades(rubric, None) == {"timeliness": None}
    with pytest.raises(GradingError, match="no timeliness bands"):
        timeliness_grade(rubric.criterion("a"), 3)


def test_override_needs_a_reason_and_a_scale_value() -> None:
    rubric = simple()
    grades = {"a": 3, "b": 3, "c": 2, "d": 2}
    assert resolve_overall(rubric, grades) == OverallResult(2, None, None)
    with pytest.raises(GradingError, match="written reason"):
        resolve_overall(rubric, grades, override=3)
    with pytest.raises(GradingError, match="written reason"):
        resolve_overall(rubric, grades, override=3, reason="   ")
    with pytest.raises(GradingError, match="not on the scale"):
        resolve_overall(rubric, grades, override=7, reason="because")
    result = resolve_overall(rubric, grades, override=3, reason="  Strong section F  ")
    assert (result.computed, result.override, result.final) == (2, 3, 3)
    assert result.override_reason == "Strong section F" and result.overridden
    assert resolve_overall(rubric, grades, reason="ignored without an override").final == 2


def test_override_cannot_lift_above_a_limiting_criterion() -> None:
    values = [1, 2, 3, 4]
    rubric = make_rubric([criterion("child_voice", values, limiting=True), criterion("a", values)])
    grades = {"child_voice": 2, "a": 4}
    with pytest.raises(GradingError, match="limiting criterion 'Child_Voice'"):
        resolve_overall(rubric, grades, override=3, reason="panel view")
    assert resolve_overall(rubric, grades, override=1, reason="panel view").final == 1


def test_good_or_better() -> None:
    rubric = simple()
    assert rubric.good_or_better == 3
    assert [is_good_or_better(rubric, g) for g in (None, 1, 2, 3, 4)] == [
        False, False, False, True, True,
    ]  # fmt: skip


def test_grading_module_stays_pure() -> None:
    source = Path(__file__).resolve().parent.parent / "qa_app" / "standards" / "grading.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "collections", "dataclasses", "fractions", "qa_app"}


def test_criteria_and_rubrics_are_hashable() -> None:
    rubric = simple()
    assert len({rubric, Rubric.from_dict(rubric.to_dict())}) == 1
    assert len(set(rubric.criteria)) == 4


# Properties over random valid rubrics and grades


@st.composite
def rubric_specs(draw: st.DrawFn, method: str | None = None) -> dict[str, Any]:
    size = draw(st.integers(2, 6))
    values = sorted(draw(st.sets(st.integers(-5, 20), min_size=size, max_size=size)))
    chosen = method or draw(st.sampled_from(METHODS))
    rounding = draw(st.sampled_from(["down", "nearest"])) if chosen == "weighted_mean" else "down"
    weights = st.one_of(st.integers(1, 5), st.floats(0.05, 5, allow_nan=False))
    count = draw(st.integers(1, 6))
    criteria = [
        criterion(f"c{i}", values, weight=draw(weights), limiting=draw(st.booleans()))
        for i in range(count)
    ]
    return {
        "scale": [(v, f"Level {v}") for v in values],
        "method": chosen,
        "rounding": rounding,
        "criteria": criteria,
    }


def build(spec: dict[str, Any]) -> Rubric:
    return make_rubric(spec["criteria"], spec["method"], spec["rounding"], spec["scale"])


@st.composite
def rubric_and_grades(
    draw: st.DrawFn, method: str | None = None
) -> tuple[dict[str, Any], dict[str, int | None]]:
    spec = draw(rubric_specs(method))
    values = [v for v, _ in spec["scale"]]
    grade = st.one_of(st.none(), st.sampled_from(values), st.sampled_from(values))
    grades = {c["id"]: draw(grade) for c in spec["criteria"]}
    return spec, grades


@given(rubric_and_grades())
def test_result_is_a_scale_value_within_the_grades(
    case: tuple[dict[str, Any], dict[str, int | None]],
) -> None:
    spec, grades = case
    rubric = build(spec)
    result = overall_grade(rubric, grades)
    given_grades = [g for g in grades.values() if g is not None]
    if not given_grades:
        assert result is None
        return
    assert result in rubric.scale_values
    assert min(given_grades) <= result <= max(given_grades)


@given(rubric_and_grades())
def test_never_better_than_a_limiting_criterion(
    case: tuple[dict[str, Any], dict[str, int | None]],
) -> None:
    spec, grades = case
    rubric = build(spec)
    result = overall_grade(rubric, grades)
    for c in rubric.criteria:
        if c.limiting and grades[c.id] is not None:
            assert result is not None and result <= grades[c.id]


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_raising_one_grade_never_lowers_the_overall(method: str, data: st.DataObject) -> None:
    spec, grades = data.draw(rubric_and_grades(method))
    rubric = build(spec)
    graded = [cid for cid, g in grades.items() if g is not None]
    if not graded:
        return
    cid = data.draw(st.sampled_from(graded))
    higher = [v for v in rubric.scale_values if v > grades[cid]]  # type: ignore[operator]
    if not higher:
        return
    raised = {**grades, cid: data.draw(st.sampled_from(higher))}
    before, after = overall_grade(rubric, grades), overall_grade(rubric, raised)
    assert before is not None and after is not None and after >= before


@given(rubric_specs(), st.data())
def test_one_criterion_gives_its_own_grade(spec: dict[str, Any], data: st.DataObject) -> None:
    spec = {**spec, "criteria": spec["criteria"][:1]}
    rubric = build(spec)
    grade = data.draw(st.sampled_from(rubric.scale_values))
    assert overall_grade(rubric, {rubric.criteria[0].id: grade}) == grade


@given(rubric_and_grades(), st.booleans(), st.floats(0.1, 10))
def test_adding_a_not_applicable_criterion_changes_nothing(
    case: tuple[dict[str, Any], dict[str, int | None]], limiting: bool, weight: float
) -> None:
    spec, grades = case
    values = [v for v, _ in spec["scale"]]
    extra = criterion("extra", values, limiting=limiting, weight=weight)
    wider = build({**spec, "criteria": [*spec["criteria"], extra]})
    assert overall_grade(wider, {**grades, "extra": None}) == overall_grade(build(spec), grades)


@given(rubric_specs())
def test_round_trip_keeps_rubric_and_hash(spec: dict[str, Any]) -> None:
    rubric = build(spec)
    rebuilt = Rubric.from_dict(rubric.to_dict())
    assert rebuilt == rubric and rebuilt.content_hash == rubric.content_hash
