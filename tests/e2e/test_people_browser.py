"""The Users pages in real Chromium: inviting someone goes form -> check answers ->
confirmation, and every page on the way (and the list, a person's page, a role change and a
deactivation check) passes axe and reflows at 320 CSS pixels."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, open_section, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture()
def admin(app: Flask) -> str:
    make.on(app).agency("Community Paediatrics (an NHS trust)", "health")
    make.on(app).agency("Educational Psychology Service", "education")
    return make.on(app).person("admin", name="Ada Administrator",
                               email="ada.administrator@example.org").email


def _checked(page: Page, log: BrowserLog, label: str) -> None:
    check_page(page, log, label)
    fits_320(page, label)


def test_invite_check_answers_and_confirmation(page: Page, browser_log: BrowserLog,
                                               admin: str) -> None:
    sign_in(page, admin)
    open_section(page, "Administration", "Users")
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    expect(page.get_by_text("No lead for Community Paediatrics (an NHS trust)")).to_be_visible()
    _checked(page, browser_log, "users list")

    page.get_by_role("button", name="Invite a user").click()
    expect(page.get_by_role("heading", name="Invite a user")).to_be_visible()
    _checked(page, browser_log, "invite form")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    _checked(page, browser_log, "invite form with errors")

    page.get_by_label("Email address").fill("rowan.lead@example.org")
    page.get_by_label("Full name").fill("Rowan Lead")
    page.get_by_label("Agency lead").check()
    page.get_by_label("Agency", exact=True).select_option(
        label="Community Paediatrics (an NHS trust)")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers before sending the invitation")
           ).to_be_visible()
    expect(page.get_by_text("Rowan Lead")).to_be_visible()
    _checked(page, browser_log, "invite check answers")

    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("heading", name="Invitation sent")).to_be_visible()
    expect(page.get_by_text("to rowan.lead@example.org")).to_be_visible()
    _checked(page, browser_log, "invitation sent")

    page.get_by_role("link", name="their page").click()
    expect(page.get_by_role("heading", name="Rowan Lead")).to_be_visible()
    expect(page.get_by_role("button", name="Resend invitation")).to_be_visible()
    _checked(page, browser_log, "invited person's page")

    page.get_by_role("link", name="Change role and agency").click()
    page.get_by_label("Auditor").check()
    page.get_by_label("Agency", exact=True).select_option(label="Educational Psychology Service")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check the change before saving it")).to_be_visible()
    _checked(page, browser_log, "role change check")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("role and agency were saved")).to_be_visible()

    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("heading", name="Deactivate Rowan Lead?")).to_be_visible()
    _checked(page, browser_log, "deactivate check")
    page.get_by_role("button", name="Deactivate Rowan Lead").click()
    expect(page.get_by_text("Rowan Lead was deactivated")).to_be_visible()
    expect(page.get_by_role("cell", name="Account deactivated")).to_be_visible()
    _checked(page, browser_log, "deactivated person's page")
