"""The plan register search and a plan's page in real Chromium: search by reference and
year group through the form, open the plan, no axe-core violations, and both pages reflow
at 320 CSS pixels without scrolling sideways."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.axe import assert_no_violations
from tests.e2e.browser import fits_320, open_section, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture()
def manager(app: Flask) -> str:
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import generate_letter
    from workers import celery_init_app

    celery_init_app(app)
    data = make.on(app).letter_partnership()
    with app.app_context():
        for agency_id in agencies_with_final_grades(data.cycle_id):
            generate_letter(agency_id, data.cycle_id)
        db.session.commit()
    casework = data.casework_id
    for year in (2, 5, 9):
        make.on(app).plan(casework, ref=f"EHCP-S-{year:04d}", nc_year=year)
    return data.manager_email


def test_search_by_reference_and_year_then_open_the_plan(page: Page, manager: str) -> None:
    sign_in(page, manager)
    open_section(page, "Register", "Register")
    expect(page.get_by_role("heading", name="Plan register")).to_be_visible()
    assert_no_violations(page, "plan register")
    fits_320(page, "plan register")

    page.get_by_label("Reference contains").fill("ehcp-l")
    page.get_by_label("Year group").select_option(label="Year 5")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("3 plans matching the filters")).to_be_visible()
    assert "ref=ehcp-l" in page.url and "year=5" in page.url
    expect(page.get_by_role("link", name="EHCP-S-0005")).to_have_count(0)
    expect(page.get_by_label("Year group")).to_have_value("5")
    assert_no_violations(page, "plan register, filtered")
    fits_320(page, "plan register, filtered")

    page.get_by_role("link", name="EHCP-L-0001").click()
    expect(page.get_by_role("heading", name="EHCP-L-0001")).to_be_visible()
    for heading in ("Advice", "Audits", "Final grades", "Letters"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert_no_violations(page, "plan page")
    fits_320(page, "plan page")
