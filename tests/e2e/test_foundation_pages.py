"""The foundation pages in real Chromium: sign in and out, every section each role can
open (each section's hub page and every page it lists), the register's plan and advice
pages, and the 404 page. Each page must have no
axe-core violations (WCAG 2.2 AA and best practice), and GOV.UK Frontend's JavaScript
must run under the app's Content-Security-Policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, path_of, sign_in, wait_for_path
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

ROLES = ["admin", "qi_manager", "panel_chair", "auditor", "agency_lead"]


@dataclass(frozen=True)
class World:
    emails: dict[str, str]
    plan_ref: str
    advice_refs: list[str]


@pytest.fixture()
def world(app: Flask) -> World:
    """Agencies of every type, a plan with advice, and one user for each role."""
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    paediatrics = make.on(app).agency("Community Paediatrics", "health")
    social_care = make.on(app).agency("Children's Social Care", "social_care")
    make.on(app).agency("Oakfield Primary School", "setting")
    plan = make.on(app).plan(casework.id, nc_year=9)
    make.on(app).plan(casework.id, nc_year=3)
    advice = [
        make.on(app).advice(
            plan.id,
            psychology.id,
            advice_type="educational_psychology",
            received=date(2025, 10, 13),
        ),
        make.on(app).advice(
            plan.id, paediatrics.id, advice_type="health", received=date(2025, 11, 3)
        ),
        make.on(app).advice(
            plan.id, social_care.id, advice_type="social_care", exception="missed_appointment"
        ),
    ]
    emails = {
        "admin": make.on(app).user("admin").email,
        "qi_manager": make.on(app).user("qi_manager").email,
        "panel_chair": make.on(app).user("panel_chair").email,
        "auditor": make.on(app).user("auditor", psychology.name).email,
        "agency_lead": make.on(app).user("agency_lead", paediatrics.name).email,
    }
    return World(emails, plan.ref, sorted(a.ref for a in advice))


def assert_section_marked(page: Page, name: str) -> None:
    """Exactly one section of the service navigation is marked as the one the user is
    in, both visibly (--active) and for screen readers (aria-current)."""
    active = [
        t.strip() for t in page.locator(".govuk-service-navigation__item--active").all_inner_texts()
    ]
    marked = [
        t.strip()
        for t in page.locator(".govuk-service-navigation__list [aria-current]").all_inner_texts()
    ]
    assert (active, marked) == ([name], [name]), (
        f"on {path_of(page)} the navigation marks {active} as active and {marked} with "
        f"aria-current; expected only {name!r}"
    )


def test_sign_in_page_and_its_error_state_are_accessible(
    page: Page, browser_log: BrowserLog, world: World
) -> None:
    response = page.goto("/sign-in")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page, browser_log, "the sign-in page")

    sign_in(page, world.emails["admin"], "not the right password", lands_on=None)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct email address and password"
    )
    assert path_of(page) == "/sign-in"
    assert page.title().startswith("Error: ")
    # GOV.UK Frontend's error summary takes focus so screen readers announce it.
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check_page(page, browser_log, "the sign-in page with an error")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_every_section_is_accessible(
    page: Page, browser_log: BrowserLog, world: World, role: str
) -> None:
    page.goto("/")
    assert path_of(page) == "/sign-in", "signed-out visitors are sent to sign in"
    sign_in(page, world.emails[role])
    wait_for_path(page, "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("EHCP quality assurance")
    expect(page.locator(".app-account")).to_contain_text(world.emails[role])
    assert_section_marked(page, "Home")
    check_page(page, browser_log, f"the home page ({role})")

    nav_links = page.locator(".govuk-service-navigation__list a")
    sections = [(link.inner_text().strip(), link.get_attribute("href")) for link in nav_links.all()]
    assert sections and sections[0] == ("Home", "/"), sections
    for name, href in sections[1:]:
        response = page.goto(href)
        assert response is not None and response.status == 200, f"{name} ({href})"
        assert_section_marked(page, name)
        check_page(page, browser_log, f"the {name} section ({role})")
        if not href.startswith("/sections/"):
            continue
        fits_320(page, f"the {name} hub ({role})")
        listed = page.locator("main .govuk-list a")
        pages = [(link.inner_text().strip(), link.get_attribute("href")) for link in listed.all()]
        assert len(pages) >= 2, f"the {name} hub ({role}) lists {pages}"
        for item, item_href in pages:
            response = page.goto(item_href)
            assert response is not None and response.status == 200, f"{item} ({item_href})"
            assert_section_marked(page, name)
            check_page(page, browser_log, f"{item}, in {name} ({role})")

    if role == "qi_manager":
        page.goto("/plans")
        page.get_by_role("link", name=world.plan_ref).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(world.plan_ref)
        assert_section_marked(page, "Register")
        check_page(page, browser_log, f"plan {world.plan_ref} ({role})")
        page.get_by_role("link", name=world.advice_refs[-1]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(world.advice_refs[-1])
        assert_section_marked(page, "Register")
        check_page(page, browser_log, f"advice {world.advice_refs[-1]} ({role})")

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(page, browser_log, f"the 404 page ({role})")

    page.get_by_role("button", name="Sign out").click()
    wait_for_path(page, "/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_page(page, browser_log, f"the sign-in page after signing out ({role})")


def test_keyboard_skip_link_and_sign_in(page: Page, browser_log: BrowserLog, world: World) -> None:
    page.goto("/sign-in")
    skip = page.locator(".govuk-skip-link")
    hidden_box = skip.bounding_box()
    assert hidden_box is not None and hidden_box["width"] <= 1 and hidden_box["height"] <= 1

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to main content")
    shown_box = skip.bounding_box()
    assert shown_box is not None and shown_box["width"] > 50 and shown_box["height"] > 10, (
        f"the skip link stays hidden when focused: {shown_box}"
    )

    # Following the skip link moves focus to <main>; the next Tab is the email field.
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address", exact=True)).to_be_focused()
    page.keyboard.type(world.emails["auditor"])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    wait_for_path(page, "/")
    expect(page.locator(".govuk-body-l")).to_contain_text("Signed in as auditor")
    assert not browser_log.csp_reports() and not browser_log.page_errors
