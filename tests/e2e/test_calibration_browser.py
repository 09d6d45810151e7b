"""Calibration in real Chromium: the manager starts a round, an auditor grades it blind,
checks and submits, the manager records the agreed grades, checks them and closes the round,
the auditor reads their comparison and the manager the consistency page. axe-core checks every
new page, and none scrolls sideways at 320 CSS px."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, fits_320, sign_in, sign_out
from tests.factories import World, judged_ids

pytestmark = pytest.mark.e2e

CRITERIA = judged_ids("ehcp-plan.yaml", nc_year=9)


def checked(page: Page, log: BrowserLog, label: str) -> None:
    assert_accessible(page, label, log)
    fits_320(page, label)


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=1)
    with app.app_context():
        version = db.session.scalar(select(RubricVersion.id).where(
            RubricVersion.rubric_id == "ehcp-plan"))
    for one, two in ((3, 3), (2, 3)):  # live double-scored audits for the agreement table
        plan = make.on(app).plan(world.agencies["SEND Casework Team"], nc_year=9)
        for grade in (one, two):
            make.on(app).panel_audit(version, world.cycle_id, {c: grade for c in CRITERIA},
                                     plan_id=plan.id)
    return world


def test_a_calibration_round_in_the_browser(
        app: Flask, page: Page, browser_log: BrowserLog, world: World) -> None:
    with app.app_context():
        version = db.session.scalar(select(RubricVersion.id).where(
            RubricVersion.rubric_id == "ehcp-plan"))
    sign_in(page, world.emails["manager"])
    page.goto("/calibration/")
    checked(page, browser_log, "calibration list (manager)")
    page.get_by_role("button", name="Start a calibration round").click()
    checked(page, browser_log, "start a round")
    page.get_by_label("Name of the round").fill("Spring calibration")
    page.get_by_label("Plan or advice reference").fill("EHCP-W-000")
    page.get_by_label("Practice standard and version").select_option(str(version))
    page.get_by_label("casework1 (SEND Casework Team)").uncheck()
    page.get_by_role("button", name="Start the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring calibration")
    checked(page, browser_log, "round (open)")
    sign_out(page)

    sign_in(page, world.emails["ep1"])
    expect(page.locator("[data-testid=calibration-to-score]")).to_contain_text(
        "Spring calibration")
    checked(page, browser_log, "auditor home with calibration to score")
    page.get_by_role("link", name="Spring calibration").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("for calibration")
    checked(page, browser_log, "grade for calibration")
    for criterion in CRITERIA:
        page.locator(f'input[name="grade_{criterion}"][value="4"]').check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your calibration grades before you submit them")
    checked(page, browser_log, "check calibration grades")
    page.get_by_role("button", name="Submit grades").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("submitted")
    checked(page, browser_log, "own grades (open)")
    sign_out(page)

    sign_in(page, world.emails["manager"])
    page.goto("/calibration/")
    page.get_by_role("link", name="Spring calibration").click()
    page.get_by_role("button", name="Record the agreed grades").click()
    checked(page, browser_log, "record the agreed grades")
    for criterion in CRITERIA:
        page.locator(f'input[name="grade_{criterion}"][value="3"]').check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the agreed grades and close the round")
    checked(page, browser_log, "check the agreed grades")
    page.get_by_role("button", name="Confirm and close the round").click()
    expect(page.locator("[data-testid=results]")).to_contain_text("+1.00")
    checked(page, browser_log, "round (closed, manager)")
    page.get_by_role("link", name="ep1").click()
    checked(page, browser_log, "an auditor's comparison (manager)")
    page.goto("/calibration/consistency")
    expect(page.locator("[data-testid=drift]")).to_contain_text("ep1")
    expect(page.locator("[data-testid=agreement]")).to_contain_text("Pairs")
    checked(page, browser_log, "consistency")
    sign_out(page)

    sign_in(page, world.emails["ep1"])
    page.goto("/calibration/")
    checked(page, browser_log, "calibration list (auditor)")
    page.get_by_role("link", name="Spring calibration").click()
    expect(page.locator("[data-testid=comparison]")).to_contain_text("1 step more generous")
    checked(page, browser_log, "own comparison (closed)")
