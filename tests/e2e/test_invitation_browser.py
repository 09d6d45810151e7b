"""Invitations, password resets and the Emails page in real Chromium: the message arrives at
a real SMTP server, the browser follows its link, sets a password and signs in; every new
page passes axe, runs GOV.UK Frontend under the CSP and fits a 320 CSS px screen."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.auth.invitations import invite
from qa_app.transactions import commit_point
from tests import factories as make
from tests.e2e.browser import (
    BrowserLog,
    check_page,
    fits_320,
    open_section,
    sign_in,
    sign_out,
    wait_for_path,
)

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a lantern by the harbour"


@pytest.fixture()
def served_links(app: Flask, live_server: str) -> Iterator[None]:
    """Emailed links point at the server the browser uses."""
    saved = app.config["SERVICE_URL"]
    app.config["SERVICE_URL"] = live_server
    try:
        yield
    finally:
        app.config["SERVICE_URL"] = saved


def check(page: Page, log: BrowserLog, label: str) -> None:
    check_page(page, log, label)
    fits_320(page, label)


def _link(message, kind: str) -> str:
    found = re.search(rf"(https?://\S+/{kind}/\S+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def _choose(page: Page, password: str, button: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Confirm new password", exact=True).fill(password)
    page.get_by_role("button", name=button).click()


def test_an_invited_person_sets_a_password_and_signs_in(
        app: Flask, page: Page, browser_log: BrowserLog, mail_to_smtp, served_links) -> None:
    agency = make.on(app).agency("Riverside Health Team")
    with app.app_context():
        invite("invited.lead@example.org", "agency_lead", agency.id, None)
        commit_point()
    [message] = mail_to_smtp.wait_for(1)
    link = _link(message, "invitation")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    expect(page.locator("main")).to_contain_text("Riverside Health Team")
    check(page, browser_log, "the set-your-password page")
    _choose(page, "too short", "Set password and sign in")
    expect(page.locator(".govuk-error-summary")).to_contain_text("12 characters or more")
    check(page, browser_log, "the set-your-password page with an error")
    _choose(page, NEW_PASSWORD, "Set password and sign in")
    wait_for_path(page, "/")
    expect(page.locator(".app-account")).to_contain_text("invited.lead@example.org")

    sign_out(page)
    sign_in(page, "invited.lead@example.org", NEW_PASSWORD)
    sign_out(page)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    check(page, browser_log, "a used invitation link")


def test_a_forgotten_password_is_reset_from_the_emailed_link(
        app: Flask, page: Page, browser_log: BrowserLog, mail_to_smtp, served_links) -> None:
    email = make.on(app).user("qi_manager").email
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    check(page, browser_log, "the reset request page")
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    check(page, browser_log, "the reset request page with an error")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check(page, browser_log, "the check-your-email page")

    [message] = mail_to_smtp.wait_for(1)
    link = _link(message, "reset-password")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    check(page, browser_log, "the choose-a-new-password page")
    _choose(page, NEW_PASSWORD, "Reset password")
    wait_for_path(page, "/")
    sign_out(page)
    sign_in(page, email, NEW_PASSWORD)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(page.get_by_role("link", name="Ask for a new reset link")).to_be_visible()
    check(page, browser_log, "a used reset link")


def test_the_emails_page_shows_what_would_be_sent(app: Flask, page: Page,
                                                  browser_log: BrowserLog) -> None:
    admin = make.on(app).user("admin")
    with app.app_context():
        invite("someone.new@example.org", "qi_manager", None, None)
        commit_point()
    sign_in(page, admin.email)
    open_section(page, "Administration", "Emails")
    expect(page.get_by_role("heading", level=1)).to_have_text("Emails")
    expect(page.locator("table")).to_contain_text("Kept in the outbox, not sent")
    check(page, browser_log, "the Emails page")
    page.get_by_role("link", name="You have been invited to EHCP quality assurance").click()
    expect(page.locator("main")).to_contain_text("/invitation/")
    check(page, browser_log, "an email in the outbox")
