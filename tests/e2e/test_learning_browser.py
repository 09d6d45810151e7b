"""The learning brief and the case timeline in real Chromium with axe-core, at full width and
at 320 CSS px: the manager's list of briefs, a draft brief, its check page with an error and
once published; an agency lead's published brief; a plan's timeline and its printed form."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    BrowserLog,
    check_both_widths,
    sign_in,
    sign_out,
)
from tests.factories.learning import learning_world, timeline_world

pytestmark = pytest.mark.e2e


def _check(page: Page, label: str, log: BrowserLog) -> None:
    check_both_widths(page, label, log)


def test_learning_brief_pages_are_accessible_and_fit_320(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    with app.app_context():
        world = learning_world()

    sign_in(page, world.manager_email)
    page.goto("/learning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning briefs")
    _check(page, "the manager's list of briefs", browser_log)
    page.get_by_role("link", name="Autumn term 2025").click()
    expect(page.locator("[data-testid=below-good-local_authority]")).to_contain_text(
        "Child or young person's voice")
    _check(page, "a draft brief", browser_log)
    page.get_by_role("link", name="Check and publish the brief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check before publishing the learning brief")
    _check(page, "the check page", browser_log)
    page.evaluate("document.querySelector('input[name=checked]').value = 'stale'")
    page.get_by_role("button", name="Publish the learning brief").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("changed since you checked")
    _check(page, "the check page with an error", browser_log)
    page.get_by_role("button", name="Publish the learning brief").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is published")
    _check(page, "the published brief", browser_log)
    sign_out(page)

    sign_in(page, world.lead_email)
    page.goto("/learning/")
    page.get_by_role("link", name="Autumn term 2025").click()
    expect(page.locator("[data-testid=brief-state]")).to_contain_text("Published")
    _check(page, "the published brief for an agency lead", browser_log)


def test_an_open_cycles_brief_and_refusal_are_accessible(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    with app.app_context():
        world = learning_world(open_cycle=True)
    sign_in(page, world.manager_email)
    page.goto(f"/learning/cycles/{world.cycle_id}")
    expect(page.locator("[data-testid=provisional]")).to_contain_text("Provisional")
    _check(page, "a provisional brief", browser_log)
    page.goto(f"/learning/cycles/{world.cycle_id}/brief.pdf")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The learning brief cannot be printed yet")
    _check(page, "the refused PDF", browser_log)


def test_case_timeline_is_accessible_fits_320_and_prints(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    with app.app_context():
        world = timeline_world()
    sign_in(page, world.manager_email)
    page.goto(f"/plans/{world.plan_id}")
    page.get_by_role("link", name=f"Case timeline for plan {world.plan_ref}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Case timeline")
    expect(page.locator("[data-testid=timeline] li")).to_have_count(len(world.expected))
    _check(page, "the case timeline", browser_log)
    page.emulate_media(media="print")
    try:
        expect(page.locator(".govuk-service-navigation")).to_be_hidden()
        expect(page.locator(".govuk-breadcrumbs")).to_be_hidden()
        expect(page.locator("[data-testid=timeline]")).to_be_visible()
        assert page.pdf(format="A4")[:4] == b"%PDF"
    finally:
        page.emulate_media(media="screen")
    sign_out(page)

    sign_in(page, world.health_lead_email)
    page.goto(f"/plans/{world.plan_id}/timeline")
    expect(page.locator("[data-testid=partial]")).to_be_visible()
    _check(page, "an agency lead's part of the timeline", browser_log)
