"""The service navigation in groups: each role sees a short row of sections, and each
section's hub lists exactly the pages that role's views admit. What a role may open is read
here from the views' own declarations, not from the navigation code."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from tests import factories as make
from tests.factories import sign_in
from tests.factories.hostile import ROLES

GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Home", [("Home", "main.home")]),
    ("Audits", [
        ("My audits", "scoring.my_audits"), ("Moderation", "moderation.index"),
        ("Calibration", "calibration.index"), ("Panels", "panels.index"),
        ("Cycles", "cycles.index"), ("Re-audits", "reaudit.index"),
        ("Challenges", "challenges.index"),
    ]),
    ("Results", [
        ("Dashboard", "dashboard.index"), ("Rates", "rates.index"),
        ("Improvement actions", "improvement.index"), ("Board reports", "board.index"),
        ("Surveys", "surveys.index"),
    ]),
    ("Letters", [("Letters", "letters.index")]),
    ("Learning", [("Good practice", "library.index"), ("Learning briefs", "learning.index")]),
    ("Register", [("Register", "register.plans"), ("Imports", "imports.index")]),
    ("Administration", [
        ("Agencies", "agencies.index"), ("Practice standards", "standards.index"),
        ("Users", "people.index"), ("Emails", "mail.index"), ("Audit log", "history.index"),
        ("Background jobs", "jobs.index"),
    ]),
]
"""Each group and its pages, in order, as the partnership asked for them."""
ALONE = {"Home", "Letters"}
MOST_SECTIONS = 7


@dataclass
class NavEntry:
    text: str
    href: str
    marked: str | None
    """aria-current: "page" on the entry's own page, "true" elsewhere in its section."""


class Page(HTMLParser):
    """The service navigation's entries, the h1, and the links listed in <main>."""

    def __init__(self) -> None:
        super().__init__()
        self.nav: list[NavEntry] = []
        self.links: list[tuple[str, str, str]] = []
        """The hub's list: (link text, href, the line under it)."""
        self.h1 = ""
        self._where = self._href = self._text = ""
        self._marked: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if "govuk-service-navigation__list" in classes:
            self._where = "nav"
        elif tag == "main":
            self._where = "main"
        elif tag == "a" and self._where in {"nav", "main"}:
            self._href, self._text, self._marked = found.get("href") or "", "", found.get(
                "aria-current")
        elif tag == "h1" or (tag == "p" and self._where == "main" and self.links):
            self._text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self._where == "nav":
            self._where = ""
        elif tag == "a" and self._where == "nav":
            self.nav.append(NavEntry(self._text.strip(), self._href, self._marked))
        elif tag == "a" and self._where == "main":
            self.links.append((self._text.strip(), self._href, ""))
        elif tag == "p" and self._where == "main" and self.links and not self.links[-1][2]:
            text, href, _ = self.links[-1]
            self.links[-1] = (text, href, self._text.strip())
        elif tag == "h1":
            self.h1 = self._text.strip()
        elif tag == "main":
            self._where = ""

    def handle_data(self, data: str) -> None:
        self._text += data


def read(client: FlaskClient, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, path
    page = Page()
    page.feed(response.get_data(as_text=True))
    return page


def admitted(app: Flask, role: str, pages: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(text, url) of each page whose view declares `role`."""
    with app.test_request_context():
        return [(text, url_for(endpoint)) for text, endpoint in pages
                if role in app.view_functions[endpoint]._allowed_roles]


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def expected_sections(app: Flask, role: str) -> list[tuple[str, str]]:
    sections = []
    for name, pages in GROUPS:
        open_to_role = admitted(app, role, pages)
        if len(open_to_role) == 1:
            sections.append(open_to_role[0])
        elif open_to_role:
            sections.append((name, f"/sections/{slug(name)}"))
    return sections


def signed_in(app: Flask, client: FlaskClient, role: str) -> FlaskClient:
    agency = None
    if role in {"auditor", "agency_lead"}:
        agency = make.on(app).agency("Community Paediatrics", "health").name
    person = make.on(app).user(role, agency)
    sign_in(client, person.email)
    return client


def test_every_item_is_in_the_group_asked_for(app: Flask) -> None:
    from qa_app.navigation import items_for

    wanted = {endpoint: ("" if name in ALONE else name)
              for name, pages in GROUPS for _, endpoint in pages}
    assert {item.endpoint: item.group for item in items_for(app)} == wanted


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_a_short_row_of_what_its_views_admit(
        app: Flask, client: FlaskClient, role: str) -> None:
    signed_in(app, client, role)
    nav = read(client, "/").nav
    assert [(entry.text, entry.href) for entry in nav] == expected_sections(app, role)
    assert len(nav) <= MOST_SECTIONS


@pytest.mark.parametrize("role", ROLES)
def test_each_hub_lists_what_the_role_may_open_with_a_line_on_each(
        app: Flask, client: FlaskClient, role: str) -> None:
    signed_in(app, client, role)
    for name, pages in GROUPS:
        if name in ALONE:
            assert client.get(f"/sections/{slug(name)}").status_code == 404
            continue
        open_to_role = admitted(app, role, pages)
        response = client.get(f"/sections/{slug(name)}")
        if not open_to_role:
            assert response.status_code == 404, name
        elif len(open_to_role) == 1:
            assert response.status_code == 302
            assert response.headers["Location"] == open_to_role[0][1]
        else:
            hub = read(client, f"/sections/{slug(name)}")
            assert hub.h1 == name
            assert [(text, href) for text, href, _ in hub.links] == open_to_role
            assert all(line for _, _, line in hub.links), hub.links
            assert [(e.text, e.marked) for e in hub.nav if e.marked] == [(name, "page")]


@pytest.mark.parametrize("role", ROLES)
def test_the_section_is_marked_on_every_page_behind_it(
        app: Flask, client: FlaskClient, role: str) -> None:
    signed_in(app, client, role)
    for name, pages in GROUPS:
        open_to_role = admitted(app, role, pages)
        shown = name if len(open_to_role) > 1 else None
        for text, href in open_to_role:
            marked = [(e.text, e.marked) for e in read(client, href).nav if e.marked]
            expected = (shown, "true") if shown else (text, "page")
            assert marked == [expected], f"{role} on {href}"


def test_a_group_a_role_cannot_reach_is_not_found(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Users and Emails are for administrators only: a group of just those two is theirs."""
    from qa_app.navigation import EXTENSION, NavItem

    staff_only = [NavItem(item.text, item.endpoint, item.order, item.section, "Staff only",
                          item.description)
                  if item.endpoint in {"people.index", "mail.index"} else item
                  for item in app.extensions[EXTENSION]]
    monkeypatch.setitem(app.extensions, EXTENSION, staff_only)
    signed_in(app, client, "qi_manager")
    assert client.get("/sections/staff-only").status_code == 404
    assert "Staff only" not in [entry.text for entry in read(client, "/").nav]
    assert client.get("/sections/no-such-section").status_code == 404

    admin = signed_in(app, app.test_client(), "admin")
    assert read(admin, "/sections/staff-only").h1 == "Staff only"
