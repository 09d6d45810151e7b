"""The service navigation: each feature adds its items; who sees an item is whoever its view
admits (`@roles(...)` in qa_app/auth/access.py), so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

EXTENSION = "qa_navigation"


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    order: int
    section: tuple[str, ...] = ()
    """Other endpoints (or "blueprint." prefixes) that belong to this section."""


def add_item(
    app: Flask, text: str, endpoint: str, order: int, section: tuple[str, ...] = ()
) -> None:
    """Put `endpoint` in the navigation at position `order` (Home is 10, Users 150)."""
    items: list[NavItem] = app.extensions.setdefault(EXTENSION, [])
    if any(item.endpoint == endpoint for item in items):
        raise ValueError(f"{endpoint} is already in the navigation")
    items.append(NavItem(text, endpoint, order, tuple(section)))
    items.sort(key=lambda item: item.order)


def items_for(app: Flask) -> list[NavItem]:
    return list(app.extensions.get(EXTENSION, []))


def allowed_roles(app: Flask, endpoint: str) -> frozenset[str]:
    """The roles the endpoint's view declares; none if the endpoint is not registered."""
    view = app.view_functions.get(endpoint)
    return getattr(view, "_allowed_roles", frozenset())


def navigation_for_request() -> list[dict[str, object]]:
    """Items for govukServiceNavigation; endpoints not registered are left out."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("navigation")
    if cached is not None:
        return cached
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    endpoint = request.endpoint or ""
    items = []
    for item in items_for(app):
        if current_user.role not in allowed_roles(app, item.endpoint):
            continue
        current = endpoint == item.endpoint
        active = current or any(
            endpoint == other or (other.endswith(".") and endpoint.startswith(other))
            for other in item.section
        )
        items.append(
            {"text": item.text, "href": url_for(item.endpoint), "current": current,
             "active": active}
        )
    g.navigation = items
    return items
