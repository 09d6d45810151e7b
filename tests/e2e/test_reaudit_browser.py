"""Re-audit in real Chromium: the manager marks a below-standard plan through the check page,
the agency's lead records the amendment date (an error first, then the check page), and the
manager withdraws a mark through its check page (a missing reason first); every re-audit page
and the plan page's before-and-after section pass axe and fit 320 px."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.extensions import db
from qa_app.reaudit.models import ReauditMark
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in, sign_out

pytestmark = pytest.mark.e2e


@pytest.fixture()
def world(app: Flask) -> dict[str, object]:
    with app.app_context():
        versions = make.shipped_rubrics()
        casework = make.agency("SEND Casework Team", "local_authority").id
        autumn = make.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))
        plan = make.plan(casework, "EHCP-RA-001", nc_year=9).id
        grade = FinalGrade(
            cycle_id=autumn.id, plan_id=plan, rubric_version_id=versions["ehcp-plan"],
            academic_year=autumn.academic_year, audit_date=date(2025, 12, 10), grade=2,
            good_or_better=False, method="agreed", finalised_at=datetime(2025, 12, 10, 16),
            criteria=[FinalCriterionGrade(criterion_id=c, grade=g, good_or_better=g >= 3)
                      for c, g in {"child_voice": 2, "outcomes": 2, "placement": 3}.items()])
        db.session.add(grade)
        manager = make.person("qi_manager", None, "manager@example.org")
        lead = make.person("agency_lead", casework, "lead@example.org", name="Lena Lead")
        db.session.commit()
        return {"grade": grade.id, "plan": plan, "manager": manager.email, "lead": lead.email}


def test_marking_and_recording_an_amendment(
        page: Page, browser_log: BrowserLog, world: dict[str, object]) -> None:
    sign_in(page, str(world["manager"]))
    page.goto("/re-audits")
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-audits")
    check_page(page, browser_log, "re-audits list (manager)")
    fits_320(page, "re-audits list (manager)")
    page.get_by_role("link", name="Mark EHCP-RA-001 to amend and re-audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mark EHCP-RA-001 to amend and re-audit")
    check_page(page, browser_log, "mark check page")
    fits_320(page, "mark check page")
    page.get_by_role("button", name="Mark to amend and re-audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-audit of EHCP-RA-001")
    check_page(page, browser_log, "re-audit page (manager)")
    fits_320(page, "re-audit page (manager)")
    sign_out(page)

    sign_in(page, str(world["lead"]))
    page.goto("/re-audits")
    page.get_by_role("link", name="EHCP-RA-001").click()
    page.get_by_role("link", name="Record the amendment date").click()
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("on or after 10/12/2025")
    check_page(page, browser_log, "amendment date, with an error")
    fits_320(page, "amendment date, with an error")
    page.get_by_label("Day").fill("12")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the amendment date")
    check_page(page, browser_log, "amendment check page")
    fits_320(page, "amendment check page")
    page.get_by_role("button", name="Record the amendment date").click()
    expect(page.get_by_text("Amended: waiting for the next sample").first).to_be_visible()
    check_page(page, browser_log, "re-audit page (lead)")
    fits_320(page, "re-audit page (lead)")

    page.goto(f"/plans/{world['plan']}")
    expect(page.get_by_role("heading", name="Re-audit after amendment")).to_be_visible()
    check_page(page, browser_log, "plan page with a re-audit")
    fits_320(page, "plan page with a re-audit")


def test_withdrawing_a_mark(page: Page, browser_log: BrowserLog, app: Flask,
                            world: dict[str, object]) -> None:
    with app.app_context():
        grade = db.session.get(FinalGrade, world["grade"])
        mark = ReauditMark(final_grade_id=grade.id, plan_id=grade.plan_id,
                           agency_id=grade.agency_id, from_cycle_id=grade.cycle_id,
                           amended_on=date(2026, 1, 12))
        db.session.add(mark)
        db.session.commit()
        mark_id = mark.id
    sign_in(page, str(world["manager"]))
    page.goto(f"/re-audits/{mark_id}")
    page.get_by_role("link", name="Withdraw the mark on EHCP-RA-001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Withdraw the mark on EHCP-RA-001")
    check_page(page, browser_log, "withdraw check page")
    fits_320(page, "withdraw check page")
    page.get_by_role("button", name="Withdraw the mark").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why you are withdrawing the mark")
    check_page(page, browser_log, "withdraw check page, with an error")
    fits_320(page, "withdraw check page, with an error")
    reason = page.get_by_label("Why are you withdrawing the mark?")
    reason.fill("Marked by mistake")
    expect(page.locator(".govuk-character-count__status")).to_contain_text(
        "983 characters remaining")
    page.get_by_role("button", name="Withdraw the mark").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-audit of EHCP-RA-001")
    expect(page.get_by_text("Withdrawn: not to be re-audited")).to_be_visible()
    check_page(page, browser_log, "re-audit page, withdrawn")
    fits_320(page, "re-audit page, withdrawn")
    page.goto("/re-audits")
    expect(page.get_by_test_id("withdrawn-marks")).to_contain_text("Marked by mistake")
    check_page(page, browser_log, "re-audits list with a withdrawn mark")
    fits_320(page, "re-audits list with a withdrawn mark")
