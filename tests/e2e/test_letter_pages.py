"""The letter pages in real Chromium with axe-core: the manager's tracker, the chair's draft
and edit form, the agency lead's letter, response form (with its error state) and audit
results, and the manager's board-date form."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from tests import letter_data
from tests.e2e.axe import assert_no_violations
from tests.e2e.test_foundation_pages import sign_in

if TYPE_CHECKING:
    from tests.e2e.conftest import BrowserLog

pytestmark = pytest.mark.e2e


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def _check(page: Page, log: BrowserLog, label: str) -> None:
    assert_no_violations(page, label)
    assert not log.csp_reports(), f"{label}: {log.csp_reports()}"
    assert not log.page_errors, f"{label}: {log.page_errors}"


def test_letter_pages_are_accessible_for_each_role(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    from qa_app.auth.operations import find_user_by_email
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import generate_letter, issue_letter

    data = letter_data.partnership(app, notes=[letter_data.HOSTILE_NOTES[0],
                                               letter_data.HOSTILE_NOTES[3]])
    with app.app_context():
        ids = {a: generate_letter(a, data.cycle_id).letter_id
               for a in agencies_with_final_grades(data.cycle_id)}
        issue_letter(ids[data.health_id], actor_id=find_user_by_email(data.chair_email).id)
        db.session.commit()
    issued, draft = ids[data.health_id], ids[data.casework_id]

    page.goto("/sign-in")
    sign_in(page, data.manager_email)
    page.goto(f"/letters/?cycle={data.cycle_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Letters")
    _check(page, browser_log, "the letters tracker")
    _sign_out(page)

    page.goto("/sign-in")
    sign_in(page, data.chair_email)
    page.goto(f"/letters/{draft}")
    _check(page, browser_log, "a draft letter for the chair")
    page.goto(f"/letters/{draft}/edit")
    page.get_by_label("Opening paragraph").fill("")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the opening paragraph")
    _check(page, browser_log, "the draft edit form with an error")
    _sign_out(page)

    page.goto("/sign-in")
    sign_in(page, data.health_lead_email)
    page.goto("/letters/")
    _check(page, browser_log, "the agency lead's letters")
    page.goto(f"/letters/{issued}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter to Community Paediatrics")
    _check(page, browser_log, "an issued letter for the agency lead")
    page.goto(f"/letters/{issued}/response")
    page.get_by_role("button", name="Submit response").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what your agency")
    _check(page, browser_log, "the response form with errors")
    page.get_by_label("What your agency will change").fill("Rewrite outcomes with families.")
    page.get_by_label("Who owns the changes").fill("Head of Service")
    page.get_by_label("Day").fill("30")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Submit response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent")
    page.goto("/letters/results")
    _check(page, browser_log, "the agency's audit results")
    page.goto(f"/letters/results/{data.health_grade_ids[0]}")
    _check(page, browser_log, "one audit result")
    _sign_out(page)

    page.goto("/sign-in")
    sign_in(page, data.manager_email)
    page.goto(f"/letters/{issued}")
    expect(page.get_by_role("heading", name="Presented to the partnership board")).to_be_visible()
    _check(page, browser_log, "an answered letter with the board-date form")
