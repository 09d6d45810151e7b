"""Roles and agency scoping: every route declares who may use it; others get 404."""

from __future__ import annotations

import re

import pytest

from tests import factories as make
from tests.factories import sign_in

NAV = {
    "admin": {"Home", "Register", "Agencies", "Users"},
    "qi_manager": {"Home", "Register", "Agencies"},
    "panel_chair": {"Home", "Register"},
    "auditor": {"Home"},
    "agency_lead": {"Home"},
}


def nav_items(page: str) -> set[str]:
    nav = page.split('class="govuk-service-navigation__list"')[1].split("</ul>")[0]
    return {re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)}


@pytest.mark.parametrize("role", sorted(NAV))
def test_each_role_sees_its_own_navigation(app, client, role):
    agency = make.agency(app, "Children's Social Care", "social_care")
    person = make.user(app, role, agency.label if role in {"auditor", "agency_lead"} else None)
    sign_in(client, person.label)
    items = nav_items(client.get("/").get_data(as_text=True))
    expected = NAV[role]
    assert expected <= items
    hidden = {"Agencies", "Users", "Register"} - expected
    assert not (hidden & items)


def test_every_route_declares_its_access(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in {"static", "assets", "govuk_dist"}:
            continue
        if not (getattr(view, "_public", False) or getattr(view, "_allowed_roles", None)):
            undeclared.append(rule.rule)
    assert undeclared == []


def test_a_route_without_declaration_is_refused_to_everyone(app, database_url, tmp_path):
    from qa_app import create_app

    admin = make.user(app, "admin")
    fresh = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                        "INSTANCE_PATH": str(tmp_path)})
    fresh.add_url_rule("/undeclared-test-route", "undeclared_test_route", lambda: "secret")
    client = fresh.test_client()
    sign_in(client, admin.label)
    assert client.get("/").status_code == 200
    assert client.get("/undeclared-test-route").status_code == 404


@pytest.mark.parametrize("path", ["/agencies", "/users", "/plans"])
def test_roles_without_access_get_404(app, client, path):
    agency = make.agency(app)
    lead = make.user(app, "agency_lead", agency.label)
    sign_in(client, lead.label)
    assert client.get(path).status_code == 404


def test_agency_lead_sees_own_advice_and_gets_404_for_another_agencys(app, client):
    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    psychology = make.agency(app, "Educational Psychology Service", "education")
    plan = make.plan(app, casework.id)
    other_plan = make.plan(app, casework.id)
    own = make.advice(app, plan.id, health.id)
    theirs = make.advice(app, other_plan.id, psychology.id, advice_type="educational_psychology")
    lead = make.user(app, "agency_lead", health.label)
    sign_in(client, lead.label)

    assert client.get(f"/advice/{own.id}").status_code == 200
    assert client.get(f"/plans/{plan.id}").status_code == 200
    assert client.get(f"/advice/{theirs.id}").status_code == 404
    assert client.get(f"/plans/{other_plan.id}").status_code == 404
    assert client.get("/advice/999999").status_code == 404


def test_plan_page_hides_other_agencies_advice_from_a_lead(app, client):
    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    psychology = make.agency(app, "Educational Psychology Service", "education")
    plan = make.plan(app, casework.id)
    own = make.advice(app, plan.id, health.id)
    other = make.advice(app, plan.id, psychology.id, advice_type="educational_psychology")
    lead = make.user(app, "agency_lead", health.label)
    sign_in(client, lead.label)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert own.label in page
    assert other.label not in page


def test_home_counts_are_scoped_to_the_leads_agency(app, client):
    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    for _ in range(3):
        plan = make.plan(app, casework.id)
    make.advice(app, plan.id, health.id)
    lead = make.user(app, "agency_lead", health.label)
    sign_in(client, lead.label)
    page = client.get("/").get_data(as_text=True)
    assert "contributed to 1 plans" in page and "with 1 pieces of advice" in page


def test_auditor_sees_no_unassigned_records(app, client):
    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    plan = make.plan(app, casework.id)
    advice = make.advice(app, plan.id, health.id)
    auditor = make.user(app, "auditor", casework.label)
    sign_in(client, auditor.label)
    assert client.get(f"/plans/{plan.id}").status_code == 404
    assert client.get(f"/advice/{advice.id}").status_code == 404


def test_manager_sees_every_record(app, client):
    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    plan = make.plan(app, casework.id)
    advice = make.advice(app, plan.id, health.id)
    manager = make.user(app, "qi_manager")
    sign_in(client, manager.label)
    assert client.get(f"/plans/{plan.id}").status_code == 200
    assert client.get(f"/advice/{advice.id}").status_code == 200
    assert plan.label in client.get("/plans").get_data(as_text=True)
