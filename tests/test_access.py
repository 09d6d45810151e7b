"""Roles and agency scoping: every route declares who may use it; others get 404."""

from __future__ import annotations

import re

import pytest

from tests import factories as make
from tests.factories import sign_in

NAV = {
    "admin": {"Home", "Register", "Administration"},
    "qi_manager": {"Home", "Register", "Administration"},
    "panel_chair": {"Home", "Register"},
    "auditor": {"Home", "Register"},
    "agency_lead": {"Home", "Register"},
}


def nav_items(page: str) -> set[str]:
    nav = page.split('class="govuk-service-navigation__list"')[1].split("</ul>")[0]
    return {re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)}


@pytest.mark.parametrize("role", sorted(NAV))
def test_each_role_sees_its_own_navigation(app, client, role):
    agency = make.on(app).agency("Children's Social Care", "social_care")
    person = make.on(app).user(role, agency.name if role in {"auditor", "agency_lead"} else None)
    sign_in(client, person.email)
    items = nav_items(client.get("/").get_data(as_text=True))
    expected = NAV[role]
    assert expected <= items
    hidden = {"Administration", "Agencies", "Users", "Register"} - expected
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

    admin = make.on(app).user("admin")
    fresh = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                        "INSTANCE_PATH": str(tmp_path)})
    fresh.add_url_rule("/undeclared-test-route", "undeclared_test_route", lambda: "secret")
    client = fresh.test_client()
    sign_in(client, admin.email)
    assert client.get("/").status_code == 200
    assert client.get("/undeclared-test-route").status_code == 404


@pytest.mark.parametrize("path", ["/agencies", "/users"])
def test_roles_without_access_get_404(app, client, path):
    agency = make.on(app).agency()
    lead = make.on(app).user("agency_lead", agency.name)
    sign_in(client, lead.email)
    assert client.get(path).status_code == 404


def test_agency_lead_sees_own_advice_and_gets_404_for_another_agencys(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    plan = make.on(app).plan(casework.id)
    other_plan = make.on(app).plan(casework.id)
    own = make.on(app).advice(plan.id, health.id)
    theirs = make.on(app).advice(other_plan.id, psychology.id, advice_type="educational_psychology")
    lead = make.on(app).user("agency_lead", health.name)
    sign_in(client, lead.email)

    assert client.get(f"/advice/{own.id}").status_code == 200
    assert client.get(f"/plans/{plan.id}").status_code == 200
    assert client.get(f"/advice/{theirs.id}").status_code == 404
    assert client.get(f"/plans/{other_plan.id}").status_code == 404
    assert client.get("/advice/999999").status_code == 404


def test_plan_page_hides_other_agencies_advice_from_a_lead(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    plan = make.on(app).plan(casework.id)
    own = make.on(app).advice(plan.id, health.id)
    other = make.on(app).advice(plan.id, psychology.id, advice_type="educational_psychology")
    lead = make.on(app).user("agency_lead", health.name)
    sign_in(client, lead.email)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert own.ref in page
    assert other.ref not in page


def test_home_counts_are_scoped_to_the_leads_agency(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    for _ in range(3):
        plan = make.on(app).plan(casework.id)
    make.on(app).advice(plan.id, health.id)
    lead = make.on(app).user("agency_lead", health.name)
    sign_in(client, lead.email)
    page = client.get("/").get_data(as_text=True)
    assert "contributed to 1 plans" in page and "with 1 pieces of advice" in page


def test_auditor_sees_no_unassigned_records(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    plan = make.on(app).plan(casework.id)
    advice = make.on(app).advice(plan.id, health.id)
    auditor = make.on(app).user("auditor", casework.name)
    sign_in(client, auditor.email)
    assert client.get(f"/plans/{plan.id}").status_code == 404
    assert client.get(f"/advice/{advice.id}").status_code == 404


def test_manager_sees_every_record(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    plan = make.on(app).plan(casework.id)
    advice = make.on(app).advice(plan.id, health.id)
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    assert client.get(f"/plans/{plan.id}").status_code == 200
    assert client.get(f"/advice/{advice.id}").status_code == 200
    assert plan.ref in client.get("/plans").get_data(as_text=True)
