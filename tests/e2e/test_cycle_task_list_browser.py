"""A cycle's task list in real Chromium, walked from "sample not drawn" through "sample
drawn" (with a refused size and the redraw check page) to "panel set up", then the close
check page: axe-core on every page, and none scrolls sideways at 320 CSS px."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in

pytestmark = pytest.mark.e2e

CYCLE = "Spring term 2026"


@pytest.fixture()
def manager(app: Flask) -> str:
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    for i in range(30):
        plan = make.on(app).plan(casework.id, ref=f"EHCP-{i:02d}", nc_year=(5, 9, 1, 4, 8)[i % 5])
        make.on(app).advice(plan.id, health.id, received=date(2025, 10, 1))
    make.on(app).cycle(CYCLE, date(2026, 1, 5), date(2026, 3, 27))
    person = make.on(app).person
    person("panel_chair", email="chair@example.org", name="Chris Chair")
    person("auditor", psychology.id, "ann@example.org", "Ann Psychologist")
    person("auditor", casework.id, "cat@example.org", "Cat Caseworker")
    return person("qi_manager", email="manager@example.org").email


def task(page: Page, key: str) -> Locator:
    return page.locator(f".app-cycle-task--{key}")


def test_the_task_list_follows_the_cycle_and_guards_redraw_and_close(
        page: Page, browser_log: BrowserLog, manager: str) -> None:
    sign_in(page, manager)
    page.goto("/cycles/")
    page.get_by_role("link", name=CYCLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CYCLE)
    expect(task(page, "sample").locator(".govuk-task-list__status")).to_have_text(
        "Not yet started")
    expect(page.locator("main").get_by_role("link", name="Change name or dates")).to_be_visible()
    expect(task(page, "sample")).to_contain_text("Who acts: QI manager")
    expect(task(page, "assigned").locator(".govuk-task-list__status")).to_have_text(
        "Cannot start yet")
    expect(task(page, "assigned").get_by_role("link")).to_have_count(0)
    expect(page.get_by_role("button", name="Close this cycle")).to_have_class(
        "govuk-button govuk-button--secondary")
    check_page(page, browser_log, "the task list, sample not drawn")
    fits_320(page, "the task list, sample not drawn")

    page.get_by_label("Number of plans").fill("1000")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "You asked for 1,000 plans but only 30 are eligible")
    check_page(page, browser_log, "the cycle page, size too large")

    page.get_by_label("Number of plans").fill("10")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Sample drawn")
    expect(task(page, "sample").locator(".govuk-task-list__status")).to_have_text("Completed")
    expect(task(page, "sample")).to_contain_text("10 plans and 10 pieces of advice")
    expect(page.get_by_label("Number of plans")).to_be_hidden()
    expect(page.locator("#sample-items caption")).to_contain_text("Plans 1 to 10 of 10")
    check_page(page, browser_log, "the task list, sample drawn")
    fits_320(page, "the task list, sample drawn")

    page.get_by_text("Draw the sample again", exact=True).first.click()
    page.get_by_label("Seed").fill("321")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draw the sample again")
    expect(page.locator("main")).to_contain_text("no audit work is lost")
    check_page(page, browser_log, "the redraw check page")
    fits_320(page, "the redraw check page")
    page.get_by_role("button", name="Draw the sample again").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("seed 321")

    task(page, "panels").get_by_role("link", name="Set up the panels").click()
    page.get_by_role("button", name="Create a panel").click()
    page.get_by_label("Cycle", exact=True).select_option(label=f"{CYCLE} (2025/26)")
    page.get_by_label("Panel name").fill("Spring panel")
    page.get_by_label("Chair", exact=True).select_option(label="Chris Chair (chair@example.org)")
    page.get_by_label("Ann Psychologist, Educational Psychology Service").check()
    page.get_by_label("Cat Caseworker, SEND Casework Team").check()
    page.get_by_role("button", name="Create panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring panel")

    page.goto("/cycles/")
    page.get_by_role("link", name=CYCLE).click()
    expect(task(page, "panels").locator(".govuk-task-list__status")).to_have_text("Completed")
    expect(task(page, "panels")).to_contain_text("1 panel with 2 auditors")
    expect(task(page, "assigned").locator(".govuk-task-list__status")).to_have_text(
        "Not yet started")
    expect(page.locator("main")).to_contain_text("2 of 10 tasks completed")
    check_page(page, browser_log, "the task list, panel set up")
    fits_320(page, "the task list, panel set up")

    page.get_by_role("button", name="Close this cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close {CYCLE}")
    expect(page.locator("#unfinished")).to_contain_text(
        "20 of the 20 sampled plans and pieces of advice do not have two auditors")
    check_page(page, browser_log, "the close check page")
    fits_320(page, "the close check page")
    page.get_by_role("button", name="Close the cycle").click()
    expect(page.locator("main")).to_contain_text(
        "auditors cannot save drafts or submit audits in it")
    expect(page.get_by_role("button", name="Reopen this cycle")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Change name or dates")).to_have_count(0)
    check_page(page, browser_log, "the task list, cycle closed")
