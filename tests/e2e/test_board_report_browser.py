"""The board report in real Chromium with axe-core, at full width and at 320 CSS px: the
manager's list, the report and its check page; the agency lead's home page, her list of
requests and the commentary form with its error."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    BrowserLog,
    check_both_widths,
    sign_in,
    sign_out,
)
from tests.factories.board import board_world

pytestmark = pytest.mark.e2e


def _check(page: Page, label: str, log: BrowserLog) -> None:
    check_both_widths(page, label, log)


def test_board_report_pages_are_accessible_and_fit_320(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    with app.app_context():
        world = board_world()

    sign_in(page, world.health_lead_email)
    expect(page.get_by_role("heading", name="Commentary for the partnership board")).to_be_visible()
    _check(page, "the lead's home page with a request", browser_log)
    page.get_by_role("link", name="Advice good or better").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Advice good or better")
    page.get_by_role("button", name="Save commentary").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter your agency's commentary")
    _check(page, "the commentary form with an error", browser_log)
    page.get_by_label("Your agency's commentary").fill("Two advisers joined in November.")
    page.get_by_role("button", name="Save commentary").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been saved")
    _check(page, "the lead's board requests", browser_log)
    sign_out(page)

    sign_in(page, world.manager_email)
    page.goto("/board/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Board reports")
    _check(page, "the manager's board reports", browser_log)
    page.get_by_role("link", name="Autumn term 2025").click()
    expect(page.locator("[data-testid=commentary]").first).to_contain_text(
        "Two advisers joined in November.")
    expect(page.locator("[data-testid=commentary]").nth(1)).to_contain_text(
        "No commentary received")
    _check(page, "the board report", browser_log)
    page.get_by_role("link", name="Check and make final").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check before making the board report final")
    _check(page, "the check page", browser_log)
    page.get_by_role("button", name="Make the report final").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is final")
    _check(page, "the final report", browser_log)
