"""Survey files are checked like rubrics: every problem names the file, line and key; a
changed file needs a new version, and answers keep the version they were given against."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.surveys.definition import RubricError, parse_survey, validate_survey_files
from qa_app.surveys.models import SurveyVersion
from qa_app.surveys.operations import load_survey_files

SHIPPED = Path(__file__).resolve().parents[1] / "rubrics" / "surveys"

GOOD = """\
id: tiny
title: A tiny survey
version: "1"
audience: family
respondent: parent_carer
scales:
  experience:
    levels:
      - {value: 1, label: Poor}
      - {value: 2, label: Good}
    good_or_better: 2
questions:
  - id: overall
    text: How was it?
    kind: scale
    scale: experience
    headline: true
  - id: comments
    text: Anything else?
    kind: free_text
    required: false
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(RubricError) as caught:
        parse_survey(text, "s.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_surveys_are_valid_and_cover_families_and_staff() -> None:
    assert validate_survey_files([SHIPPED]) == []
    from qa_app.surveys.definition import load_survey

    surveys = [load_survey(path) for path in sorted(SHIPPED.glob("*.yaml"))]
    assert {s.respondent for s in surveys} == {"parent_carer", "young_person", "practitioner"}
    for survey in surveys:
        assert all(q.scale is not None for q in survey.questions if q.kind == "scale")
        if survey.audience == "family":
            assert survey.headline is not None
            # plain English: short questions
            assert all(len(q.text.split()) <= 14 for q in survey.questions)


def test_a_good_file_parses() -> None:
    survey = parse_survey(GOOD, "s.yaml")
    assert survey.headline is not None and survey.headline.is_good(2)
    assert not survey.headline.is_good(1)


def test_malformed_yaml_names_its_line() -> None:
    broken = GOOD.replace("  - id: comments", "  - id: [comments")
    [problem] = _problems(broken)
    assert problem.startswith("s.yaml:")
    assert "not valid YAML" in problem


def test_an_unknown_key_names_file_line_and_key() -> None:
    text = GOOD.replace("    kind: free_text\n", "    kind: free_text\n    colour: blue\n")
    [problem] = _problems(text)
    line = text.splitlines().index("    colour: blue") + 1
    assert problem.startswith(f"s.yaml:{line}: questions[1].colour: unknown key")


def test_a_scale_without_a_good_or_better_point_is_refused() -> None:
    text = GOOD.replace("    good_or_better: 2\n", "")
    problems = _problems(text)
    line = text.splitlines().index("  experience:") + 1
    assert f"s.yaml:{line}: scales.experience.good_or_better: required key is missing" \
        in problems


def test_a_good_or_better_point_off_the_scale_is_refused() -> None:
    text = GOOD.replace("    good_or_better: 2\n", "    good_or_better: 5\n")
    line = text.splitlines().index("    good_or_better: 5") + 1
    assert _problems(text) == [
        f"s.yaml:{line}: scales.experience.good_or_better: 5 is not a value on the scale"]


def test_a_question_on_an_unlisted_scale_and_a_missing_headline() -> None:
    text = GOOD.replace("    scale: experience\n    headline: true\n", "    scale: mood\n")
    problems = _problems(text)
    assert any("questions[0].scale: 'mood' is not one of the scales" in p for p in problems)
    assert any("exactly one scale question `headline: true`" in p for p in problems)


def test_validate_and_load_commands(app: Flask, runner, tmp_path: Path) -> None:
    ok = runner.invoke(["surveys", "validate", str(SHIPPED)])
    assert ok.exit_code == 0 and ok.output.strip() == "ok"
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("    good_or_better: 2\n", ""))
    refused = runner.invoke(["surveys", "validate", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:" in refused.output and "good_or_better: required key is missing" \
        in refused.output

    loaded = runner.invoke(["surveys", "load"])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.count("loaded ") == 3
    again = runner.invoke(["surveys", "load"])
    assert again.output.count("unchanged ") == 3


def test_a_changed_file_needs_a_new_version_and_old_versions_stay(app: Flask,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    with app.app_context():
        load_survey_files([path])
        path.write_text(GOOD.replace("How was it?", "How did it go?"))
        with pytest.raises(RubricError) as caught:
            load_survey_files([path])
        assert "give the changed file a new version" in str(caught.value)
        path.write_text(GOOD.replace("How was it?", "How did it go?")
                        .replace('version: "1"', 'version: "2"'))
        load_survey_files([path])
        versions = db.session.scalars(select(SurveyVersion.version)
                                      .where(SurveyVersion.survey_id == "tiny")).all()
        assert sorted(versions) == ["1", "2"]
