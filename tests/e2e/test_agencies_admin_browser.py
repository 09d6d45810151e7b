"""Agency administration in real Chromium: every page passes axe with GOV.UK Frontend's
scripts running, fits 320 CSS px, and an agency is added, renamed and deactivated through
its check pages with the keyboard and mouse as a person would."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, open_section, sign_in

pytestmark = pytest.mark.e2e


def test_agency_pages_are_accessible_and_reflow(app: Flask, page: Page,
                                                browser_log: BrowserLog) -> None:
    admin = make.on(app).user("admin").email
    health = make.on(app).agency("Community Paediatrics", "health")
    make.on(app).user("agency_lead", health.name)
    make.on(app).agency("Educational Psychology Service with a rather long name", "education")
    sign_in(page, admin)
    open_section(page, "Administration", "Agencies")
    expect(page.get_by_role("heading", name="Agencies", exact=True)).to_be_visible()
    expect(page.get_by_text("1 active agency has no agency lead")).to_be_visible()
    check_page(page, browser_log, "agencies list")
    fits_320(page, "agencies list")

    page.get_by_role("button", name="Add an agency").click()
    check_page(page, browser_log, "add an agency")
    fits_320(page, "add an agency")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Enter the agency's name")).to_be_visible()
    check_page(page, browser_log, "add an agency with errors")
    page.get_by_label("Name").fill("community paediatrics")
    page.get_by_label("Health").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("There is already an agency called Community Paediatrics",
                            exact=False).first).to_be_visible()
    page.get_by_label("Name").fill("Speech and Language Therapy")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Add this agency?")).to_be_visible()
    check_page(page, browser_log, "add an agency: check page")
    fits_320(page, "add an agency: check page")
    page.get_by_role("button", name="Add agency").click()
    expect(page.get_by_text("Speech and Language Therapy added.")).to_be_visible()
    check_page(page, browser_log, "agency page")
    fits_320(page, "agency page")

    page.get_by_role("link", name="Change name").click()
    page.get_by_label("Name").fill("Speech, Language and Communication Service")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Rename this agency?")).to_be_visible()
    check_page(page, browser_log, "rename: check page")
    page.get_by_role("button", name="Rename agency").click()
    expect(page.get_by_role("heading", name="Speech, Language and Communication Service")
           ).to_be_visible()

    page.get_by_role("button", name="Deactivate agency").click()
    expect(page).to_have_url(re.compile(r"/deactivate$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, browser_log, "deactivate: check page")
    fits_320(page, "deactivate: check page")
    page.get_by_role("button", name="Deactivate agency").click()
    expect(page.get_by_text("Speech, Language and Communication Service deactivated."))\
        .to_be_visible()
    check_page(page, browser_log, "inactive agency page")

    page.goto(f"/admin/agencies/{health.id}")
    expect(page.get_by_text("Agency lead", exact=True)).to_be_visible()
    check_page(page, browser_log, "agency page with its lead")
    fits_320(page, "agency page with its lead")


def test_the_manager_home_names_agencies_with_letters_and_no_lead(
        app: Flask, page: Page, browser_log: BrowserLog) -> None:
    from datetime import date, datetime

    from qa_app.extensions import db
    from qa_app.letters.models import Letter, LetterResponse

    with app.app_context():
        orphan = make.agency("Children's Social Care", "social_care")
        cycle = make.cycle(status="closed")
        letter = Letter(agency_id=orphan.id, cycle_id=cycle.id, version=1, status="issued",
                        reference="QA-1", pdf=b"%PDF-1.4", sha256="0" * 64,
                        letter_date=date(2026, 1, 2), issued_at=datetime(2026, 1, 2))
        db.session.add(letter)
        db.session.flush()
        db.session.add(LetterResponse(letter_id=letter.id, due_date=date(2026, 1, 30)))
        manager = make.user("qi_manager").email
        db.session.commit()
    sign_in(page, manager)
    block = page.locator("[data-testid=agencies-without-lead]")
    expect(block).to_contain_text("Children's Social Care")
    expect(block).to_contain_text("1 issued letter, 1 waiting for a response")
    check_page(page, browser_log, "manager home with an agency without a lead")
    fits_320(page, "manager home with an agency without a lead")
