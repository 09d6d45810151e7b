"""The standards and targets we ship must load cleanly and say what the partnership agreed."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.standards.grading import (
    SubjectContext,
    computed_grades,
    is_good_or_better,
    overall_grade,
)
from qa_app.standards.rubric import Rubric, load_rubric, validate_rubric_files
from qa_app.standards.targets import load_targets

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
ADVICE_FILES = {
    "advice-educational-psychology.yaml": "educational_psychology",
    "advice-health.yaml": "health",
    "advice-social-care.yaml": "social_care",
    "advice-education-setting.yaml": "education_setting",
}
ALL_FILES = ["ehcp-plan.yaml", *ADVICE_FILES]


def test_every_shipped_file_is_valid() -> None:
    assert validate_rubric_files([RUBRICS]) == []
    names = {path.name for path in RUBRICS.glob("*.yaml")}
    assert {*ALL_FILES, "targets.yaml"} <= names


@pytest.mark.parametrize("name", ALL_FILES)
def test_common_shape(name: str) -> None:
    rubric = load_rubric(RUBRICS / name)
    assert rubric.id == name.removesuffix(".yaml")
    assert [(s.value, s.label) for s in rubric.scale] == [
        (1, "Inadequate"), (2, "Requires improvement"), (3, "Good"), (4, "Outstanding"),
    ]  # fmt: skip
    assert rubric.good_or_better == 3
    assert (rubric.overall.method, rubric.overall.rounding) == ("weighted_mean", "down")
    voice = rubric.criterion("child_voice")
    assert voice.limiting and voice.weight == 2 and voice.is_judged
    assert [c.id for c in rubric.criteria if c.limiting] == ["child_voice"]
    for criterion in rubric.criteria:
        assert criterion.guidance, f"{name}: {criterion.id} has no guidance"
        if criterion.is_judged:
            assert set(criterion.descriptors) == {1, 2, 3, 4}
            assert len(set(criterion.descriptors.values())) == 4


@pytest.mark.parametrize(("name", "advice_type"), ADVICE_FILES.items())
def test_advice_rubrics(name: str, advice_type: str) -> None:
    rubric = load_rubric(RUBRICS / name)
    assert rubric.applies_to == "advice" and rubric.advice_types == (advice_type,)
    ids = [c.id for c in rubric.criteria]
    assert ids == [
        "child_voice", "aspirations", "needs", "outcomes", "provision", "next_steps",
        "timeliness",
    ]  # fmt: skip
    timeliness = rubric.criterion("timeliness")
    assert timeliness.kind == "computed" and timeliness.source == "advice_timeliness"
    assert computed_grades(rubric, 0) == {"timeliness": 4}
    assert is_good_or_better(rubric, computed_grades(rubric, 0)["timeliness"])
    assert computed_grades(rubric, 10) == {"timeliness": 2}
    assert computed_grades(rubric, 30) == {"timeliness": 1}


def test_each_advice_type_has_exactly_one_rubric() -> None:
    covered = [t for name in ADVICE_FILES for t in load_rubric(RUBRICS / name).advice_types]
    assert sorted(covered) == sorted(ADVICE_FILES.values())


def test_plan_rubric_covers_sections_a_to_k() -> None:
    rubric = load_rubric(RUBRICS / "ehcp-plan.yaml")
    assert rubric.applies_to == "plan" and rubric.advice_types == ()
    sections = {word for c in rubric.criteria for word in c.section.replace(",", " ").split()}
    assert {"A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K"} <= sections
    outcomes = rubric.criterion("outcomes")
    assert "SMART" in outcomes.title


def test_preparing_for_adulthood_applies_from_year_9() -> None:
    rubric = load_rubric(RUBRICS / "ehcp-plan.yaml")
    adulthood = rubric.criterion("preparation_for_adulthood")
    assert not adulthood.applies_to_subject(SubjectContext(nc_year=8, plan_kind="new"))
    assert adulthood.applies_to_subject(SubjectContext(nc_year=9, plan_kind="annual_review"))


def test_weak_child_voice_keeps_a_strong_plan_below_good() -> None:
    rubric = load_rubric(RUBRICS / "ehcp-plan.yaml")
    year7 = SubjectContext(nc_year=7, plan_kind="annual_review")
    grades = {c.id: 4 for c in rubric.criteria_for(year7)}
    assert overall_grade(rubric, grades, year7) == 4
    assert overall_grade(rubric, {**grades, "child_voice": 2}, year7) == 2


def test_stored_form_rebuilds_each_rubric() -> None:
    for name in ALL_FILES:
        rubric = load_rubric(RUBRICS / name)
        assert Rubric.from_dict(rubric.to_dict()) == rubric


def test_shipped_targets_match_the_action_plan() -> None:
    targets = load_targets(RUBRICS / "targets.yaml")
    assert targets.advice_deadline_days == 42 and targets.assessment_deadline_weeks == 20
    assert targets.transition_years == (5, 9)
    plans = [("2025/26", 80), ("2026/27", 90), ("2027/28", 90)]
    for year, percent in plans:
        assert targets.target_for("plans_good_or_better", "all", year) == percent
    transition = [("2025/26", 70), ("2026/27", 80), ("2027/28", 90)]
    for year, percent in transition:
        assert targets.target_for("plans_good_or_better", "transition_years", year) == percent
    for measure in ("advice_good_or_better", "advice_on_time", "child_voice_good_or_better"):
        assert targets.target_for(measure, "all", "2025/26") is not None
