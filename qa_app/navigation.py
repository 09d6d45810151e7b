"""The service navigation: each feature adds its items; who sees an item is whoever its view
admits (`@roles(...)` in qa_app/auth/access.py), so the two can never disagree.

Items are gathered into groups so that no role faces a long row of links. For each role, a
group with one item it can open shows that item; a group with two or more shows the group's
name, linking to a hub page (qa_app/sections/) that lists them; a group with none is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

EXTENSION = "qa_navigation"
HUB_ENDPOINT = "sections.hub"


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    order: int
    section: tuple[str, ...] = ()
    """Other endpoints (or "blueprint." prefixes) that belong to this section."""
    group: str = ""
    """The group it is listed under; an item without one stands alone and has no hub."""
    description: str = ""
    """One line under its link on the group's hub page."""

    def is_open(self, endpoint: str) -> bool:
        """Whether `endpoint` is this item's page or one of the pages in its section."""
        return endpoint == self.endpoint or any(
            endpoint == other or (other.endswith(".") and endpoint.startswith(other))
            for other in self.section
        )


@dataclass(frozen=True)
class NavGroup:
    name: str
    items: tuple[NavItem, ...]
    """Every item in the group, whoever may open it, in order."""

    @property
    def slug(self) -> str:
        return slug_of(self.name)

    @property
    def has_hub(self) -> bool:
        return bool(self.items[0].group)


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def add_item(
    app: Flask, text: str, endpoint: str, order: int, section: tuple[str, ...] = (), *,
    group: str = "", description: str = "",
) -> None:
    """Put `endpoint` in the navigation at position `order`, under `group` if given. A group
    sits where its lowest-ordered item would: Home is 10, then a hundred a group (Audits 100,
    Results 200, Letters 300, Learning 400, Register 500, Administration 600)."""
    items: list[NavItem] = app.extensions.setdefault(EXTENSION, [])
    if any(item.endpoint == endpoint for item in items):
        raise ValueError(f"{endpoint} is already in the navigation")
    items.append(NavItem(text, endpoint, order, tuple(section), group, description))
    items.sort(key=lambda item: item.order)


def items_for(app: Flask) -> list[NavItem]:
    return list(app.extensions.get(EXTENSION, []))


def groups_for(app: Flask) -> list[NavGroup]:
    """Every group in navigation order; an item without a group is a group of its own."""
    groups: dict[str, list[NavItem]] = {}
    for item in items_for(app):  # already in order, so each group is met at its first item
        groups.setdefault(item.group or f"\0{item.endpoint}", []).append(item)
    return [NavGroup(items[0].group or items[0].text, tuple(items)) for items in groups.values()]


def allowed_roles(app: Flask, endpoint: str) -> frozenset[str]:
    """The roles the endpoint's view declares; none if the endpoint is not registered."""
    view = app.view_functions.get(endpoint)
    return getattr(view, "_allowed_roles", frozenset())


def reachable(app: Flask, group: NavGroup, role: str) -> list[NavItem]:
    return [item for item in group.items if role in allowed_roles(app, item.endpoint)]


def hub(app: Flask, slug: str, role: str) -> tuple[NavGroup, list[NavItem]] | None:
    """The group with this slug and the items `role` may open in it; None if there are none."""
    for group in groups_for(app):
        if group.has_hub and group.slug == slug:
            items = reachable(app, group, role)
            return (group, items) if items else None
    return None


def navigation_for_request() -> list[dict[str, object]]:
    """Items for govukServiceNavigation; endpoints not registered are left out."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("navigation")
    if cached is not None:
        return cached
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    endpoint = request.endpoint or ""
    on_hub = (request.view_args or {}).get("slug") if endpoint == HUB_ENDPOINT else None
    entries = []
    for group in groups_for(app):
        items = reachable(app, group, current_user.role)
        if not items:
            continue
        active = on_hub == group.slug or any(item.is_open(endpoint) for item in group.items)
        if len(items) == 1:
            text, href, current = items[0].text, url_for(items[0].endpoint), (
                endpoint == items[0].endpoint)
        else:
            text, href = group.name, url_for(HUB_ENDPOINT, slug=group.slug)
            current = on_hub == group.slug
        entries.append({"text": text, "href": href, "current": current, "active": active})
    g.navigation = entries
    return entries
