"""Moderation: the queue of disagreements, side-by-side comparison, final grades and locking."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from tests import factories as make
from tests.factories import World, audits_of, csrf_token, judged_ids, log_entries, signed_in

PLAN_CRITERIA = judged_ids("ehcp-plan.yaml", nc_year=9)  # a superset: extras are ignored


def submit(app: Flask, audit_id: int, grades: dict[str, int], override: int | None = None,
           reason: str | None = None) -> None:
    """Score and submit an audit through the operations, as its auditor would."""
    from qa_app.audits.scoring.forms import ScoreInput
    from qa_app.audits.scoring.operations import save

    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        notes = {cid: "Seen in section" for cid in grades}
        save(audit, ScoreInput(grades, notes, override, reason), row_version=audit.row_version,
             submit=True, actor_id=audit.auditor_id)
        db.session.commit()


def graded(grade: int, **special: int) -> dict[str, int]:
    return {cid: special.get(cid, grade) for cid in PLAN_CRITERIA}


def finals(app: Flask) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(FinalGrade).order_by(FinalGrade.id)).scalars()
        return [{"id": f.id, "plan_id": f.plan_id, "grade": f.grade, "method": f.method,
                 "good": f.good_or_better, "reason": f.reason, "year": f.academic_year,
                 "cycle_id": f.cycle_id, "by": f.finalised_by_id, "locked": f.locked,
                 "audit_date": f.audit_date,
                 "criteria": {c.criterion_id: (c.grade, c.good_or_better) for c in f.criteria}}
                for f in rows]


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=4, advice=False)
    make.on(app).panel(world, members=["ep1", "ep2", "health1", "health2"])
    return world


def pair(app: Flask, world: World, index: int) -> list[int]:
    return [a["id"] for a in audits_of(app, plan_id=world.plan_ids[index])]


def chair_client(app: Flask, world: World, key: str = "chair") -> FlaskClient:
    return signed_in(app, world.emails[key])


def test_the_queue_sorts_subjects_by_agreement(app, world):
    one, two = pair(app, world, 0), pair(app, world, 1)
    three, four = pair(app, world, 2), pair(app, world, 3)
    submit(app, one[0], graded(3))
    submit(app, one[1], graded(2, child_voice=2, outcomes=2, placement=2))
    submit(app, two[0], graded(3))
    submit(app, two[1], graded(3, outcomes=4))
    submit(app, three[0], graded(3, child_voice=4))
    submit(app, three[1], graded(3))
    submit(app, four[0], graded(3))

    client = chair_client(app, world)
    page = unescape(client.get("/moderation/").get_data(as_text=True))
    assert "Autumn panel" in page
    panel_id = re.search(r'href="/moderation/panels/(\d+)"', page).group(1)
    page = unescape(client.get(f"/moderation/panels/{panel_id}").get_data(as_text=True))
    assert "Needs moderation (2)" in page
    needs = page.split("Needs moderation")[1].split("Agreed, not yet finalised")[0]
    assert "EHCP-W-000" in needs and "overall grade" in needs
    assert "EHCP-W-002" in needs and "Child or young person's voice" in needs
    agreed = page.split("Agreed, not yet finalised")[1].split("Waiting for auditors")[0]
    assert "EHCP-W-001" in agreed and "Finalise 1 agreed grade" in agreed
    waiting = page.split("Waiting for auditors")[1].split("Finalised (")[0]
    assert "EHCP-W-003" in waiting and "1 of 2" in waiting


def test_finalise_agreed_in_bulk(app, world):
    for index in range(2):
        first, second = pair(app, world, index)
        submit(app, first, graded(3))
        submit(app, second, graded(3, outcomes=4, placement=2))
    client = chair_client(app, world)
    panel_url = "/moderation/panels/" + str(_panel_id(app))
    token = csrf_token(client, panel_url)
    response = client.post(f"{panel_url}/finalise-agreed", data={
        "csrf_token": token, "confirmed": "yes",
        "subject": [f"plan:{world.plan_ids[0]}", f"plan:{world.plan_ids[1]}",
                                         f"plan:{world.plan_ids[2]}"]})
    assert response.status_code == 302
    rows = finals(app)
    assert [r["plan_id"] for r in rows] == world.plan_ids[:2]
    for row in rows:
        assert (row["grade"], row["method"], row["good"], row["year"]) == (3, "agreed", True,
                                                                          "2025/26")
        assert row["criteria"]["outcomes"] == (3, True)
        assert row["criteria"]["placement"] == (2, False)
        assert row["by"] == world.users["chair"] and row["locked"]
    entries = log_entries(app, "final_grade.agreed")
    assert len(entries) == 2 and entries[0].changes["grade"] == 3
    page = client.get(panel_url).get_data(as_text=True)
    assert "Finalised (2)" in page
    again = client.post(f"{panel_url}/finalise-agreed", data={
        "csrf_token": token, "confirmed": "yes", "subject": [f"plan:{world.plan_ids[0]}"]})
    assert again.status_code == 302 and len(finals(app)) == 2


def test_the_chair_compares_and_moderates_a_disagreement(app, world):
    first, second = pair(app, world, 0)
    submit(app, first, graded(3, outcomes=4))
    submit(app, second, graded(3, child_voice=2, outcomes=2))
    client = chair_client(app, world)
    url = f"/moderation/panels/{_panel_id(app)}/plan/{world.plan_ids[0]}"
    page = unescape(client.get(url).get_data(as_text=True))
    assert "Compare audits of EHCP-W-000" in page
    assert "The auditors differ on: overall grade, Child or young person's voice" in page
    assert page.count("Seen in section") >= 2 * len(PLAN_CRITERIA)
    assert 'name="criterion_child_voice"' in page and 'name="criterion_outcomes"' in page
    assert 'name="criterion_placement"' not in page
    assert re.search(r'name="criterion_child_voice" type="radio" value="2" checked', page)
    token = csrf_token(client, url)

    no_reason = client.post(f"{url}/check", data={"csrf_token": token, "grade": "3",
                                       "criterion_child_voice": "3", "criterion_outcomes": "3"})
    assert no_reason.status_code == 400
    assert "Enter the reason for this final grade" in no_reason.get_data(as_text=True)
    capped = client.post(f"{url}/check", data={"csrf_token": token, "grade": "3",
                                               "reason": "Agreed",
                                    "criterion_child_voice": "2", "criterion_outcomes": "3"})
    assert capped.status_code == 400
    assert "cannot be better than the limiting criterion" in unescape(
        capped.get_data(as_text=True))
    assert finals(app) == []

    done = client.post(url, data={
        "csrf_token": token, "confirmed": "yes", "grade": "3", "criterion_child_voice": "3",
        "criterion_outcomes": "3", "reason": "Panel read the views section together: good"})
    assert done.status_code == 302
    [row] = finals(app)
    assert (row["grade"], row["method"], row["good"]) == (3, "moderated", True)
    assert row["reason"] == "Panel read the views section together: good"
    assert row["criteria"]["child_voice"] == (3, True)
    assert row["criteria"]["outcomes"] == (3, True)
    assert row["criteria"]["placement"] == (3, True)
    assert row["audit_date"] is not None and row["cycle_id"] == world.cycle_id
    entry = log_entries(app, "final_grade.moderated")[-1]
    assert entry.reason.startswith("Panel read") and entry.changes["grade"] == 3
    assert entry.user_id == world.users["chair"]


def test_a_finalised_grade_is_locked_and_changing_it_needs_a_reason(app, world):
    first, second = pair(app, world, 0)
    submit(app, first, graded(3))
    submit(app, second, graded(3))
    client = chair_client(app, world)
    panel_url = f"/moderation/panels/{_panel_id(app)}"
    token = csrf_token(client, panel_url)
    client.post(f"{panel_url}/finalise-agreed", data={"csrf_token": token, "confirmed": "yes",
                                                        "subject": f"plan:{world.plan_ids[0]}"})
    url = f"{panel_url}/plan/{world.plan_ids[0]}"
    page = client.get(url).get_data(as_text=True)
    assert "Change the final grade" in page and "finalised and locked" in page
    refused = client.post(f"{url}/check", data={"csrf_token": token, "grade": "2",
                                                "reason": ""})
    assert refused.status_code == 400 and finals(app)[0]["grade"] == 3
    changed = client.post(url, data={"csrf_token": token, "grade": "2", "confirmed": "yes",
                                     "reason": "Later review found outcomes copied"})
    assert changed.status_code == 302
    row = finals(app)[0]
    assert (row["grade"], row["method"], row["good"]) == (2, "moderated", False)
    entry = log_entries(app, "final_grade.change")[-1]
    assert entry.changes["grade"] == [3, 2]
    assert entry.changes["method"] == ["agreed", "moderated"]
    assert entry.reason == "Later review found outcomes copied"

    # Reopening an audit is no longer possible once the grade is final.
    reopen_url = f"/moderation/audits/{first}/reopen"
    page = client.get(reopen_url).get_data(as_text=True)
    assert "change the final grade instead" in page
    client.post(reopen_url, data={"csrf_token": token, "reason": "try"})
    assert audits_of(app, id=first)[0]["status"] == "submitted"


def test_moderation_is_only_for_the_panels_own_chair(app, world):
    first, second = pair(app, world, 0)
    submit(app, first, graded(3))
    submit(app, second, graded(2, child_voice=2))
    panel_url = f"/moderation/panels/{_panel_id(app)}"
    url = f"{panel_url}/plan/{world.plan_ids[0]}"

    other = chair_client(app, world, "other_chair")
    assert "You do not chair any panels yet." in other.get("/moderation/").get_data(as_text=True)
    token = csrf_token(other, "/moderation/")
    assert other.get(panel_url).status_code == 404
    assert other.get(url).status_code == 404
    assert other.post(url, data={"csrf_token": token, "grade": "3",
                                 "reason": "x"}).status_code == 404
    assert other.post(f"{panel_url}/finalise-agreed",
                      data={"csrf_token": token}).status_code == 404

    manager = chair_client(app, world, "manager")
    page = manager.get(url).get_data(as_text=True)
    assert "Compare audits of EHCP-W-000" in page and 'name="grade"' not in page
    token = csrf_token(manager, "/moderation/")
    assert manager.post(url, data={"csrf_token": token, "grade": "3",
                                   "reason": "x"}).status_code == 404

    auditor = chair_client(app, world, "ep1")
    assert auditor.get("/moderation/").status_code == 404
    assert auditor.get(url).status_code == 404
    assert finals(app) == []


def test_a_subject_waiting_for_an_audit_cannot_be_finalised(app, world):
    first, _ = pair(app, world, 0)
    submit(app, first, graded(3))
    client = chair_client(app, world)
    url = f"/moderation/panels/{_panel_id(app)}/plan/{world.plan_ids[0]}"
    page = client.get(url).get_data(as_text=True)
    assert "cannot be finalised" in page and 'name="grade"' not in page
    token = csrf_token(client, "/moderation/")
    response = client.post(url, data={"csrf_token": token, "grade": "3", "reason": "x"})
    assert response.status_code == 400
    assert finals(app) == []


def _panel_id(app: Flask) -> int:
    from qa_app.audits.panels.models import Panel

    with app.app_context():
        return db.session.scalar(select(Panel.id))


def test_two_finalisations_at_once_store_one_grade(app, world):
    """The database keeps one final grade per subject and cycle: when a grade for the subject
    is written in the same moment (here, just before the chair's own write), the chair's
    request is refused with a clear page and leaves nothing behind."""
    from sqlalchemy import event

    first, second = pair(app, world, 0)
    submit(app, first, graded(3))
    submit(app, second, graded(3))
    with app.app_context():
        audit = db.session.get(Audit, first)
        racing = {"cycle_id": audit.cycle_id, "plan_id": audit.plan_id,
                  "rubric_version_id": audit.rubric_version_id, "academic_year": "2025/26",
                  "audit_date": audit.submitted_at.date(), "grade": 2, "good_or_better": False,
                  "method": "agreed", "agency_id": audit.plan.agency_id}

    def meanwhile(session, _context, _instances):
        if any(isinstance(row, FinalGrade) for row in session.new):
            session.connection().execute(FinalGrade.__table__.insert().values(**racing))

    client = chair_client(app, world)
    panel_url = "/moderation/panels/" + str(_panel_id(app))
    token = csrf_token(client, panel_url)
    event.listen(db.session, "before_flush", meanwhile)
    try:
        response = client.post(f"{panel_url}/finalise-agreed", data={
            "csrf_token": token, "confirmed": "yes", "subject": [f"plan:{world.plan_ids[0]}"]})
    finally:
        event.remove(db.session, "before_flush", meanwhile)
    assert response.status_code == 409
    assert "Someone else saved this at the same time" in response.get_data(as_text=True)
    assert finals(app) == [] and log_entries(app, "final_grade.agreed") == []
