"""Marking an example of good practice from the scoring page: the button under each criterion
saves what was typed as a draft first, then opens the mark page; it names only a criterion
graded on that page, and a stale save is caught as "Save draft" catches it."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories as make
from tests.factories import World, audits_of, csrf_token, log_entries, signed_in
from tests.factories.reads import assert_stale_save_kept_the_first

NOTE = "Views recorded only through the parent."


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=2)
    make.on(app).panel(world)
    return world


def year_3_plan_audit(app: Flask, world: World) -> tuple[dict, str, str]:
    """The audit of the year 3 plan (preparation for adulthood does not apply), its
    auditor's email and its page."""
    audit = audits_of(app, plan_id=world.plan_ids[1])[0]
    email = next(world.emails[k] for k, v in world.users.items() if v == audit["auditor_id"])
    return audit, email, f"/my-audits/{audit['id']}"


def typed(client: FlaskClient, url: str, action: str, **fields: str) -> dict[str, str]:
    """The scoring form as the page offers it, with these fields typed into it."""
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', page)
    assert version, "no row_version on the page"
    return {"csrf_token": csrf_token(client, url), "row_version": version.group(1),
            "action": action, **fields}


def test_typed_grades_are_saved_as_a_draft_before_the_mark_page_opens(app, world):
    audit, email, url = year_3_plan_audit(app, world)
    auditor = signed_in(app, email)
    page = unescape(auditor.get(url).get_data(as_text=True))
    assert re.search(r'<button type="submit" value="example:child_voice" name="action"', page)
    assert "Save your draft and mark an example of good practice" in page
    assert "/library/mark/" not in page

    answer = auditor.post(url, data=typed(auditor, url, "example:child_voice",
                                          grade_child_voice="2", evidence_child_voice=NOTE,
                                          grade_educational_needs="4"))
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/library/mark/{audit['id']}/child_voice")
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["status"] == "draft"
    assert stored["scores"]["child_voice"] == (2, NOTE)
    assert stored["scores"]["educational_needs"] == (4, None)
    assert log_entries(app, "audit.save_draft")[-1].changes["status"] == ["assigned", "draft"]

    mark_page = unescape(auditor.get(answer.headers["Location"]).get_data(as_text=True))
    assert "Draft saved" in mark_page
    assert f'href="{url}"' in mark_page  # back to the audit
    sent = auditor.post(answer.headers["Location"], data={
        "csrf_token": csrf_token(auditor, answer.headers["Location"]),
        "excerpt": "The plan opens with the young person's own words."})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(url)
    back = auditor.get(url).get_data(as_text=True)
    assert re.search(r'name="grade_child_voice" type="radio" value="2" checked', back)
    assert NOTE in unescape(back)


@pytest.mark.parametrize("action", ["example:no_such_criterion",
                                    "example:preparation_for_adulthood", "example:", "example"])
def test_an_example_of_a_criterion_not_graded_on_the_page_is_refused(app, world, action):
    audit, email, url = year_3_plan_audit(app, world)
    auditor = signed_in(app, email)
    before = audits_of(app, id=audit["id"])[0]
    answer = auditor.post(url, data=typed(auditor, url, action, grade_child_voice="3"))
    assert answer.status_code == 400
    assert "Nothing was submitted" in answer.get_data(as_text=True)
    assert audits_of(app, id=audit["id"])[0] == before
    assert log_entries(app, "audit.save_draft") == []


def test_errors_are_shown_on_the_form_and_nothing_is_saved(app, world):
    audit, email, url = year_3_plan_audit(app, world)
    auditor = signed_in(app, email)
    answer = auditor.post(url, data=typed(auditor, url, "example:child_voice",
                                          grade_child_voice="9"))
    assert answer.status_code == 400
    assert "Select a grade for Child or young person's voice from the list" in unescape(
        answer.get_data(as_text=True))
    assert audits_of(app, id=audit["id"])[0]["status"] == "assigned"


def test_a_stale_save_shows_the_conflict_and_keeps_what_was_typed(app, world):
    audit, email, url = year_3_plan_audit(app, world)
    first, second = signed_in(app, email), signed_in(app, email)
    first_form = typed(first, url, "draft", grade_child_voice="4")
    second_form = typed(second, url, "example:child_voice", grade_child_voice="1")
    assert first.post(url, data=first_form).status_code == 302

    stale = second.post(url, data=second_form)
    assert_stale_save_kept_the_first(app, stale, audit["id"])
