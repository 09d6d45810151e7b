"""The dashboard and the API token page in real Chromium, with data, checked by axe-core."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories as make
from tests.e2e.axe import assert_no_violations
from tests.e2e.browser import open_section, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("role", ["qi_manager", "agency_lead"])
def test_dashboard_pages_have_no_accessibility_violations(app: Flask, page: Page, role: str):
    _, health, _, cycle_id = make.on(app).dashboard_world()
    person = make.on(app).user(role, health.name if role == "agency_lead" else None)
    sign_in(page, person.email)
    open_section(page, "Results", "Dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quality dashboard")
    voices = page.get_by_role("heading", name="What families and practitioners say")
    expect(voices).to_have_count(1 if role == "qi_manager" else 0)
    assert_no_violations(page, f"dashboard as {role}")
    page.get_by_label("Cycle", exact=True).select_option(str(cycle_id))
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"/dashboard/?year=2025%2F26&cycle={cycle_id}&" +
                             ("agency=&" if role != "agency_lead" else "") +
                             "measure=advice_good_or_better&advice_type=&heat=advice")
    assert_no_violations(page, f"dashboard for one cycle as {role}")
    page.get_by_role("link", name="Show plan criteria").click()
    assert_no_violations(page, f"dashboard plan criteria as {role}")


def test_heat_map_of_many_agencies_and_open_actions(app: Flask, page: Page):
    from qa_app.extensions import db
    from qa_app.reporting.models import ImprovementAction

    agencies = make.on(app).many_agencies(15)
    with app.app_context():
        for agency in agencies[:7]:
            db.session.add(ImprovementAction(agency_id=agency.id, measure="advice_on_time",
                                             academic_year="2025/26", reason="Late advice."))
        db.session.commit()
    manager = make.on(app).user("qi_manager")
    sign_in(page, manager.email)
    page.goto("/dashboard/")
    heat = page.locator("table.app-heat")
    expect(heat.locator("thead th")).to_have_count(1 + 1 + 10)
    page.get_by_role("link", name="Show all 15 agencies").click()
    expect(heat.locator("thead th")).to_have_count(1 + 1 + 15)
    assert_no_violations(page, "dashboard with every agency in the heat map")
    page.get_by_role("link", name="Show only the 10 weakest").click()
    expect(heat.locator("thead th")).to_have_count(1 + 1 + 10)
    actions = page.locator("#actions + .app-table-scroll > table")
    expect(actions).to_contain_text("and 2 more")
    actions.get_by_role("link", name="Agency 00").click()
    expect(page.get_by_text("Late advice.")).to_be_visible()
    assert_no_violations(page, "an improvement action opened from the dashboard")


def test_api_token_page_creates_and_revokes(app: Flask, page: Page):
    manager = make.on(app).user("qi_manager")
    sign_in(page, manager.email)
    page.get_by_role("link", name="API tokens").click()
    assert_no_violations(page, "API tokens (empty)")
    page.get_by_label("What the token is for").fill("Power BI")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy it now")).to_be_visible()
    assert_no_violations(page, "API tokens (new token shown)")
    page.get_by_role("button", name="Revoke the token for Power BI").click()
    expect(page.get_by_text("has been revoked")).to_be_visible()
    assert_no_violations(page, "API tokens (revoked)")
