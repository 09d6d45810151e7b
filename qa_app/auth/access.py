"""Who may open what: one view decorator per route and one query filter per request.

Every endpoint must declare its roles with `@roles(...)` (or `@public`); an endpoint
without a declaration is refused for everyone, so a new route cannot forget access.
Record-level scoping by agency or assignment is added to every ORM query of a request
through `with_loader_criteria`, so a view cannot forget it either, and a record the user
may not see is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import false, or_, select
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


def _agency_criteria(agency_id: int) -> list[Any]:
    from qa_app.audits.models import Audit, FinalGrade
    from qa_app.letters.models import Letter, LetterResponse
    from qa_app.register.models import Advice, Agency, Plan

    own_advice = select(Advice.id).where(Advice.agency_id == agency_id)
    own_plans = select(Plan.id).where(Plan.agency_id == agency_id)
    contributed_plans = select(Advice.plan_id).where(Advice.agency_id == agency_id)
    own_letters = select(Letter.id).where(Letter.agency_id == agency_id)

    def subject(cls: Any) -> Any:
        return or_(cls.plan_id.in_(own_plans), cls.advice_id.in_(own_advice))

    return [
        with_loader_criteria(Agency, Agency.id == agency_id),
        with_loader_criteria(
            Plan, or_(Plan.agency_id == agency_id, Plan.id.in_(contributed_plans))
        ),
        with_loader_criteria(Advice, Advice.agency_id == agency_id),
        with_loader_criteria(Audit, subject(Audit)),
        with_loader_criteria(FinalGrade, subject(FinalGrade)),
        with_loader_criteria(Letter, Letter.agency_id == agency_id),
        with_loader_criteria(LetterResponse, LetterResponse.letter_id.in_(own_letters)),
        *_own_agency_figures(agency_id, agreement=False),
    ]


def _own_agency_figures(agency_id: int | None, *, agreement: bool) -> list[Any]:
    """Agency leads and auditors see their own agency's rates and improvement actions only.
    Agreement between auditors is counted per cycle across every agency, so no agency's
    share of it can be shown on its own: leads never see it; auditors do (`agreement`),
    since it shows them which criteria panels read differently, which is their work."""
    from qa_app.reporting.models import AgreementSnapshot, ImprovementAction, RateSnapshot

    hidden = [] if agreement else [with_loader_criteria(AgreementSnapshot, false())]
    if agency_id is None:
        return [with_loader_criteria(RateSnapshot, false()),
                with_loader_criteria(ImprovementAction, false()), *hidden]
    return [
        with_loader_criteria(RateSnapshot, RateSnapshot.agency_id == agency_id),
        with_loader_criteria(ImprovementAction, ImprovementAction.agency_id == agency_id),
        *hidden,
    ]


def _auditor_criteria(user_id: int, agency_id: int | None) -> list[Any]:
    """Auditors score what they are assigned; beyond that, like their agency's lead, they
    see their own agency's figures only (see _own_agency_figures)."""
    from qa_app.audits.models import Audit
    from qa_app.register.models import Advice, Plan

    my_plans = select(Audit.plan_id).where(Audit.auditor_id == user_id, Audit.plan_id.is_not(None))
    my_advice = select(Audit.advice_id).where(
        Audit.auditor_id == user_id, Audit.advice_id.is_not(None)
    )
    plans_of_my_advice = select(Advice.plan_id).where(Advice.id.in_(my_advice))
    return [
        with_loader_criteria(Audit, Audit.auditor_id == user_id),
        with_loader_criteria(Plan, or_(Plan.id.in_(my_plans), Plan.id.in_(plans_of_my_advice))),
        with_loader_criteria(Advice, or_(Advice.id.in_(my_advice), Advice.plan_id.in_(my_plans))),
        *_own_agency_figures(agency_id, agreement=True),
    ]


def _chair_criteria(user_id: int) -> list[Any]:
    """Chairs see the audits of the panels they chair, not other panels' work in progress."""
    from qa_app.audits.models import Audit, Panel

    chaired = select(Panel.id).where(Panel.chair_id == user_id)
    return [with_loader_criteria(Audit, Audit.panel_id.in_(chaired))]


def criteria_for(scope: Scope) -> list[Any]:
    """The record filters for a user's role; admins and managers see everything."""
    if scope.role == Role.AGENCY_LEAD and scope.agency_id is not None:
        return _agency_criteria(scope.agency_id)
    if scope.role == Role.AUDITOR:
        return _auditor_criteria(scope.user_id, scope.agency_id)
    if scope.role == Role.PANEL_CHAIR:
        return _chair_criteria(scope.user_id)
    return []


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
