"""What guards an audit: the check page before submitting, a closed cycle, the override
offered only as the limiting criteria allow, a stale save that keeps what was typed, the
next audit after submitting, and times in UK time."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from tests import factories as make
from tests.factories import World, audits_of, csrf_token, judged_ids, log_entries, signed_in

CLOSED = "This cycle is closed: ask the quality improvement manager to reopen it"
PLAN_CRITERIA = judged_ids("ehcp-plan.yaml")


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=2)
    make.on(app).panel(world)
    return world


def auditor_of(app: Flask, world: World, plan_index: int = 1) -> tuple[FlaskClient, dict, str]:
    audit = audits_of(app, plan_id=world.plan_ids[plan_index])[0]
    email = next(world.emails[k] for k, v in world.users.items() if v == audit["auditor_id"])
    return signed_in(app, email), audit, f"/my-audits/{audit['id']}"


def posted(client: FlaskClient, url: str, action: str, grades: dict[str, int],
           **extra: str) -> dict[str, str]:
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', page).group(1)
    data = {"csrf_token": csrf_token(client, url), "row_version": version, "action": action}
    data.update({f"grade_{cid}": str(grade) for cid, grade in grades.items()})
    data.update(extra)
    return data


def graded(grade: int, **special: int) -> dict[str, int]:
    return {cid: special.get(cid, grade) for cid in PLAN_CRITERIA}


def check_page_version(client: FlaskClient, url: str) -> str:
    page = client.get(f"{url}/check").get_data(as_text=True)
    return re.search(r'name="row_version" type="hidden" value="(\d+)"', page).group(1)


def test_continue_saves_a_draft_and_shows_the_answers_to_check(app, world):
    client, audit, url = auditor_of(app, world)
    notes = {"evidence_child_voice": "Views only through the parent."}
    answer = client.post(url, data=posted(client, url, "check", graded(3, child_voice=2),
                                          **notes))
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{url}/check")
    assert audits_of(app, id=audit["id"])[0]["status"] == "draft"
    page = unescape(client.get(f"{url}/check").get_data(as_text=True))
    assert "Check your audit of EHC plan EHCP-W-001 before you submit it" in page
    assert "Views only through the parent." in page
    assert "Requires improvement (2)" in page and "Overall grade you are submitting" in page
    assert "you cannot change this audit" in page
    assert 'name="confirmed" type="hidden" value="yes"' in page

    done = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, f"{url}/check"),
                                              "row_version": check_page_version(client, url),
                                              "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{url}/submitted")
    stored = audits_of(app, id=audit["id"])[0]
    assert (stored["status"], stored["computed"]) == ("submitted", 2)
    assert log_entries(app, "audit.submit")[-1].changes["status"] == ["draft", "submitted"]


def test_a_post_that_skips_the_check_is_refused_and_changes_nothing(app, world):
    client, audit, url = auditor_of(app, world)
    client.post(url, data=posted(client, url, "draft", graded(3)))
    before = audits_of(app, id=audit["id"])[0]

    forged = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, url),
                                                "row_version": str(before["row_version"])})
    assert forged.status_code == 400
    assert "Nothing was submitted" in forged.get_data(as_text=True)
    old_style = client.post(url, data=posted(client, url, "submit", graded(4)))
    assert old_style.status_code == 400
    assert "Nothing was submitted" in old_style.get_data(as_text=True)
    assert audits_of(app, id=audit["id"])[0] == before
    assert log_entries(app, "audit.submit") == []


def test_the_check_page_says_what_is_missing_and_offers_no_submit(app, world):
    client, _, url = auditor_of(app, world)
    client.post(url, data=posted(client, url, "draft", {"child_voice": 1}))
    page = unescape(client.get(f"{url}/check").get_data(as_text=True))
    assert "What is not finished" in page
    assert "Enter the evidence for grading Child or young person's voice as Inadequate" in page
    assert f'href="{url}#grade_outcomes"' in page
    assert 'name="confirmed"' not in page


def test_a_closed_cycle_refuses_drafts_and_submission(app, world):
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.errors import ScoringError
    from qa_app.audits.scoring.forms import ScoreInput
    from qa_app.audits.scoring.operations import save, submit_saved

    client, audit, url = auditor_of(app, world)
    client.post(url, data=posted(client, url, "draft", graded(3)))
    data = posted(client, url, "draft", graded(4))
    with app.app_context():
        db.session.get(Cycle, world.cycle_id).status = "closed"
        db.session.commit()

    listing = unescape(client.get("/my-audits/").get_data(as_text=True))
    to_do = listing.split("To do (")[1].split("In a closed cycle")[0]
    assert f'href="{url}"' not in to_do and "To do (0)" in listing
    assert "In a closed cycle (" in listing and CLOSED in listing
    page = unescape(client.get(url).get_data(as_text=True))
    assert CLOSED in page and 'name="grade_child_voice"' not in page

    refused = client.post(url, data=data)
    assert refused.status_code == 409 and CLOSED in unescape(refused.get_data(as_text=True))
    check = unescape(client.get(f"{url}/check").get_data(as_text=True))
    assert CLOSED in check and 'name="confirmed"' not in check
    forged = client.post(f"{url}/submit", data={
        "csrf_token": csrf_token(client, url), "confirmed": "yes",
        "row_version": str(audits_of(app, id=audit["id"])[0]["row_version"])})
    assert forged.status_code == 400 and CLOSED in unescape(forged.get_data(as_text=True))
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["status"] == "draft" and stored["scores"]["child_voice"][0] == 3

    with app.app_context():
        row = db.session.get(Audit, audit["id"])
        with pytest.raises(ScoringError, match=CLOSED):
            save(row, ScoreInput(graded(4), {}, None, None), row_version=row.row_version,
                 submit=False)
        with pytest.raises(ScoringError, match=CLOSED):
            submit_saved(row, row_version=row.row_version)
        db.session.rollback()


def test_only_overrides_the_limiting_criterion_allows_are_offered(app, world):
    client, _, url = auditor_of(app, world)
    page = client.get(url).get_data(as_text=True)
    offered = set(re.findall(r'name="override_grade" type="radio" value="(\d)"', page))
    assert offered == {"1", "2", "3", "4"}

    notes = {"evidence_child_voice": "Second-hand views."}
    client.post(url, data=posted(client, url, "draft", graded(4, child_voice=2), **notes))
    page = unescape(client.get(url).get_data(as_text=True))
    offered = set(re.findall(r'name="override_grade" type="radio" value="(\d)"', page))
    assert offered == {"1", "2"}
    assert "Make it Good" not in page and "Make it Outstanding" not in page
    assert "Make it Requires improvement" in page

    # the grades and the reason sit in the reveal of the override box, hidden until ticked
    assert 'data-aria-controls="conditional-override"' in page
    assert 'govuk-checkboxes__conditional--hidden" id="conditional-override"' in page
    before, reveal = page.split('id="conditional-override"')
    reveal = reveal.split('name="action"')[0]
    assert 'name="override_grade"' in reveal and 'name="override_reason"' in reveal
    assert 'name="override_grade"' not in before and 'name="override_reason"' not in before


def test_the_overall_grade_says_one_thing(app, world):
    client, _, url = auditor_of(app, world)
    page = unescape(client.get(url).get_data(as_text=True))
    assert "Not worked out yet" not in page
    overall = re.search(r"<p[^>]*data-overall-now[^>]*>(.*?)</p>", page, re.S).group(1)
    assert overall.strip() == "No overall grade yet: it is worked out once criteria are graded."
    client.post(url, data=posted(client, url, "draft", graded(3)))
    page = unescape(client.get(url).get_data(as_text=True))
    overall = re.search(r"<p[^>]*data-overall-now[^>]*>(.*?)</p>", page, re.S).group(1)
    assert "Computed from the grades last saved: <strong>Good (3)</strong>" in overall
    assert page.count("data-overall-now") == 1


def test_every_limited_text_box_has_a_character_count(app, world):
    client, _, url = auditor_of(app, world)
    page = client.get(url).get_data(as_text=True)
    counts = re.findall(r'data-module="govuk-character-count" data-maxlength="(\d+)"', page)
    assert counts.count("5000") == len(PLAN_CRITERIA)
    assert counts.count("2000") == 1


def test_a_stale_save_shows_both_versions_and_keeps_what_was_typed(app, world):
    client, audit, url = auditor_of(app, world)
    email = next(world.emails[k] for k, v in world.users.items() if v == audit["auditor_id"])
    other_tab = signed_in(app, email)
    mine = posted(client, url, "draft", {"child_voice": 1},
                  evidence_child_voice="Typed in the first tab: the views are missing.")
    theirs = posted(other_tab, url, "draft", {"child_voice": 4},
                    evidence_child_voice="Saved from the second tab.")
    assert other_tab.post(url, data=theirs).status_code == 302

    stale = client.post(url, data=mine)
    page = unescape(stale.get_data(as_text=True))
    assert stale.status_code == 409
    assert "so your changes were not saved" in page and "Two versions of this audit" in page
    assert "Saved from the second tab." in page
    textarea = re.search(r'<textarea[^>]*name="evidence_child_voice"[^>]*>(.*?)</textarea>',
                         page, re.S).group(1)
    assert textarea.strip() == "Typed in the first tab: the views are missing."
    assert re.search(r'name="grade_child_voice" type="radio" value="1" checked', page)
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["scores"]["child_voice"] == (4, "Saved from the second tab.")

    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', page).group(1)
    assert version == str(stored["row_version"])
    again = client.post(url, data={**mine, "row_version": version})
    assert again.status_code == 302
    assert audits_of(app, id=audit["id"])[0]["scores"]["child_voice"] == (
        1, "Typed in the first tab: the views are missing.")


def test_after_submitting_the_next_audit_is_offered(app, world):
    client, audit, url = auditor_of(app, world, plan_index=0)
    mine = [a for a in audits_of(app) if a["auditor_id"] == audit["auditor_id"]]
    assert len(mine) > 1
    criteria = judged_ids("ehcp-plan.yaml", nc_year=9)
    client.post(url, data=posted(client, url, "check", {c: 3 for c in criteria}))
    client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, f"{url}/check"),
                                       "row_version": check_page_version(client, url),
                                       "confirmed": "yes"})
    page = unescape(client.get(f"{url}/submitted").get_data(as_text=True))
    assert "Audit submitted" in page and "What happens next" in page
    following = next(a for a in mine if a["id"] != audit["id"])
    assert f'href="/my-audits/{following["id"]}"' in page
    assert "Start your next audit" in page


def test_times_are_shown_in_uk_time(app, world):
    client, audit, url = auditor_of(app, world)
    with app.app_context():
        row = db.session.get(Audit, audit["id"])
        row.status = "submitted"
        row.submitted_at = datetime(2025, 7, 1, 9, 30)  # UTC; 10:30 in British Summer Time
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Submitted at 10:30 on 1 July 2025." in page
    assert "(UTC)" not in page
    assert "10:30 on 1 July 2025" in client.get(f"{url}/submitted").get_data(as_text=True)
