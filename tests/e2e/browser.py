"""What every browser test does the same way: sign in and out through the real form, wait
for a page, and check a page is accessible and ran its scripts under the app's CSP."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_no_violations
from tests.factories import PASSWORD


@dataclass
class BrowserLog:
    """What the page said on its console, and the errors it did not catch."""

    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"]

    def csp_reports(self) -> list[str]:
        return [text for _, text in self.console if "Content Security Policy" in text]


def path_of(page: Page) -> str:
    """The path of the page's URL, without query or fragment."""
    return urlsplit(page.url).path


def wait_for_path(page: Page, path: str) -> None:
    # A redirect keeps the fragment of the request (e.g. #main-content after the skip
    # link), so compare paths, not whole URLs.
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def sign_in(page: Page, email: str, password: str = PASSWORD, *,
            lands_on: str | None = "/") -> None:
    """Sign in through the form (from the sign-in page the browser is on, or a fresh one),
    then wait to land on `lands_on`; None stays put, to read the form's error."""
    if path_of(page) != "/sign-in":
        page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    if lands_on is None:
        return
    wait_for_path(page, lands_on)
    if lands_on == "/":
        expect(page.locator(".app-account")).to_contain_text(email)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def assert_accessible(page: Page, label: str, log: BrowserLog | None = None) -> None:
    """axe finds nothing; with the page's log, nothing was refused by the CSP either.
    Waits first for a loaded page with its main landmark, so that a check called straight
    after a click does not run on a page half replaced by the next one."""
    page.wait_for_load_state()
    expect(page.locator("main")).to_have_count(1)
    assert_no_violations(page, label)
    if log is not None:
        refused = log.csp_reports()
        assert not refused, f"{label}: Content Security Policy refusals: {refused}"
        assert not log.page_errors, f"{label}: uncaught JavaScript errors: {log.page_errors}"


def check_page(page: Page, log: BrowserLog, label: str) -> None:
    """Accessible, and GOV.UK Frontend's JavaScript ran: every component initialised."""
    assert_accessible(page, label, log)
    state = page.evaluate(
        """() => ({
          supported: document.body.classList.contains('govuk-frontend-supported'),
          modules: document.querySelectorAll('[data-module]').length,
          initialised: [...document.querySelectorAll('[data-module]')].filter((el) =>
            el.dataset.module.split(' ').every((m) => el.hasAttribute(`data-${m}-init`))
          ).length,
        })"""
    )
    assert state["supported"], f"{label}: the nonced inline script did not run (CSP?)"
    assert state["modules"] > 0, f"{label}: no GOV.UK Frontend components on the page"
    assert state["initialised"] == state["modules"], (
        f"{label}: GOV.UK Frontend initialised {state['initialised']} of "
        f"{state['modules']} components; app.mjs or govuk-frontend.min.js did not run"
    )


def fits_320(page: Page, label: str) -> None:
    """At a 320 CSS px viewport the page itself does not scroll sideways (WCAG 1.4.10)."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 800})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 321, f"{label}: {width}px wide at a 320px viewport"
    finally:
        if size:
            page.set_viewport_size(size)


def check_both_widths(page: Page, label: str, log: BrowserLog, *,
                      components: bool = False) -> None:
    """Accessible at full width and at 320 CSS px, where the page itself never scrolls
    sideways; with `components`, GOV.UK Frontend's JavaScript also ran (check_page)."""

    def check(name: str) -> None:
        if components:
            check_page(page, log, name)
        else:
            assert_accessible(page, name, log)

    check(label)
    fits_320(page, label)
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 800})
    try:
        check(f"{label} at 320 px")
    finally:
        page.set_viewport_size(size or {"width": 1280, "height": 800})


def open_section(page: Page, section: str, item: str | None = None) -> None:
    """Follow the service navigation to `section`, then, from its hub page, to `item`."""
    nav = page.get_by_role("navigation", name="Main sections")
    nav.get_by_role("link", name=section, exact=True).click()
    if item is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text(section)
        page.get_by_role("main").get_by_role("link", name=item, exact=True).click()
