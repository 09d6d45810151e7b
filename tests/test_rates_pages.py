"""The rates page: what each role sees, its filters, recalculating, and action pages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.reporting.models import AggregationRun, ImprovementAction
from qa_app.reporting.operations import run_aggregation
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import csrf_token, sign_in

ROLES = ["admin", "qi_manager", "panel_chair", "auditor", "agency_lead"]


@pytest.fixture()
def world(app):
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        health = build.agency("Community Paediatrics", "health").id
        ep = build.agency("Educational Psychology Service", "education").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for n in range(4):
            plan = build.plan(la, nc_year=5).id
            build.final_grade(plan_rubric, 2 + n % 2, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 3})
            build.panel_audit(plan_rubric, cycle, {"child_voice": 3}, plan_id=plan)
            build.panel_audit(plan_rubric, cycle, {"child_voice": 2 + n % 2}, plan_id=plan)
            for agency_id, kind in ((health, "health"), (ep, "educational_psychology")):
                advice = build.advice(plan, agency_id, advice_type=kind,
                                      received=date(2025, 10, 1)).id
                build.final_grade(advice_rubric, 3, cycle_id=cycle, advice_id=advice,
                                  criteria={"child_voice": 3})
        actions = {}
        for agency_id in (health, ep):
            action = ImprovementAction(agency_id=agency_id, measure="advice_on_time",
                                       scope="consistently_late", academic_year="2025/26",
                                       reason="Late in two cycles.")
            db.session.add(action)
            db.session.flush()
            actions[agency_id] = action.id
        db.session.commit()
        run_aggregation(as_of=date(2026, 6, 1))
        db.session.commit()
    users = {role: make.on(app).user(role, "Community Paediatrics"
                                     if role in {"auditor", "agency_lead"} else None).email
             for role in ROLES}
    return {"cycle": cycle, "health": health, "ep": ep, "actions": actions, "users": users}


def page(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def table_text(html: str) -> str:
    tables = re.findall(r"<table.*?</table>", html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(tables)))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_open_the_rates_page(client, world, role):
    sign_in(client, world["users"][role])
    status, html = page(client, "/rates")
    assert status == 200
    assert "<h1" in html and "Rates: 2025/26" in html
    assert ("Recalculate" in html) == (role in {"admin", "qi_manager"})


def test_an_agency_lead_sees_only_their_agency(client, world):
    sign_in(client, world["users"]["agency_lead"])
    for path in ("/rates", f"/rates?cycle={world['cycle']}",
                 f"/rates?year=2025/26&agency={world['ep']}"):
        status, html = page(client, path)
        assert status == 200
        text = table_text(html)
        assert "Community Paediatrics" in text
        assert "Partnership" not in text and "Educational Psychology" not in text
        assert "SEND Casework Team" not in text
        assert "How consistently auditors grade" not in html
    assert page(client, f"/rates/actions/{world['actions'][world['health']]}")[0] == 301
    assert page(client, f"/rates/actions/{world['actions'][world['ep']]}")[0] == 404


def test_the_manager_sees_the_partnership_agencies_and_agreement(client, world):
    sign_in(client, world["users"]["qi_manager"])
    _, html = page(client, f"/rates?cycle={world['cycle']}")
    text = table_text(html)
    for name in ("Partnership (all agencies)", "Community Paediatrics",
                 "Educational Psychology Service", "SEND Casework Team"):
        assert name in text
    assert "EHC plans good or better, Autumn term 2025" in text
    assert "Agreement between two auditors, Autumn term 2025" in text
    assert "Below target" in text or "Near target" in text or "On target" in text
    assert page(client, f"/rates/actions/{world['actions'][world['ep']]}")[0] == 301


def test_filters_are_in_the_url_and_bad_values_are_not_found(client, world):
    sign_in(client, world["users"]["qi_manager"])
    _, html = page(client, "/rates?year=2025/26&measure=advice_on_time")
    captions = re.findall(r'govuk-table__caption--m">([^<]+)<', html)
    assert captions == ["Advice received on time, 2025/26"]
    _, html = page(client, f"/rates?year=2025/26&agency={world['health']}")
    assert "SEND Casework Team" not in table_text(html)
    _, html = page(client, "/rates?measure=criterion_good_or_better")
    assert "Plans: Child voice" in table_text(html)
    for bad in ("measure=nope", "cycle=999", "year=1999/00", "agency=abc", "agency=999",
                "job=x"):
        assert page(client, f"/rates?{bad}")[0] == 404, bad


def test_the_manager_recalculates_and_sees_the_job(app, client, world):
    sign_in(client, world["users"]["qi_manager"])
    token = csrf_token(client, "/rates")
    response = client.post("/rates/recalculate", data={"csrf_token": token})
    assert response.status_code == 302
    _, html = page(client, response.headers["Location"])
    assert "Rates recalculated." in html and "Done" in html
    with app.app_context():
        job = db.session.execute(select(JobRun).order_by(JobRun.id.desc())).scalars().first()
        assert job.status == "done" and job.message.endswith(": nothing had changed")
        assert db.session.scalar(select(func.count()).select_from(AggregationRun)) == 2


def test_others_cannot_recalculate_and_a_forged_post_is_refused(app, client, world):
    sign_in(client, world["users"]["agency_lead"])
    token = csrf_token(client, "/rates")
    assert client.post("/rates/recalculate", data={"csrf_token": token}).status_code == 404
    manager = app.test_client()
    sign_in(manager, world["users"]["qi_manager"])
    assert manager.post("/rates/recalculate", data={}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_before_any_figures_the_page_says_so(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    status, html = page(client, "/rates")
    assert status == 200 and "No rates have been calculated yet" in html
    assert "There are no improvement actions." in html


def test_improvement_actions_follow_the_chosen_year_and_agency(app, client, world):
    with app.app_context():
        db.session.add(ImprovementAction(agency_id=world["health"], measure="plans_good_or_better",
                                         academic_year="2024/25", reason="Last year."))
        db.session.commit()
    sign_in(client, world["users"]["qi_manager"])

    def listed(path: str) -> str:
        html = page(client, path)[1]
        return table_text(html.split('id="improvement-actions"')[1])

    year = listed("/rates?year=2025/26")
    assert "Improvement actions for 2025/26" in year
    assert "Community Paediatrics" in year and "Educational Psychology Service" in year
    assert "EHC plans good or better" not in year
    one = listed(f"/rates?year=2025/26&agency={world['ep']}")
    assert "Educational Psychology Service" in one and "Community Paediatrics" not in one
