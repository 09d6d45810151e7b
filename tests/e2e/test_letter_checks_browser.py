"""The letter check pages in real Chromium: a chair issues a letter through its check page; an
agency lead writes two changes, saves a draft, comes back, checks her answers and sends them.
axe on each new page, and none scrolls sideways at 320 CSS px."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in, sign_out

pytestmark = pytest.mark.e2e


def _fill_date(page: Page, row: int, day: date) -> None:
    page.locator(f"#rows-{row}-complete_by-day").fill(str(day.day))
    page.locator(f"#rows-{row}-complete_by-month").fill(str(day.month))
    page.locator(f"#rows-{row}-complete_by-year").fill(str(day.year))


def test_a_chair_issues_through_the_check_page_and_a_lead_drafts_checks_and_sends(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        db.session.commit()

    sign_in(page, data.chair_email)
    page.goto(f"/letters/{letter_id}")
    expect(page.get_by_role("button", name="Issue letter")).to_have_count(0)
    page.get_by_role("link", name="Check before issuing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before issuing the letter")
    expect(page.get_by_text("cannot be changed afterwards")).to_be_visible()
    check_page(page, browser_log, "the check page before issuing a letter")
    fits_320(page, "the check page before issuing a letter")
    page.get_by_role("button", name="Issue letter").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("issued")
    sign_out(page)

    sign_in(page, data.health_lead_email)
    page.goto(f"/letters/{letter_id}")
    page.get_by_role("link", name="Write your agency’s response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agency's formal response")
    check_page(page, browser_log, "the response form")
    page.locator("#rows-0-change").fill("Add the child's own views to every piece of advice.")
    expect(page.locator(".govuk-character-count__status").first).to_contain_text(
        "characters remaining")
    page.locator("#rows-0-owner").fill("Head of Service")
    _fill_date(page, 0, date.today() + timedelta(days=60))
    page.get_by_role("button", name="Add another change").click()
    expect(page.get_by_role("heading", name="Change 2")).to_be_visible()
    page.locator("#rows-1-change").fill("Train writers on measurable outcomes.")
    page.locator("#rows-1-owner").fill("Principal practitioner")
    _fill_date(page, 1, date.today())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The date for change 2 must be after today")
    check_page(page, browser_log, "the response form with a date error")
    fits_320(page, "the response form")
    _fill_date(page, 1, date.today() + timedelta(days=120))
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("draft response has")

    page.goto("/letters/")
    page.goto(f"/letters/{letter_id}")
    page.get_by_role("link", name="Continue your agency’s response").click()
    expect(page.locator("#rows-1-owner")).to_have_value("Principal practitioner")
    page.locator("#rows-1-owner").press("Enter")  # Enter saves the draft; it removes nothing
    expect(page.locator(".govuk-notification-banner")).to_contain_text("draft response has")
    page.get_by_role("link", name="Continue your agency’s response").click()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your response")
    expect(page.get_by_text("Train writers on measurable outcomes.")).to_be_visible()
    check_page(page, browser_log, "the check page before sending a response")
    fits_320(page, "the check page before sending a response")
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent")
    table = page.get_by_role("table", name="What the agency will change")
    expect(table).to_contain_text("Head of Service")
    expect(table).to_contain_text("Principal practitioner")
    check_page(page, browser_log, "a letter with its sent response")
