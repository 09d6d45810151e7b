"""The account, API token and authenticator app pages in real Chromium: no axe-core
violations, GOV.UK Frontend running under the CSP, and nothing wider than a 320 CSS px
screen (WCAG 1.4.10 reflow; a table may scroll inside its own region)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, sign_in, wait_for_path
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def check_reflow(page: Page, label: str) -> None:
    """At 320 CSS px wide the page itself never scrolls sideways."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 800})
    try:
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{label}: {widths[0]} px wide at 320 px"
    finally:
        if size:
            page.set_viewport_size(size)


def check(page: Page, log: BrowserLog, label: str) -> None:
    check_page(page, log, label)
    check_reflow(page, label)


def test_account_tokens_and_authenticator_pages(app: Flask, page: Page,
                                                browser_log: BrowserLog) -> None:
    email = make.on(app).user("qi_manager").email
    sign_in(page, email)

    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    check(page, browser_log, "the account page")

    page.goto("/account/api-tokens/")
    page.get_by_label("What the token is for").fill("Power BI")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Your password is not correct")
    check(page, browser_log, "the API tokens page with an error")
    page.get_by_label("What the token is for").fill("Power BI")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".app-token-panel .app-token")).to_contain_text("eqa_")
    check(page, browser_log, "the API tokens page with a new token")

    page.goto("/account/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    check(page, browser_log, "the set-up page")
    key = page.locator("#setup-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(key)
    page.get_by_label("Code from your app").fill(totp.now())
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Authenticator app turned on")
    codes = page.locator(".app-recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    check(page, browser_log, "the recovery codes page")

    page.get_by_role("button", name="Sign out").click()
    wait_for_path(page, "/sign-in")
    sign_in(page, email, lands_on="/sign-in/code")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app")
    check(page, browser_log, "the sign-in code page")
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not correct")
    check(page, browser_log, "the sign-in code page with an error")
    page.get_by_label("Code", exact=True).fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    wait_for_path(page, "/")

    page.goto("/account/second-factor/turn-off")
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn off your authenticator app")
    check(page, browser_log, "the turn-off page")
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", codes[0])
