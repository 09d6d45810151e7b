"""The audit log's "Show sign-ins" checkbox in real Chromium: sign-ins are hidden until it is
ticked, the choice travels in the URL (so a reload or a shared link keeps it), the page passes
axe either way and fits 320 CSS pixels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, fits_320, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture()
def admin(app: Flask) -> str:
    user = make.on(app).person("admin", email="log-reader@example.org")
    with app.app_context():
        db.session.add(AuditLogEntry(
            at=utcnow() - timedelta(hours=1), user_id=user.id, action="cycle.create",
            record_type="cycle", record_id="1",
            changes={"name": "Autumn term 2025", "academic_year": "2025/26"}))
        db.session.commit()
    return user.email


def test_sign_ins_are_hidden_until_asked_for_and_the_choice_is_in_the_url(
        page: Page, admin: str, browser_log: BrowserLog) -> None:
    sign_in(page, admin)  # writes a sign-in to the log
    page.goto("/audit-log/")
    log = page.get_by_role("region", name="Audit log entries")
    expect(log).to_contain_text("Audit cycle created")
    expect(log).to_contain_text("Academic year: 2025/26")
    expect(log).not_to_contain_text("Signed in")
    box = page.get_by_label("Show sign-ins and sign-outs")
    expect(box).not_to_be_checked()
    assert_accessible(page, "audit log", browser_log)

    box.check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**sign_ins=y**")
    expect(log).to_contain_text("Signed in")
    expect(log).to_contain_text("Audit cycle created")
    expect(page.get_by_label("Show sign-ins and sign-outs")).to_be_checked()
    assert_accessible(page, "audit log with sign-ins", browser_log)

    shared = page.url
    page.goto("/")
    page.goto(shared)  # the link alone brings the choice back
    expect(page.get_by_label("Show sign-ins and sign-outs")).to_be_checked()
    expect(page.get_by_role("region", name="Audit log entries")).to_contain_text("Signed in")
    fits_320(page, "audit log with sign-ins")

    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(lambda url: "sign_ins" not in url)
    expect(page.get_by_label("Show sign-ins and sign-outs")).not_to_be_checked()
    expect(page.get_by_role("region", name="Audit log entries")).not_to_contain_text(
        "Signed in")
