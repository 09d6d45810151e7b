"""An improvement action in real Chromium: the manager assigns it, the agency's lead adds a
note and asks to close it through the check page; the list and the action page pass axe and
fit a 320 px screen."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun, ImprovementAction, RateSnapshot
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in, sign_out

pytestmark = pytest.mark.e2e


@pytest.fixture()
def world(app: Flask) -> dict[str, object]:
    with app.app_context():
        agencies = [make.agency(name, "local_authority").id
                    for name in ("SEND Casework Team", "Northern Casework Hub")]
        run = AggregationRun(period_kind="academic_year", period_key="2025/26",
                             inputs_hash="b" * 64)
        db.session.add(run)
        db.session.flush()
        actions = []
        for agency_id in agencies:
            db.session.add(RateSnapshot(run_id=run.id, measure="plans_good_or_better",
                                        scope="all", breakdown="", agency_id=agency_id, n=10,
                                        good=4, rate=40.0, target=80.0, rag="red"))
            action = ImprovementAction(
                agency_id=agency_id, measure="plans_good_or_better", scope="all",
                academic_year="2025/26", status="open", opened_at=datetime(2025, 12, 1),
                reason="EHC plans good or better in 2025/26: 40.0% (4 of 10) against a "
                       "target of 80%.")
            db.session.add(action)
            db.session.flush()
            actions.append(action.id)
        lead = make.person("agency_lead", agencies[0], "lead@example.org", name="Lena Lead")
        manager = make.person("qi_manager", None, "manager@example.org")
        db.session.commit()
        return {"action": actions[0], "lead": lead.email, "manager": manager.email}


def test_the_action_page_from_assignment_to_asking_to_close(
        page: Page, browser_log: BrowserLog, world: dict[str, object]) -> None:
    sign_in(page, str(world["manager"]))
    page.goto("/improvement-actions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Improvement actions")
    expect(page.get_by_text("Partnership: 2 of 2 agencies")).to_be_visible()
    check_page(page, browser_log, "improvement actions list")
    fits_320(page, "improvement actions list")

    page.goto(f"/improvement-actions/{world['action']}")
    page.get_by_label("Owner").select_option(label="Lena Lead")
    page.get_by_label("Day").fill("30")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill("2099")
    page.get_by_role("button", name="Save owner and due date").click()
    expect(page.get_by_test_id("action-details")).to_contain_text("Lena Lead")
    expect(page.get_by_test_id("action-details")).to_contain_text("30 April 2099")
    check_page(page, browser_log, "action page (manager)")
    fits_320(page, "action page (manager)")
    sign_out(page)

    sign_in(page, str(world["lead"]))
    page.goto(f"/improvement-actions/{world['action']}")
    page.get_by_label("Add a note").fill("Refresher training booked for every caseworker.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("notes")).to_contain_text("Refresher training booked")
    page.get_by_role("link", name="Ask to close this action").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what changed")
    check_page(page, browser_log, "ask to close, with an error")
    page.get_by_label("What changed").fill("Every draft plan is now checked before issue.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before asking to close")
    check_page(page, browser_log, "check before asking to close")
    fits_320(page, "check before asking to close")
    page.get_by_role("button", name="Ask to close").click()
    expect(page.get_by_test_id("why-not-closed")).to_contain_text("It cannot be closed yet")
    check_page(page, browser_log, "action page waiting for confirmation (lead)")
    fits_320(page, "action page waiting for confirmation (lead)")
    assert date.today() < date(2099, 4, 30)
