"""The Users pages, for administrators: the list, a person's page and history, inviting,
changing a role or agency, deactivating and reactivating.

Every change is shown on a check page first: the form posts to itself, and saves only when
the post carries the check page's confirmation. Each post is checked against the rules
again, and a refused change writes nothing (the request rolls back, qa_app/transactions.py)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth import operations
from qa_app.auth.access import roles
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.history.views import describe_changes
from qa_app.history.words import event_words
from qa_app.inputs import MAX_PAGE, parse_id, query_int
from qa_app.people import queries
from qa_app.people.forms import (
    CONFIRMED,
    ConfirmForm,
    RoleAndAgencyForm,
    UserFilterForm,
)
from qa_app.rules import RuleError, show_on_form
from qa_app.timeutil import utcnow

bp = Blueprint("people", __name__, url_prefix="/users")
PAGE_SIZE = 25
UNCHECKED = "Nothing was saved: check the change on this page, then confirm it."


@bp.app_context_processor
def _words() -> dict[str, Any]:
    return {"people_status_tags": queries.STATUS_TAGS, "people_statuses": queries.STATUSES}


@bp.route("")
@roles(Role.ADMIN)
def index() -> ResponseReturnValue:
    page = query_int("page", 1, low=1, high=MAX_PAGE, strict=True) or 1
    form = UserFilterForm(formdata=request.args).fill_choices()
    filtered = any(request.args.get(k) for k in ("q", "role", "agency", "status"))
    query = queries.users_query(_filters(form)) if form.validate() else None
    if query is None:
        query = queries.users_query(queries.UserFilters()).where(User.id.is_(None))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    today = queries.local_day(utcnow())
    rows = [{"user": u, "status": queries.status_of(u),
             "last": queries.day_in_words(queries.local_day(u.last_login_at), today)}
            for u in pagination.items]
    args = {k: v for k, v in request.args.items() if k in {"q", "role", "agency", "status"} and v}
    return render_template(
        "people/index.html", form=form, rows=rows, pagination=pagination, filtered=filtered,
        no_lead=queries.agencies_without_lead(), agencies_url=_agencies_url(),
        page_url=lambda n: url_for("people.index", page=n, **args),
    ), 400 if form.errors else 200


def _filters(form: UserFilterForm) -> queries.UserFilters:
    return queries.UserFilters(search=form.q.data or "", role=form.role.data or "",
                               agency_id=parse_id(form.agency.data or ""),
                               status=form.status.data or "")


def _agencies_url() -> str | None:
    for endpoint in ("agencies.index", "register.agencies"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


@bp.route("/<int:user_id>")
@roles(Role.ADMIN)
def show(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    return render_template("people/show.html", **_person(user),
                           history=queries.history_of(user), form=ConfirmForm(),
                           describe=describe_changes, event_words=event_words)


def _person(user: User) -> dict[str, Any]:
    today = queries.local_day(utcnow())
    status = queries.status_of(user)
    return {"user": user, "status": status,
            "last": queries.day_in_words(queries.local_day(user.last_login_at), today),
            "created": queries.day_in_words(queries.local_day(user.created_at), today),
            "is_self": user.id == current_user.id}


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None:
        abort(404)
    return user


@bp.route("/<int:user_id>/change", methods=["GET", "POST"])
@roles(Role.ADMIN)
def change(user_id: int) -> ResponseReturnValue:
    """Step one: choose the role and agency; a valid choice is shown back on the check page."""
    user = _user_or_404(user_id)
    if request.method == "GET":
        form = RoleAndAgencyForm(formdata=None, role=user.role,
                                 agency=str(user.agency_id or "")).fill_choices()
        return _change_page(user, form)
    form = RoleAndAgencyForm().fill_choices()
    if not form.validate_on_submit() or request.form.get("action") == "change":
        form.confirmed.data = ""
        return _change_page(user, form, 400 if form.errors else 200)
    agency_id = _agency_id(form.agency.data)
    try:
        changes = operations.check_role_change(user, form.role.data, agency_id)
    except RuleError as exc:
        show_on_form(form, exc)
        return _change_page(user, form, 400)
    if form.confirmed.data != CONFIRMED:
        form.confirmed.data = CONFIRMED
        return render_template("people/change_check.html", **_person(user), form=form,
                               changes=changes)
    try:
        operations.change_role(user, form.role.data, agency_id, actor_id=current_user.id)
    except RuleError as exc:  # another administrator changed things since the check page
        db.session.rollback()
        show_on_form(form, exc)
        return _change_page(_user_or_404(user_id), form, 400)
    if user.id == current_user.id:
        flash("Your role was changed: sign in again to carry on.", "success")
        return redirect(url_for("auth.sign_in"))
    flash(f"{user.display_name}'s role and agency were saved. They have been signed out, "
          "and the change applies when they next sign in.", "success")
    return redirect(url_for("people.show", user_id=user.id))


def _agency_id(raw: str | None) -> int | None:
    """The agency chosen on a form: none, or its number; a forged value that is not a number
    becomes one no agency has, so the rules refuse it as an unknown agency."""
    if not raw:
        return None
    value = parse_id(raw)
    return -1 if value is None else value


def person_context(user: User) -> dict[str, Any]:
    return _person(user)


def _change_page(user: User, form: RoleAndAgencyForm, status: int = 200) -> ResponseReturnValue:
    return render_template("people/change.html", **_person(user), form=form), status


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@roles(Role.ADMIN)
def deactivate(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.deactivate_user(user, actor_id=current_user.id)
        except RuleError as exc:
            db.session.rollback()
            show_on_form(form, exc)
            user = _user_or_404(user_id)
        else:
            flash(f"{user.display_name} was deactivated: they were signed out, their API "
                  "keys were stopped and they cannot sign in. Their history is kept.",
                  "success")
            return redirect(url_for("people.show", user_id=user.id))
    status = 400 if form.errors else 200
    return render_template("people/status_check.html", **_person(user), form=form,
                           action="deactivate"), status


@bp.route("/<int:user_id>/reactivate", methods=["GET", "POST"])
@roles(Role.ADMIN)
def reactivate(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.reactivate_user(user, actor_id=current_user.id)
        except RuleError as exc:
            show_on_form(form, exc)
        else:
            flash(f"{user.display_name} was reactivated and can sign in again.", "success")
            return redirect(url_for("people.show", user_id=user.id))
    status = 400 if form.errors else 200
    return render_template("people/status_check.html", **_person(user), form=form,
                           action="reactivate"), status
