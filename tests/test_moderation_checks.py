"""Final grades are locked and feed the figures, so each is saved only from a check page;
and once final, the agency lead reads the panel's notes on their own advice, never on
another agency's."""

from __future__ import annotations

from datetime import datetime
from html import unescape

import pytest
from flask import Flask, g
from sqlalchemy import select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from tests import factories as make
from tests.factories import World, audits_of, csrf_token, judged_ids, log_entries, signed_in

PLAN_CRITERIA = judged_ids("ehcp-plan.yaml", nc_year=9)
HEALTH_CRITERIA = judged_ids("advice-health.yaml")


def submit(app: Flask, audit_id: int, grade: int, note: str, **special: int) -> None:
    """Score and submit an audit through the operations, as its auditor would."""
    from qa_app.audits.scoring.forms import ScoreInput
    from qa_app.audits.scoring.operations import save

    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        criteria = PLAN_CRITERIA if audit.plan_id else HEALTH_CRITERIA
        grades = {cid: special.get(cid, grade) for cid in criteria}
        save(audit, ScoreInput(grades, {cid: note for cid in criteria}, None, None),
             row_version=audit.row_version, submit=True, actor_id=audit.auditor_id)
        db.session.commit()


def finals(app: Flask) -> list[tuple[int | None, int | None, int, str]]:
    with app.app_context():
        rows = db.session.execute(select(FinalGrade).order_by(FinalGrade.id)).scalars()
        return [(f.plan_id, f.advice_id, f.grade, f.method) for f in rows]


def panel_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(Panel.id))


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=1, advice=True)
    make.on(app).panel(world)
    return world


def health_advice(app: Flask, world: World) -> int:
    from qa_app.register.models import Advice

    with app.app_context():
        return db.session.scalar(select(Advice.id).where(Advice.advice_type == "health"))


def test_agreed_grades_are_finalised_only_from_their_check_page(app, world):
    first, second = [a["id"] for a in audits_of(app, plan_id=world.plan_ids[0])]
    submit(app, first, 3, "Seen in section B")
    submit(app, second, 3, "Seen in section B", outcomes=4)
    chair = signed_in(app, world.emails["chair"])
    panel_url = f"/moderation/panels/{panel_id(app)}"
    assert f'href="{panel_url}/finalise-agreed"' in chair.get(panel_url).get_data(as_text=True)

    page = unescape(chair.get(f"{panel_url}/finalise-agreed").get_data(as_text=True))
    assert "Check the agreed grades before you finalise them" in page
    assert "EHCP-W-000" in page and "Good" in page
    assert "Lower grade kept where the auditors differ: Outcomes are SMART Good" in page
    assert "What happens next" in page and "locked" in page and "figures" in page
    assert "still waiting for an audit to be submitted" in page  # the advice is not scored
    token = csrf_token(chair, f"{panel_url}/finalise-agreed")
    subject = f"plan:{world.plan_ids[0]}"

    forged = chair.post(f"{panel_url}/finalise-agreed", data={"csrf_token": token,
                                                              "subject": subject})
    assert forged.status_code == 400
    assert "Nothing was finalised" in forged.get_data(as_text=True)
    assert finals(app) == [] and log_entries(app, "final_grade.agreed") == []

    done = chair.post(f"{panel_url}/finalise-agreed", data={
        "csrf_token": token, "subject": subject, "confirmed": "yes"})
    assert done.status_code == 302
    assert finals(app) == [(world.plan_ids[0], None, 3, "agreed")]


def test_a_moderated_grade_is_checked_before_it_is_saved(app, world):
    first, second = [a["id"] for a in audits_of(app, plan_id=world.plan_ids[0])]
    submit(app, first, 3, "Clear outcomes", outcomes=4)
    submit(app, second, 3, "Views second-hand", child_voice=2, outcomes=2)
    chair = signed_in(app, world.emails["chair"])
    url = f"/moderation/panels/{panel_id(app)}/plan/{world.plan_ids[0]}"
    token = csrf_token(chair, url)
    answers = {"csrf_token": token, "grade": "3", "criterion_child_voice": "3",
               "criterion_outcomes": "3", "reason": "The panel read the views section\r\n"
               "together: good."}

    check = chair.post(f"{url}/check", data=answers)
    page = unescape(check.get_data(as_text=True))
    assert check.status_code == 200
    assert "Check the final grade for EHCP-W-000" in page
    assert "Good (3)</strong>, good or better" in page
    assert "(your choice: the auditors differ)" in page
    assert 'name="confirmed" type="hidden" value="yes"' in page
    assert "What happens next" in page and "locked" in page
    assert finals(app) == []

    change = chair.post(f"{url}/check", data={**answers, "action": "change"})
    page = unescape(change.get_data(as_text=True))
    assert change.status_code == 200 and "Compare audits of EHCP-W-000" in page
    assert "The panel read the views section" in page and 'name="confirmed"' not in page

    forged = chair.post(url, data=answers)
    assert forged.status_code == 400
    assert "Nothing was saved" in forged.get_data(as_text=True)
    assert finals(app) == [] and log_entries(app, "final_grade.moderated") == []

    done = chair.post(url, data={**answers, "confirmed": "yes"})
    assert done.status_code == 302
    assert finals(app) == [(world.plan_ids[0], None, 3, "moderated")]


