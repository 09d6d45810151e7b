"""The letter pages in real Chromium with axe-core: the manager's tracker, the chair's draft
and edit form, the agency lead's letter, response form (with its error state) and audit
results, and the manager's board-date form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, sign_in, sign_out

pytestmark = pytest.mark.e2e


def test_letter_pages_are_accessible_for_each_role(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    from qa_app.auth.operations import find_user_by_email
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import generate_letter, issue_letter

    data = make.on(app).letter_partnership(notes=[make.HOSTILE_NOTES[0], make.HOSTILE_NOTES[3]])
    with app.app_context():
        ids = {a: generate_letter(a, data.cycle_id).letter_id
               for a in agencies_with_final_grades(data.cycle_id)}
        issue_letter(ids[data.health_id], actor_id=find_user_by_email(data.chair_email).id)
        db.session.commit()
    issued, draft = ids[data.health_id], ids[data.casework_id]

    sign_in(page, data.manager_email)
    page.goto(f"/letters/?cycle={data.cycle_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Letters")
    assert_accessible(page, "the letters tracker", browser_log)
    sign_out(page)

    sign_in(page, data.chair_email)
    page.goto(f"/letters/{draft}")
    assert_accessible(page, "a draft letter for the chair", browser_log)
    page.goto(f"/letters/{draft}/edit")
    page.get_by_label("Opening paragraph").fill("")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the opening paragraph")
    assert_accessible(page, "the draft edit form with an error", browser_log)
    sign_out(page)

    sign_in(page, data.health_lead_email)
    page.goto("/letters/")
    assert_accessible(page, "the agency lead's letters", browser_log)
    page.goto(f"/letters/{issued}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter to Community Paediatrics")
    assert_accessible(page, "an issued letter for the agency lead", browser_log)
    page.goto(f"/letters/{issued}/response")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter at least one change")
    assert_accessible(page, "the response form with errors", browser_log)
    page.get_by_label("What will change").fill("Rewrite outcomes with families.")
    page.get_by_label("Who owns it").fill("Head of Service")
    later = date.today() + timedelta(days=90)
    page.get_by_label("Day").fill(str(later.day))
    page.get_by_label("Month").fill(str(later.month))
    page.get_by_label("Year").fill(str(later.year))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent")
    page.goto("/letters/results")
    assert_accessible(page, "the agency's audit results", browser_log)
    page.goto(f"/letters/results/{data.health_grade_ids[0]}")
    assert_accessible(page, "one audit result", browser_log)
    sign_out(page)

    sign_in(page, data.manager_email)
    page.goto(f"/letters/{issued}")
    expect(page.get_by_role("heading", name="Presented to the partnership board")).to_be_visible()
    assert_accessible(page, "an answered letter with the board-date form", browser_log)
