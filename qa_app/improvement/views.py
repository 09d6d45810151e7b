"""The improvement actions list and each action's page, with its forms.

Managers and administrators assign the owner and due date and may close an action anyway;
the action's agency leads add notes and ask to close it. Another agency's action is not
found (404): the request's scoping hides it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, nav_allowed, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.improvement import operations, queries
from qa_app.improvement.forms import (
    NOBODY,
    AssignForm,
    CloseAnywayForm,
    CloseRequestForm,
    FilterForm,
    NoteForm,
)
from qa_app.improvement.models import NOTE_KINDS
from qa_app.inputs import parse_id
from qa_app.letters.document import long_date
from qa_app.register.models import Agency
from qa_app.reporting.actions import recovery
from qa_app.reporting.labels import describe
from qa_app.reporting.models import ImprovementAction
from qa_app.reporting.operations import current_targets
from qa_app.rules import RuleError, show_on_form

bp = Blueprint("improvement", __name__, url_prefix="/improvement-actions")

OWN_AGENCY_ONLY = (Role.AGENCY_LEAD, Role.AUDITOR)
STATUS_FILTERS = {queries.OPEN: "Open", queries.CLOSING: "Waiting for confirmation",
                  queries.CLOSED: "Closed"}
NOT_FROM_CHECK = "Nothing has changed: check your answer on this page, then confirm it."


def today() -> date:
    return date.today()


def _is_staff() -> bool:
    return current_user.role in STAFF


def _may_act(action: ImprovementAction) -> bool:
    """Notes and asking to close: the agency's own leads, and managers."""
    return _is_staff() or (current_user.role == Role.AGENCY_LEAD
                           and current_user.agency_id == action.agency_id)


def _can_open(endpoint: str) -> bool:
    view = current_app.view_functions.get(endpoint)
    return nav_allowed(getattr(view, "_allowed_roles", ()))


@bp.route("")
@roles(*ALL_ROLES)
def index() -> ResponseReturnValue:
    own_only = current_user.role in OWN_AGENCY_ONLY
    form = FilterForm(formdata=request.args)
    form.status.choices = [SelectChoice("", "Any status")] + [
        SelectChoice(k, v) for k, v in STATUS_FILTERS.items()]
    agencies = [] if own_only else list(db.session.execute(
        db.select(Agency).where(Agency.id.in_(db.select(ImprovementAction.agency_id)))
        .order_by(Agency.name)).scalars())
    form.agency.choices = [SelectChoice("", "Every agency")] + [
        SelectChoice(str(a.id), a.name) for a in agencies]
    status = request.args.get("status") or None
    if status is not None and status not in STATUS_FILTERS:
        abort(404)
    agency_id = None
    if not own_only and request.args.get("agency"):
        agency_id = parse_id(request.args["agency"])
        if agency_id is None or agency_id not in {a.id for a in agencies}:
            abort(404)
    overdue = request.args.get("overdue") in ("y", "1", "on", "true")
    lines = queries.action_lines(today(), status=status, agency_id=agency_id,
                                 overdue_only=overdue)
    items: list[Any] = lines if agency_id is not None or own_only else queries.grouped(lines)
    filtered = bool(status or agency_id or overdue)
    return render_template(
        "improvement/index.html", form=form, items=items, total=len(lines),
        filtered=filtered, overdue_count=sum(1 for line in lines if line.overdue),
        long_date=long_date, staff=_is_staff())


@bp.route("/<int:action_id>")
@roles(*ALL_ROLES)
def show(action_id: int) -> ResponseReturnValue:
    action = get_visible_or_404(ImprovementAction, action_id)
    return _page(action)


def _assign_form(action: ImprovementAction, formdata: Any = None) -> AssignForm:
    form = AssignForm(formdata=formdata) if formdata is not None else AssignForm(
        formdata=None, owner_id=str(action.owner_id or NOBODY), due_date=action.due_date)
    form.owner_id.choices = [SelectChoice(NOBODY, "Not assigned")] + [
        SelectChoice(str(u.id), u.display_name) for u in queries.agency_leads(action.agency_id)]
    return form


def _page(action: ImprovementAction, status: int = 200, **forms: Any) -> ResponseReturnValue:
    staff = _is_staff()
    may_act = _may_act(action) and action.status != queries.CLOSED
    if staff and action.status != queries.CLOSED:
        forms.setdefault("assign_form", _assign_form(action))
    if may_act:
        forms.setdefault("note_form", NoteForm(formdata=None))
    names = queries.user_names([action.owner_id, action.closed_by_id,
                                action.close_requested_by_id])
    letter = queries.letter_for(action) if _can_open("letters.show") else None
    found = recovery(action, current_targets(), today()) \
        if action.status == queries.CLOSING else None
    return render_template(
        "improvement/show.html", action=action, staff=staff, may_act=may_act,
        agency=db.session.get(Agency, action.agency_id),
        measure_text=describe(action.measure, action.scope),
        status_text=queries.STATUS_TEXT.get(action.status, action.status),
        overdue=queries.is_overdue(action.status, action.due_date, today()),
        names=names, letter=letter, recovery=found,
        figures_url=url_for("rates.index", **queries.figures_args(
            action, own_agency_only=current_user.role in OWN_AGENCY_ONLY)),
        thread=queries.thread(action.id), note_kinds=NOTE_KINDS, long_date=long_date,
        form=next((f for f in forms.values() if f.errors), None), **forms), status