def test_the_check_refuses_a_grade_the_limiting_criterion_forbids(app, world):
    first, second = [a["id"] for a in audits_of(app, plan_id=world.plan_ids[0])]
    submit(app, first, 3, "Clear")
    submit(app, second, 3, "Views second-hand", child_voice=2)
    chair = signed_in(app, world.emails["chair"])
    url = f"/moderation/panels/{panel_id(app)}/plan/{world.plan_ids[0]}"
    capped = chair.post(f"{url}/check", data={
        "csrf_token": csrf_token(chair, url), "grade": "3", "criterion_child_voice": "2",
        "reason": "Agreed"})
    assert capped.status_code == 400
    assert "cannot be better than the limiting criterion" in unescape(
        capped.get_data(as_text=True))
    assert finals(app) == []


def test_finalised_times_are_shown_in_uk_time(app, world):
    first, second = [a["id"] for a in audits_of(app, plan_id=world.plan_ids[0])]
    submit(app, first, 3, "Clear")
    submit(app, second, 3, "Clear")
    with app.app_context():
        audit = db.session.get(Audit, first)
        make.final_grade(audit.rubric_version_id, 3, cycle_id=world.cycle_id,
                         plan_id=world.plan_ids[0]).finalised_at = datetime(2025, 6, 2, 23, 15)
        db.session.commit()
    chair = signed_in(app, world.emails["chair"])
    page = chair.get(f"/moderation/panels/{panel_id(app)}/plan/{world.plan_ids[0]}")
    assert "00:15 on 3 June 2025" in page.get_data(as_text=True)


def _submit_health_advice(app: Flask, advice_id: int) -> None:
    first, second = [a["id"] for a in audits_of(app, advice_id=advice_id)]
    submit(app, first, 3, "Needs are specific and measurable.")
    submit(app, second, 2, "Provision is not quantified in hours.")


def _finalise_health_advice(app: Flask, world: World, advice_id: int) -> None:
    chair = signed_in(app, world.emails["chair"])
    url = f"/moderation/panels/{panel_id(app)}/advice/{advice_id}"
    answers = {"csrf_token": csrf_token(chair, url), "grade": "2", "confirmed": "yes",
               "reason": "Provision must say how much and how often."}
    answers.update({f"criterion_{cid}": "2" for cid in HEALTH_CRITERIA})
    assert chair.post(url, data=answers).status_code == 302


def test_the_agency_lead_reads_the_panels_notes_once_the_grade_is_final(app, world):
    advice_id = health_advice(app, world)
    lead = make.on(app).person("agency_lead", world.agencies["Community Paediatrics"],
                               "lead.health@example.org")
    reader = signed_in(app, lead.email)
    _submit_health_advice(app, advice_id)
    page = unescape(reader.get(f"/advice/{advice_id}").get_data(as_text=True))
    assert "What the panel said about this advice" in page
    assert "appear here once a final grade for this advice is finalised" in page
    assert "Needs are specific" not in page

    _finalise_health_advice(app, world, advice_id)
    page = unescape(reader.get(f"/advice/{advice_id}").get_data(as_text=True))
    assert "Needs are specific and measurable." in page
    assert "Provision is not quantified in hours." in page
    assert "Provision must say how much and how often." in page
    assert "Decided by the panel chair" in page
    for key in ("health1", "health2", "ep1", "ep2", "social1", "casework1"):
        assert world.emails[key] not in page.split("What the panel said")[1]


def test_a_lead_never_sees_another_agencys_notes(app, world):
    from qa_app.audits.moderation.notes import panel_notes_for_advice
    from qa_app.auth.access import Scope

    advice_id = health_advice(app, world)
    _submit_health_advice(app, advice_id)
    _finalise_health_advice(app, world, advice_id)
    other = make.on(app).person("agency_lead", world.agencies["Educational Psychology Service"],
                                "lead.ep@example.org")
    reader = signed_in(app, other.email)
    assert reader.get(f"/advice/{advice_id}").status_code == 404
    own = unescape(reader.get("/").get_data(as_text=True))
    assert "Provision is not quantified" not in own

    with app.test_request_context():
        g.scope = Scope("agency_lead", other.id, other.agency_id)
        assert panel_notes_for_advice(advice_id) == []
        g.pop("scope_criteria", None)
        g.scope = Scope("agency_lead", other.id, world.agencies["Community Paediatrics"])
        [notes] = panel_notes_for_advice(advice_id)
        assert notes.reason == "Provision must say how much and how often."
