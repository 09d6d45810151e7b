"""The service navigation: which sections each role sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for
from flask_login import current_user

from qa_app.auth.models import Role


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    roles: frozenset[str]
    section: tuple[str, ...] = ()
    """Other endpoints (or "blueprint." prefixes) that belong to this section."""


def _r(*roles: Role) -> frozenset[str]:
    return frozenset(str(r) for r in roles)


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "main.home", _r(*Role)),
    NavItem("My audits", "scoring.my_audits", _r(Role.AUDITOR, Role.PANEL_CHAIR), ("scoring.",)),
    NavItem(
        "Moderation",
        "moderation.index",
        _r(Role.PANEL_CHAIR, Role.ADMIN, Role.QI_MANAGER),
        ("moderation.",),
    ),
    NavItem(
        "Dashboard",
        "dashboard.index",
        _r(Role.ADMIN, Role.QI_MANAGER, Role.PANEL_CHAIR, Role.AGENCY_LEAD),
        ("dashboard.",),
    ),
    NavItem("Rates", "rates.index", _r(*Role), ("rates.",)),
    NavItem(
        "Letters",
        "letters.index",
        _r(Role.ADMIN, Role.QI_MANAGER, Role.PANEL_CHAIR, Role.AGENCY_LEAD),
        ("letters.",),
    ),
    NavItem("Panels", "panels.index", _r(Role.ADMIN, Role.QI_MANAGER), ("panels.",)),
    NavItem("Cycles", "cycles.index", _r(Role.ADMIN, Role.QI_MANAGER), ("cycles.",)),
    NavItem(
        "Register",
        "register.plans",
        _r(Role.ADMIN, Role.QI_MANAGER, Role.PANEL_CHAIR),
        ("register.plan", "register.advice"),
    ),
    NavItem("Imports", "imports.index", _r(Role.ADMIN, Role.QI_MANAGER), ("imports.",)),
    NavItem("Agencies", "register.agencies", _r(Role.ADMIN, Role.QI_MANAGER)),
    NavItem("Practice standards", "standards.index", _r(*Role), ("standards.",)),
    NavItem("Audit log", "history.index", _r(Role.ADMIN, Role.QI_MANAGER), ("history.",)),
    NavItem("Background jobs", "jobs.index", _r(Role.ADMIN, Role.QI_MANAGER), ("jobs.",)),
    NavItem("Users", "main.users", _r(Role.ADMIN)),
]


def navigation_for_request() -> list[dict[str, object]]:
    """Items for govukServiceNavigation; endpoints not yet registered are left out."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("navigation")
    if cached is not None:
        return cached
    from flask import current_app

    items = []
    for item in NAV_ITEMS:
        if current_user.role not in item.roles:
            continue
        if item.endpoint not in current_app.view_functions:
            continue
        href = url_for(item.endpoint)
        endpoint = request.endpoint or ""
        current = endpoint == item.endpoint
        active = current or any(
            endpoint == other or (other.endswith(".") and endpoint.startswith(other))
            for other in item.section
        )
        items.append({"text": item.text, "href": href, "current": current, "active": active})
    g.navigation = items
    return items