@bp.route("/<int:action_id>/assign", methods=["POST"])
@roles(*STAFF)
def assign(action_id: int) -> ResponseReturnValue:
    action = get_visible_or_404(ImprovementAction, action_id)
    form = _assign_form(action, request.form)
    if not form.validate():
        return _page(action, 400, assign_form=form)
    owner = parse_id(form.owner_id.data) if form.owner_id.data else None
    try:
        changed = operations.assign(action, owner_id=owner, due_date=form.due_date.data,
                                    actor_id=current_user.id)
    except RuleError as exc:
        show_on_form(form, exc)
        return _page(action, 400, assign_form=form)
    flash(f"Saved the {' and '.join(changed)}." if changed else "Nothing changed.", "success")
    return redirect(url_for("improvement.show", action_id=action.id))


@bp.route("/<int:action_id>/notes", methods=["POST"])
@roles(Role.AGENCY_LEAD, *STAFF)
def add_note(action_id: int) -> ResponseReturnValue:
    action = get_visible_or_404(ImprovementAction, action_id)
    if not _may_act(action):
        abort(404)
    form = NoteForm()
    if not form.validate():
        return _page(action, 400, note_form=form)
    try:
        operations.add_note(action, form.text.data, actor_id=current_user.id)
    except RuleError as exc:
        show_on_form(form, exc)
        return _page(action, 400, note_form=form)
    flash("Your note has been added.", "success")
    return redirect(url_for("improvement.show", action_id=action.id) + "#notes")


@bp.route("/<int:action_id>/close", methods=["GET", "POST"])
@roles(Role.AGENCY_LEAD, *STAFF)
def ask_to_close(action_id: int) -> ResponseReturnValue:
    """Ask to close: write what changed, check it, then confirm."""
    action = get_visible_or_404(ImprovementAction, action_id)
    if not _may_act(action):
        abort(404)
    if action.status != queries.OPEN:
        flash("Only an open action can be asked to close.")
        return redirect(url_for("improvement.show", action_id=action.id))
    form = CloseRequestForm()
    note, page = _written_and_checked(action, form, "note", operations.check_close_note,
                                      "improvement/close")
    if page is not None:
        return page
    try:
        found = operations.request_close(action, note, actor_id=current_user.id,
                                         targets=current_targets(), as_of=today())
    except RuleError as exc:
        flash(exc.message)
        return redirect(url_for("improvement.show", action_id=action.id))
    if found.recovered:
        flash("The action is closed: its figure has recovered.", "success")
    else:
        flash("You have asked to close the action. It will be closed once its figure "
              "recovers.", "success")
    return redirect(url_for("improvement.show", action_id=action.id))


@bp.route("/<int:action_id>/close-anyway", methods=["GET", "POST"])
@roles(*STAFF)
def close_anyway(action_id: int) -> ResponseReturnValue:
    """The manager closes an action whose figure has not recovered, with the reason."""
    action = get_visible_or_404(ImprovementAction, action_id)
    if action.status == queries.CLOSED:
        flash("This action is already closed.")
        return redirect(url_for("improvement.show", action_id=action.id))
    form = CloseAnywayForm()
    reason, page = _written_and_checked(action, form, "reason", operations.check_close_reason,
                                        "improvement/close_anyway")
    if page is not None:
        return page
    operations.close_anyway(action, reason, actor_id=current_user.id)
    flash("The action is closed, with your reason recorded.", "success")
    return redirect(url_for("improvement.show", action_id=action.id))


def _written_and_checked(action: ImprovementAction, form: Any, field: str,
                         check: Callable[[str | None], str], page: str
                         ) -> tuple[str | None, ResponseReturnValue | None]:
    """Closing in two steps: the text written in `field` on `page`.html, then read back on
    `page`_check.html, and only then confirmed. The checked text once confirmed, or the
    page to show now (the form again, with any problem, or the check page)."""
    context = {"action": action, "measure_text": describe(action.measure, action.scope)}
    if not form.is_submitted():
        return None, render_template(f"{page}.html", form=form, **context)
    if not form.validate():
        return None, (render_template(f"{page}.html", form=form, **context), 400)
    try:
        text = check(form[field].data)
    except RuleError as exc:
        show_on_form(form, exc)
        return None, (render_template(f"{page}.html", form=form, **context), 400)
    if form.checked.data != "yes":
        form.checked.data = "yes"
        return None, render_template(f"{page}_check.html", form=form, **{field: text},
                                     **context)
    return text, None
