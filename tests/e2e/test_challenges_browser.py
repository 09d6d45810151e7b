"""Grade challenges in real Chromium with axe-core, at full width and at 320 CSS px: the
lead's list, the reason form with its error, the check page and the confirmation; the chair's
home page, the challenge with the outcome form and its error, the check page and the decided
challenge."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from tests.e2e.browser import BrowserLog, check_both_widths, sign_in, sign_out
from tests.factories.challenges import challenge_world

pytestmark = pytest.mark.e2e


def _check(page: Page, label: str, log: BrowserLog) -> None:
    check_both_widths(page, label, log, components=True)


def test_challenge_pages_are_accessible_and_fit_320(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    with app.app_context():
        scene = challenge_world()
        db.session.commit()

    sign_in(page, scene.casework_lead)
    page.goto("/challenges/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grade challenges")
    _check(page, "the lead's challenges", browser_log)
    page.locator(f"a[href='/challenges/grades/{scene.plan_grades[0]}/new']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Challenge the final grade")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why your agency challenges this grade")
    _check(page, "the reason form with an error", browser_log)
    page.get_by_label("Why does your agency challenge this grade?").fill(
        "The outcomes are specific and measurable.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your challenge")
    _check(page, "the lead's check page", browser_log)
    page.get_by_role("button", name="Send the challenge").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Challenge sent")
    _check(page, "the confirmation", browser_log)
    sign_out(page)

    sign_in(page, scene.world.emails["chair"])
    expect(page.locator("[data-testid=challenges-waiting]")).to_contain_text(
        "1 challenge to a final grade is waiting")
    _check(page, "the chair's home page", browser_log)
    page.goto("/moderation/")
    expect(page.locator("[data-testid=challenges-waiting]")).to_be_visible()
    page.get_by_role("link", name="See grade challenges").click()
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Challenge to the final grade")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose whether the grade stands or is changed")
    _check(page, "the outcome form with an error", browser_log)
    page.get_by_label("Change the grade").check()
    for good in page.locator("input[type=radio][value='3']").all():  # every grade: Good
        good.check()
    page.get_by_label("Reason for your decision").fill("The outcomes meet the standard.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your decision on the challenge")
    _check(page, "the chair's check page", browser_log)
    page.get_by_role("button", name="Save your decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("decision")
    expect(page.locator("main .govuk-tag").first).to_have_text("Grade changed")
    _check(page, "the decided challenge", browser_log)
