"""The rates page in real Chromium: accessible for the manager and an agency lead, with the
Recalculate button working under the app's Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from qa_app.reporting.models import ImprovementAction
from qa_app.reporting.operations import run_aggregation
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, sign_in
from tests.factories import aggregation as build

pytestmark = pytest.mark.e2e


@pytest.fixture()
def world(app: Flask) -> dict[str, object]:
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        health = build.agency("Community Paediatrics", "health").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for n in range(6):
            plan = build.plan(la, nc_year=5 + n % 2).id
            build.final_grade(plan_rubric, 2 + n % 3, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 2 + n % 2, "outcomes": 3})
            for grade in (3, 2 + n % 3):
                build.panel_audit(plan_rubric, cycle, {"child_voice": grade}, plan_id=plan)
            advice = build.advice(plan, health, received=date(2025, 10, 19 + n), agency_grade=3).id
            build.final_grade(advice_rubric, 2 + n % 2, cycle_id=cycle, advice_id=advice)
        db.session.commit()
        run_aggregation(as_of=date(2026, 6, 1))
        db.session.commit()
        action = db.session.query(ImprovementAction).filter_by(agency_id=health).first()
        action_id = action.id if action else None
    return {
        "cycle": cycle,
        "action": action_id,
        "manager": make.on(app).user("qi_manager").email,
        "lead": make.on(app).user("agency_lead", "Community Paediatrics").email,
    }


def test_the_manager_reads_and_recalculates_the_rates(page: Page, browser_log: BrowserLog,
                                                      world: dict[str, object]) -> None:
    sign_in(page, str(world["manager"]))
    page.goto("/rates")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rates: 2025/26")
    assert_accessible(page, "rates for the year (manager)", browser_log)
    page.get_by_role("link", name="Autumn term 2025 (cycle)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rates: Autumn term 2025")
    expect(page.get_by_text("Agreement between two auditors, Autumn term 2025")).to_be_visible()
    assert_accessible(page, "rates for a cycle (manager)", browser_log)
    page.get_by_label("Measure").select_option("criterion_good_or_better")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("caption").first).to_contain_text("Criteria good or better")
    assert_accessible(page, "criterion rates (manager)", browser_log)
    page.get_by_role("button", name="Recalculate").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Rates recalculated.")
    assert_accessible(page, "rates after recalculating (manager)", browser_log)
    if world["action"]:
        page.goto(f"/rates/actions/{world['action']}")
        expect(page).to_have_url(re.compile(r"/improvement-actions/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("main")).to_contain_text("Community Paediatrics")
        assert_accessible(page, "an improvement action (manager)", browser_log)


def test_an_agency_lead_reads_their_rates(page: Page, browser_log: BrowserLog,
                                          world: dict[str, object]) -> None:
    sign_in(page, str(world["lead"]))
    page.goto("/rates")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rates: 2025/26")
    expect(page.get_by_text("Partnership (all agencies)")).to_have_count(0)
    expect(page.get_by_role("button", name="Recalculate")).to_have_count(0)
    assert_accessible(page, "rates (agency lead)", browser_log)
