"""Every page fits a 320 CSS px screen without the page itself scrolling sideways (WCAG 2.2
1.4.10 Reflow): each role visits every page it can open without parameters, then the detail
pages those pages link to, in a partnership with data on all of them. A wide table may
scroll inside its own region; the page may not."""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 320, "height": 800}
WIDTH = "document.documentElement.scrollWidth"
CULPRITS = """() => [...document.querySelectorAll('body *')].filter((el) =>
  el.getBoundingClientRect().right > 321 && el.parentElement.getBoundingClientRect().right <= 321
).slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""
"""The outermost elements that stick out, to say what to fix."""
NOT_PAGES = {"static", "assets", "govuk_dist", "auth.sign_in", "second_factor.sign_in_code"}
"""Files, and the sign-in pages, which are visited before signing in."""
FILE_SUFFIXES = (".pdf", ".csv", ".json", ".xlsx", "/pdf")
PAGES_PER_ROLE = 80

KNOWN_WIDE: dict[str, str] = {}
"""Endpoint -> why it is still wider than 320 px. Empty: every page fits."""


def _world(app: Flask) -> make.SecurityWorld:
    """Every role, closed cycles with figures and a letter, an open cycle whose panel has
    an auditor with assigned audits, and background jobs."""
    from qa_app.audits.panels.assignment import assign_panel
    from qa_app.audits.panels.models import Panel
    from qa_app.audits.panels.operations import add_member
    from qa_app.auth.models import User

    world = make.on(app).security_world()
    with app.app_context():
        auditor = db.session.execute(
            db.select(User).filter_by(email=world.emails["auditor"])).scalar_one()
        manager = db.session.execute(
            db.select(User).filter_by(email=world.emails["qi_manager"])).scalar_one()
        panel = db.session.execute(
            db.select(Panel).filter_by(cycle_id=world.open_cycle_id)).scalar_one()
        add_member(panel, auditor.id)
        for agency_name in ("Community Paediatrics", "Educational Psychology Service"):
            add_member(panel, make.user("auditor", agency_name).id)
        assign_panel(panel)
        long_ago = utcnow() - timedelta(hours=3)
        db.session.add_all([
            JobRun(job="aggregate", status="failed", attempts=3, origin="schedule",
                   params={"period_kind": None, "period_key": None}, created_at=long_ago,
                   message="Stopped: it stopped showing progress for 5 minutes."),
            JobRun(job="nightly_sweep", status="done", attempts=1, origin="web", progress=100,
                   params={"today": "2026-03-01"}, started_by_id=manager.id,
                   created_at=long_ago, started_at=long_ago, finished_at=long_ago),
        ])
        db.session.commit()
    return world


def _is_page(endpoint: str, rule: str) -> bool:
    return (endpoint not in NOT_PAGES and not endpoint.startswith("api.")
            and not rule.endswith(FILE_SUFFIXES) and "<fmt>" not in rule)


def _start_pages(app: Flask) -> list[str]:
    """Every page without parameters, and every section's hub page (a role's navigation
    links to the hubs of its sections; a hub it has no page in is simply not found)."""
    from qa_app.navigation import groups_for

    hubs = [f"/sections/{group.slug}" for group in groups_for(app) if group.has_hub]
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments
                  and _is_page(rule.endpoint, rule.rule)) + hubs


def _page_key(adapter: MapAdapter, path: str) -> str | None:
    """The endpoint a link opens (one visit per endpoint and kind), or None if not a page."""
    try:
        endpoint, args = adapter.match(path, method="GET")
    except HTTPException:
        return None
    rule = next(r.rule for r in adapter.map.iter_rules(endpoint))
    if not _is_page(endpoint, rule) or path.endswith(FILE_SUFFIXES):
        return None
    return f"{endpoint}:{args.get('kind', '')}"


def _too_wide(context, base: str, adapter: MapAdapter, starts: list[str],
              role: str) -> list[str]:
    """Visit the start pages, then follow links to pages not yet seen; the ones too wide."""
    page = context.new_page()
    queue = deque(starts)
    seen_keys: set[str] = set()
    seen_paths: set[str] = set(starts)
    wide: list[str] = []
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        path = queue.popleft()
        response = page.goto(path)
        visited += 1
        if (response is None or urlsplit(page.url).path == "/sign-in"
                or "text/html" not in response.headers.get("content-type", "")):
            continue
        width = page.evaluate(WIDTH)
        key = _page_key(adapter, path) or path
        if width > VIEWPORT["width"] + 1 and key.split(":")[0] not in KNOWN_WIDE:
            culprits = ", ".join(page.evaluate(CULPRITS))
            wide.append(f"{role} {path} ({response.status}): {width}px; {culprits}")
        for href in page.eval_on_selector_all(
                "a[href]", "links => links.map((a) => a.href)"):
            link = urlsplit(href)
            if link.netloc != urlsplit(base).netloc or link.path in seen_paths:
                continue
            seen_paths.add(link.path)
            found = _page_key(adapter, link.path)
            if found is None or found in seen_keys:
                continue
            seen_keys.add(found)
            queue.append(link.path)
    page.close()
    return wide


def test_every_page_reflows_at_320_px(app: Flask, browser, live_server: str) -> None:
    world = _world(app)
    adapter = app.url_map.bind("localhost")
    starts = _start_pages(app)
    wide: list[str] = []
    for role in make.ROLES:
        context = browser.new_context(base_url=live_server, locale="en-GB", viewport=VIEWPORT)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            if role == make.ROLES[0]:
                page.goto("/sign-in")
                if page.evaluate(WIDTH) > VIEWPORT["width"] + 1:
                    wide.append(f"/sign-in: {page.evaluate(WIDTH)}px")
            sign_in(page, world.emails[role])
            page.close()
            wide += _too_wide(context, live_server, adapter, starts, role)
        finally:
            context.close()
    assert not wide, "pages wider than 320 px:\n" + "\n".join(wide)
