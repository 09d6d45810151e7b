"""Your email reminders in real Chromium: reached from the account page, no axe-core
violations before and after saving, reflows at 320 CSS pixels, and a choice made with the
keyboard is kept."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture()
def lead(app: Flask) -> str:
    health = make.on(app).agency("Community Paediatrics", "health")
    return make.on(app).user("agency_lead", health.name).email


def test_reminders_page_is_accessible_reflows_and_keeps_a_choice(
        page: Page, browser_log: BrowserLog, lead: str) -> None:
    sign_in(page, lead)
    page.goto("/account/")
    page.get_by_role("link", name="Your email reminders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email reminders")
    expect(page.get_by_text("Formal response overdue: when your agency")).to_be_visible()
    check_page(page, browser_log, "reminders page")
    fits_320(page, "reminders page")

    issued = page.get_by_label("Feedback letter issued to your agency")
    expect(issued).to_be_checked()
    issued.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save choices").press("Enter")
    expect(page.get_by_text("Your reminder choices are saved.")).to_be_visible()
    expect(page.get_by_label("Feedback letter issued to your agency")).not_to_be_checked()
    expect(page.get_by_label("Formal response due soon")).to_be_checked()
    check_page(page, browser_log, "reminders page, saved")
    fits_320(page, "reminders page, saved")
