"""The good-practice library in real Chromium with axe-core, at full width and at 320 CSS px:
the auditor's mark form (with its error) and list, the chair's waiting list, decision form
(with its error) and check page, and the library and an example as an agency lead reads them."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.library.operations import CHECKLIST
from tests import factories as make
from tests.e2e.browser import (
    BrowserLog,
    check_both_widths,
    sign_in,
    sign_out,
)
from tests.factories import audits_of

pytestmark = pytest.mark.e2e

EXCERPT = "The advice records, in the young person's words, what helps them feel calm."


def _check(page: Page, label: str, log: BrowserLog) -> None:
    check_both_widths(page, label, log)


def test_library_pages_are_accessible_and_fit_320(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    world = make.on(app).panel_world(plans=1)
    make.on(app).panel(world)
    audit = audits_of(app, plan_id=world.plan_ids[0])[0]
    auditor = next(k for k, v in world.users.items() if v == audit["auditor_id"])
    reader = make.on(app).person("agency_lead", world.agencies["Children's Social Care"])

    sign_in(page, world.emails[auditor])
    page.goto(f"/my-audits/{audit['id']}")
    page.get_by_role("button", name="Save your draft and mark an example of good practice for "
                     "Child").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Child or young person's voice")
    _check(page, "the mark form", browser_log)
    page.get_by_role("button", name="Send to the panel chair").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the excerpt")
    _check(page, "the mark form with an error", browser_log)
    page.get_by_label("Excerpt").fill(EXCERPT)
    page.get_by_role("button", name="Send to the panel chair").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("sent to the panel chair")
    page.goto("/library/mine")
    expect(page.get_by_text("Waiting for the chair")).to_be_visible()
    _check(page, "the auditor's examples", browser_log)
    sign_out(page)

    sign_in(page, world.emails["chair"])
    page.goto("/library/waiting")
    _check(page, "the chair's waiting list", browser_log)
    page.get_by_role("link", name="Check and decide").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Decide on an example of good practice")
    _check(page, "the decision form", browser_log)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("approve or reject")
    _check(page, "the decision form with an error", browser_log)
    for _key, text in CHECKLIST:
        page.get_by_label(text).check()
    page.get_by_label("Approve: show it in the good-practice library").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your decision")
    _check(page, "the check page", browser_log)
    page.get_by_role("button", name="Approve the example").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("approved")
    sign_out(page)

    sign_in(page, reader.email)
    page.goto("/library/")
    expect(page.get_by_text(EXCERPT)).to_be_visible()
    expect(page.get_by_role("heading", level=3)).to_have_text(
        "Child or young person's voice — EHC plan")
    _check(page, "the library", browser_log)
    page.get_by_role("link", name="Example GP-").first.click()
    expect(page.get_by_text(EXCERPT)).to_be_visible()
    _check(page, "an approved example", browser_log)
