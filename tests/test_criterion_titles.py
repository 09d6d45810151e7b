"""Criterion titles where a figure or a line spans several practice standards: the plan and
advice standards share criterion ids but word them differently, so a title is only taken when
every standard in play agrees; otherwise the id is put in words rather than one standard's
wording heading another's grades."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask

from qa_app.extensions import db
from tests import factories as make

RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"


def _body(name: str) -> dict:
    return yaml.safe_load((RUBRICS / f"{name}.yaml").read_text())


def test_agreed_titles_keep_only_what_every_standard_says() -> None:
    from qa_app.standards.titles import agreed_titles

    health, psychology = _body("advice-health"), _body("advice-educational-psychology")
    both = agreed_titles([health, psychology])
    assert both["child_voice"] == "Child or young person's voice"
    assert "outcomes" not in both  # "Health outcomes are specific" / "Outcomes are specific"
    assert agreed_titles([psychology])["outcomes"] == "Outcomes are specific"
    reworded = {**health, "criteria": [
        {**c, "title": "Outcomes say what will change"} if c["id"] == "outcomes" else c
        for c in health["criteria"]]}
    assert agreed_titles([health, reworded])["outcomes"] == "Outcomes say what will change", (
        "a standard's newer version gives its title")


def test_a_title_without_its_standard_is_words_where_standards_differ(app: Flask) -> None:
    from qa_app.standards.titles import criterion_title

    with app.test_request_context():
        make.shipped_rubrics()
        db.session.commit()
        assert criterion_title("outcomes") == "Outcomes"
        assert criterion_title("outcomes", "ehcp-plan") == "Outcomes are SMART"
        assert criterion_title("outcomes", "advice-health") == "Health outcomes are specific"
        assert criterion_title("child_voice") == "Child or young person's voice"
        assert criterion_title("no_such_thing") == "No such thing"
