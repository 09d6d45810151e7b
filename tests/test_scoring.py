"""Scoring an audit: the generated form, its rules, drafts, submission, reopening, two tabs."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.register.models import Advice
from tests import factories as make
from tests.factories import World, audits_of, csrf_token, judged_ids, log_entries, sign_in
from tests.factories.reads import assert_stale_save_kept_the_first


def email_of(world: World, user_id: int) -> str:
    return next(world.emails[k] for k, v in world.users.items() if v == user_id)


def first_audit(app: Flask, world: World, **where: object) -> dict:
    return audits_of(app, **where)[0]


def row_version(page: str) -> str:
    match = re.search(r'name="row_version" type="hidden" value="(\d+)"', page)
    assert match, "no row_version on the page"
    return match.group(1)


def form_data(client: FlaskClient, url: str, grades: dict[str, int], action: str,
              evidence: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, url), "row_version": row_version(page),
            "action": action}
    for cid, grade in grades.items():
        data[f"grade_{cid}"] = str(grade)
    for cid, note in (evidence or {}).items():
        data[f"evidence_{cid}"] = note
    data.update(extra)
    return data


def submit_checked(client: FlaskClient, url: str, data: dict[str, str]) -> TestResponse:
    """Continue to the check page (which saves the draft), then submit from it."""
    answer = client.post(url, data={**data, "action": "check"})
    if answer.status_code != 302:
        return answer
    assert answer.headers["Location"].endswith(f"{url}/check")
    page = client.get(f"{url}/check").get_data(as_text=True)
    return client.post(f"{url}/submit", data={
        "csrf_token": csrf_token(client, f"{url}/check"), "row_version": row_version(page),
        "confirmed": "yes"})


def all_graded(criteria: list[str], grade: int, **special: int) -> dict[str, int]:
    return {cid: special.get(cid, grade) for cid in criteria}


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=2)
    make.on(app).panel(world)
    return world


def test_my_audits_lists_only_the_auditors_own_work_grouped_by_status(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[0])
    email = email_of(world, audit["auditor_id"])
    sign_in(client, email)
    page = client.get("/my-audits/").get_data(as_text=True)
    mine = [a for a in audits_of(app) if a["auditor_id"] == audit["auditor_id"]]
    links = set(re.findall(r'href="/my-audits/(\d+)"', page))
    assert links == {str(a["id"]) for a in mine}
    assert "To do (" in page and "In progress (0)" in page and "Submitted (0)" in page


def test_auditors_get_404_for_other_audits_unassigned_subjects_and_own_agency_work(
    app, client, world
):
    audit = first_audit(app, world, plan_id=world.plan_ids[0])
    auditor_id = audit["auditor_id"]
    sign_in(client, email_of(world, auditor_id))
    others = [a for a in audits_of(app) if a["auditor_id"] != auditor_id]
    assert client.get(f"/my-audits/{audit['id']}").status_code == 200
    assert client.get(f"/my-audits/{others[0]['id']}").status_code == 404
    assert client.get("/my-audits/99999").status_code == 404

    unassigned = make.on(app).plan(world.agencies["SEND Casework Team"])
    assert client.get(f"/plans/{unassigned.id}").status_code == 404

    # An audit of the auditor's own agency's advice, made behind the rules' back, stays hidden.
    with app.app_context():
        from qa_app.auth.models import User

        me = db.session.get(User, auditor_id)
        own = db.session.scalar(select(Advice).where(Advice.agency_id == me.agency_id))
        base = db.session.get(Audit, audit["id"])
        rogue = Audit(cycle_id=base.cycle_id, panel_id=base.panel_id, advice_id=own.id,
                      auditor_id=auditor_id, rubric_version_id=base.rubric_version_id)
        db.session.add(rogue)
        db.session.commit()
        rogue_id = rogue.id
    assert client.get(f"/my-audits/{rogue_id}").status_code == 404


def test_the_page_shows_the_subjects_facts_and_the_rubric(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[0])
    sign_in(client, email_of(world, audit["auditor_id"]))
    page = unescape(client.get(f"/my-audits/{audit['id']}").get_data(as_text=True))
    assert "EHCP-W-000" in page
    assert "National curriculum year" in page and "9 (Secondary)" in page
    assert re.search(r"Transition year</dt><dd[^>]*>Yes", page)
    assert "New plan" in page
    assert "Issued 18 weeks after the request (within 20 weeks)" in page
    for cid in judged_ids("ehcp-plan.yaml", nc_year=9):
        assert f'name="grade_{cid}"' in page and f'name="evidence_{cid}"' in page
    assert "Child or young person's voice" in page
    assert "Limiting: the overall grade can be no better than this one." in page
    assert 'value="check"' in page and 'value="draft"' in page
    assert "<script" not in page.split('<main')[1].split('</main>')[0]


def test_plans_below_year_9_show_preparation_for_adulthood_as_not_applicable(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    sign_in(client, email_of(world, audit["auditor_id"]))
    page = unescape(client.get(f"/my-audits/{audit['id']}").get_data(as_text=True))
    assert "Not applicable to this plan" in page
    assert 'name="grade_preparation_for_adulthood"' not in page


def test_advice_shows_dates_and_timeliness_but_the_agency_grade_only_after_submission(
    app, client, world
):
    with app.app_context():
        advice = db.session.scalar(select(Advice).where(Advice.advice_type == "health"))
        advice.agency_grade = 4
        db.session.commit()
        advice_id = advice.id
    audit = first_audit(app, world, advice_id=advice_id)
    sign_in(client, email_of(world, audit["auditor_id"]))
    url = f"/my-audits/{audit['id']}"
    page = unescape(client.get(url).get_data(as_text=True))
    assert "Advice due" in page and "20/10/2025" in page and "30/10/2025" in page
    assert "10 days late" in page
    assert "Requires improvement (2): 10 days late" in page
    assert "assured grade" not in page

    criteria = judged_ids("advice-health.yaml")
    data = form_data(client, url, all_graded(criteria, 3), "check")
    assert submit_checked(client, url, data).status_code == 302
    page = unescape(client.get(url).get_data(as_text=True))
    assert "The agency's own assured grade" in page and "Outstanding (4)" in page
    assert 'name="grade_' not in page
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["scores"]["timeliness"] == (2, None)


def test_a_failed_submit_lists_every_problem_at_the_top(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[0])
    sign_in(client, email_of(world, audit["auditor_id"]))
    url = f"/my-audits/{audit['id']}"
    response = client.post(url, data=form_data(client, url, {"child_voice": 2}, "check"))
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    summary = page.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert page.index("govuk-error-summary") < page.index("<h1")
    assert "Enter the evidence for grading Child or young person's voice as Requires " \
           "improvement" in summary
    assert 'href="#evidence_child_voice"' in summary
    assert "Select a grade for" in summary and 'href="#grade_outcomes"' in summary
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    assert audits_of(app, id=audit["id"])[0]["status"] == "assigned"


def test_override_needs_a_reason_and_cannot_beat_a_limiting_criterion(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    sign_in(client, email_of(world, audit["auditor_id"]))
    url = f"/my-audits/{audit['id']}"
    criteria = judged_ids("ehcp-plan.yaml")
    grades = all_graded(criteria, 3, child_voice=2)
    notes = {"child_voice": "Views recorded only through the parent."}
    no_reason = client.post(url, data=form_data(client, url, grades, "check", notes,
                                                override="yes", override_grade="2"))
    assert no_reason.status_code == 400
    assert "Enter the reason for overriding the computed overall grade" in unescape(
        no_reason.get_data(as_text=True))

    too_high = client.post(url, data=form_data(client, url, grades, "check", notes,
                                               override="yes", override_grade="4",
                                               override_reason="Strong plan overall"))
    page = unescape(too_high.get_data(as_text=True))
    assert too_high.status_code == 400
    assert "cannot be better than limiting criterion" in page
    assert 'href="#override_grade"' in page
    assert audits_of(app, id=audit["id"])[0]["status"] == "assigned"

    forged = client.post(url, data=form_data(client, url, {"child_voice": 9}, "draft"))
    assert forged.status_code == 400
    assert "Select a grade for Child or young person's voice from the list" in unescape(
        forged.get_data(as_text=True))

    lower = submit_checked(client, url, form_data(client, url, grades, "check", notes,
                                                  override="yes", override_grade="1",
                                                  override_reason="Outcomes are copied from 2023"))
    assert lower.status_code == 302
    stored = audits_of(app, id=audit["id"])[0]
    assert (stored["computed"], stored["override"], stored["status"]) == (2, 1, "submitted")


def test_draft_then_submit_then_read_only(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    sign_in(client, email_of(world, audit["auditor_id"]))
    url = f"/my-audits/{audit['id']}"
    draft = client.post(url, data=form_data(client, url, {"child_voice": 2,
                                                          "educational_needs": 4},
                                            "draft"))
    assert draft.status_code == 302
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["status"] == "draft"
    assert stored["scores"]["child_voice"] == (2, None)
    assert stored["computed"] == 2
    page = unescape(client.get(url).get_data(as_text=True))
    assert "Draft saved" in page and "provisional: 2 of" in page
    assert 'value="2" checked' in page or re.search(
        r'name="grade_child_voice" type="radio" value="2" checked', page)

    entry = log_entries(app, "audit.save_draft")[-1]
    assert entry.record_type == "audit" and entry.record_id == str(audit["id"])
    assert entry.changes["grades"]["child_voice"] == [None, 2]
    assert entry.changes["status"] == ["assigned", "draft"]

    criteria = judged_ids("ehcp-plan.yaml")
    grades = all_graded(criteria, 3)
    submit = submit_checked(client, url, form_data(client, url, grades, "check"))
    assert submit.status_code == 302
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["status"] == "submitted" and stored["computed"] == 3
    checked = log_entries(app, "audit.save_draft")[-1]
    assert checked.changes["grades"]["child_voice"] == [2, 3]
    assert checked.changes["grades"]["educational_needs"] == [4, 3]
    entry = log_entries(app, "audit.submit")[-1]
    assert entry.changes["status"] == ["draft", "submitted"]

    page = client.get(url).get_data(as_text=True)
    assert 'name="grade_' not in page and "Submitted at" in page
    again = client.post(url, data={"csrf_token": csrf_token(client, url),
                                   "row_version": str(stored["row_version"]),
                                   "action": "draft", "grade_child_voice": "1"})
    assert again.status_code == 409
    assert "can no longer be changed" in again.get_data(as_text=True)
    assert audits_of(app, id=audit["id"])[0]["scores"]["child_voice"][0] == 3


def test_two_tabs_cannot_overwrite_each_other(app, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    email = email_of(world, audit["auditor_id"])
    url = f"/my-audits/{audit['id']}"
    first, second = app.test_client(), app.test_client()
    sign_in(first, email)
    sign_in(second, email)
    first_form = form_data(first, url, {"child_voice": 4}, "draft")
    second_form = form_data(second, url, {"child_voice": 1}, "draft")
    assert first.post(url, data=first_form).status_code == 302
    stale = second.post(url, data=second_form)
    assert_stale_save_kept_the_first(app, stale, audit["id"])


def test_the_chair_reopens_a_submitted_audit_with_a_reason(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    auditor = app.test_client()
    sign_in(auditor, email_of(world, audit["auditor_id"]))
    url = f"/my-audits/{audit['id']}"
    grades = all_graded(judged_ids("ehcp-plan.yaml"), 3)
    assert submit_checked(auditor, url, form_data(auditor, url, grades, "check")).status_code == 302

    other_chair = app.test_client()
    sign_in(other_chair, world.emails["other_chair"])
    assert other_chair.get(url).status_code == 404
    assert other_chair.get(f"/moderation/audits/{audit['id']}/reopen").status_code == 404

    sign_in(client, world.emails["chair"])
    page = client.get(url).get_data(as_text=True)
    assert "Reopen this audit" in page and 'name="grade_' not in page
    reopen_url = f"/moderation/audits/{audit['id']}/reopen"
    token = csrf_token(client, reopen_url)
    missing = client.post(reopen_url, data={"csrf_token": token, "reason": "  "})
    assert missing.status_code == 400
    assert "Enter the reason for reopening this audit" in missing.get_data(as_text=True)
    assert audits_of(app, id=audit["id"])[0]["status"] == "submitted"
    done = client.post(reopen_url, data={"csrf_token": token,
                                         "reason": "Evidence for outcomes is missing"})
    assert done.status_code == 302
    assert audits_of(app, id=audit["id"])[0]["status"] == "draft"
    entry = log_entries(app, "audit.reopen")[-1]
    assert entry.reason == "Evidence for outcomes is missing"
    assert entry.user_id == world.users["chair"]
    assert entry.changes == {"status": ["submitted", "draft"]}
    assert 'name="grade_child_voice"' in auditor.get(url).get_data(as_text=True)


def test_chairs_and_managers_cannot_post_scores(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    url = f"/my-audits/{audit['id']}"
    for key in ("chair", "manager"):
        session = app.test_client()
        sign_in(session, world.emails[key])
        assert session.get(url).status_code == 200
        token = csrf_token(session, "/")
        response = session.post(url, data={"csrf_token": token, "row_version": "1",
                                           "action": "submit", "grade_child_voice": "4"})
        assert response.status_code == 404
    assert audits_of(app, id=audit["id"])[0]["status"] == "assigned"


def test_a_chair_sees_only_the_audits_of_panels_they_chair(app, client, world):
    sign_in(client, world.emails["other_chair"])
    page = client.get("/my-audits/").get_data(as_text=True)
    assert "No audits have been assigned in your panels yet." in page
    chair = app.test_client()
    sign_in(chair, world.emails["chair"])
    page = chair.get("/my-audits/").get_data(as_text=True)
    assert len(set(re.findall(r'href="/my-audits/(\d+)"', page))) == len(audits_of(app))
    with app.app_context():
        assert db.session.scalar(select(Panel.chair_id)) == world.users["chair"]


def test_the_overall_grade_of_unsaved_grades_is_worked_out_without_saving(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    sign_in(client, email_of(world, audit["auditor_id"]))
    url = f"/my-audits/{audit['id']}"
    page = client.get(url).get_data(as_text=True)
    assert f'data-overall-url="{url}/overall"' in page and "data-overall-now" in page
    token = csrf_token(client, url)
    criteria = judged_ids("ehcp-plan.yaml")
    outstanding = {f"grade_{cid}": "4" for cid in criteria}
    answer = client.post(f"{url}/overall", data={"csrf_token": token, **outstanding}).get_json()
    assert answer == {"grade": 4, "label": "Outstanding", "graded": len(criteria),
                      "judged": len(criteria)}
    # child voice is limiting: one weak grade there caps the whole plan, as on saving
    capped = {**outstanding, "grade_child_voice": "2"}
    answer = client.post(f"{url}/overall", data={"csrf_token": token, **capped}).get_json()
    assert (answer["grade"], answer["label"]) == (2, "Requires improvement")
    partial = client.post(f"{url}/overall", data={"csrf_token": token,
                                                  "grade_educational_needs": "3"}).get_json()
    assert (partial["grade"], partial["graded"]) == (3, 1)
    nothing = client.post(f"{url}/overall", data={"csrf_token": token}).get_json()
    assert nothing["grade"] is None
    off_scale = client.post(f"{url}/overall", data={"csrf_token": token,
                                                    "grade_child_voice": "9"})
    assert off_scale.status_code == 400 and off_scale.get_json()["message"]
    assert client.post(f"{url}/overall", data=outstanding).status_code == 400  # no CSRF token
    stored = audits_of(app, id=audit["id"])[0]
    assert stored["status"] == "assigned" and stored["computed"] is None
    assert not any(grade for grade, _ in stored["scores"].values())
    assert log_entries(app, "audit.save_draft") == []


def test_only_the_audits_own_auditor_can_ask_for_its_overall_grade(app, client, world):
    audit = first_audit(app, world, plan_id=world.plan_ids[1])
    other = next(a for a in audits_of(app, plan_id=world.plan_ids[1])
                 if a["auditor_id"] != audit["auditor_id"])
    sign_in(client, email_of(world, other["auditor_id"]))
    token = csrf_token(client, f"/my-audits/{other['id']}")
    assert client.post(f"/my-audits/{audit['id']}/overall",
                       data={"csrf_token": token}).status_code == 404
    chair = app.test_client()
    sign_in(chair, world.emails["chair"])
    token = csrf_token(chair, f"/my-audits/{audit['id']}")
    assert chair.post(f"/my-audits/{audit['id']}/overall",
                      data={"csrf_token": token}).status_code == 404
