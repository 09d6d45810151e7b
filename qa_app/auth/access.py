"""Who may open what: one view decorator per route and one query filter per request.

Every endpoint must declare its roles with `@roles(...)` (or `@public`); an endpoint
without a declaration is refused for everyone, so a new route cannot forget access.
Record-level scoping by agency or assignment is added to every ORM query of a request
through `with_loader_criteria`, so a view cannot forget it either, and a record the user
may not see is simply not found (404). Each model declares its own scope (`lead_sees`,
`auditor_sees`, `chair_sees`); this module walks the mapped models to find them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from qa_app.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])

ALL_ROLES = tuple(Role)
STAFF = (Role.ADMIN, Role.QI_MANAGER)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Declare who may open this view; others get 404 (or the sign-in page if signed out)."""

    def decorate(view: F) -> F:
        view._allowed_roles = frozenset(str(r) for r in allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    view._public = True  # type: ignore[attr-defined]
    return view


def enforce_access() -> Any:
    """before_request hook: default deny, then role check, for every endpoint."""
    g.pop("scope", None)
    g.pop("scope_criteria", None)
    if request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "_public", False) or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    allowed = getattr(view, "_allowed_roles", None)
    if allowed is None:
        abort(404)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    g.scope = Scope(current_user.role, current_user.id, current_user.agency_id)
    if current_user.role not in allowed:
        abort(404)
    return None


PUBLIC_ENDPOINTS = {"static", "assets", "govuk_dist"}


@dataclass(frozen=True)
class Scope:
    """Plain values captured once per request, so scoping never loads the user again."""

    role: str
    user_id: int
    agency_id: int | None


def current_scope() -> Scope | None:
    if not has_request_context():
        return None
    return g.get("scope")


SCOPE_METHODS = {
    Role.AGENCY_LEAD: "lead_sees",
    Role.AUDITOR: "auditor_sees",
    Role.PANEL_CHAIR: "chair_sees",
}
"""The class method by which a model says which of its rows a role may see. A model that
does not declare one for a role shows that role every row; admins and managers see all."""


def scoped_models(method: str) -> list[type]:
    """The mapped models that declare `method` themselves, in a fixed order."""
    from qa_app.extensions import db

    classes = (mapper.class_ for mapper in db.Model.registry.mappers)
    return sorted((cls for cls in classes if method in vars(cls)), key=lambda c: c.__name__)


def criteria_for(scope: Scope) -> list[Any]:
    """The record filters for a user's role, each declared by the model it filters."""
    method = SCOPE_METHODS.get(Role(scope.role)) if scope.role in set(Role) else None
    if method is None:
        return []
    return [with_loader_criteria(cls, getattr(cls, method)(scope))
            for cls in scoped_models(method)]


def apply_scoping(state: ORMExecuteState) -> None:
    """do_orm_execute hook: add the request user's record filters to every ORM SELECT."""
    if not state.is_select or state.execution_options.get("unscoped", False):
        return
    scope = current_scope()
    if scope is None:
        return
    cached = g.get("scope_criteria")
    if cached is None:
        cached = g.scope_criteria = criteria_for(scope)
    if cached:
        state.statement = state.statement.options(*cached)


def install_scoping() -> None:
    from sqlalchemy import event

    if not event.contains(Session, "do_orm_execute", apply_scoping):
        event.listen(Session, "do_orm_execute", apply_scoping)


def get_visible_or_404(model: type, ident: Any) -> Any:
    """Load by primary key through a SELECT, so the request's scoping always applies."""
    from qa_app.extensions import db

    obj = db.session.execute(
        select(model).where(model.id == ident).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def nav_allowed(endpoint_roles: Iterable[str]) -> bool:
    return current_user.is_authenticated and current_user.role in set(endpoint_roles)
