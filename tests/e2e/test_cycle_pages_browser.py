from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests import factories as make
from tests.e2e.browser import check_page, sign_in


def test_cycle_pages_accessible(app, page, browser_log):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    for i in range(30):
        plan = make.on(app).plan(casework.id, ref=f"EHCP-{i:02d}", nc_year=(5, 9, 1, 4, 8)[i % 5])
        make.on(app).advice(plan.id, health.id, received=date(2025, 10, 1))
    email = make.on(app).user("qi_manager").email
    sign_in(page, email)
    page.goto("/cycles/")
    check_page(page, browser_log, "cycles index empty")
    page.get_by_role("button", name="Create a cycle").click()
    check_page(page, browser_log, "create form")
    page.get_by_label("Name").fill("Spring term 2026")
    page.get_by_label("Start date").fill("05/01/2026")
    page.get_by_label("End date").fill("30/09/2026")
    page.get_by_role("button", name="Save cycle").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("within one academic year")
    check_page(page, browser_log, "create form errors")
    page.get_by_label("End date").fill("27/03/2026")
    page.get_by_role("button", name="Save cycle").click()
    check_page(page, browser_log, "cycle page, no sample")
    page.screenshot(path="/tmp/cycle-empty.png", full_page=True)
    page.get_by_label("Seed").fill("abc")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("whole number")
    check_page(page, browser_log, "cycle page draw error")
    page.get_by_label("Seed").fill("77")
    page.get_by_role("button", name="Draw the sample").click()
    check_page(page, browser_log, "cycle page with sample")
    page.screenshot(path="/tmp/cycle-sample.png", full_page=True)
    expect(page.get_by_label("Margin of error (percentage points)")).to_be_hidden()
    page.get_by_text("Draw the sample again", exact=True).first.click()
    page.get_by_label("Margin of error (percentage points)").fill("0")
    page.get_by_role("button", name="Calculate").click()
    check_page(page, browser_log, "calculator error")
    page.goto("/cycles/")
    check_page(page, browser_log, "cycles index")
