"""Agency administration pages: a question, a check page, then the change and a message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.agencies import operations
from qa_app.agencies.forms import AgencyForm
from qa_app.agencies.queries import TYPE_WORDS, active_accounts, agency_rows, people_of
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import ROLE_LABELS, Role
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.rules import RuleError, show_on_form

bp = Blueprint("agencies", __name__, url_prefix="/admin/agencies")


def today() -> date:
    return date.today()


@bp.route("/")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    return render_template("agencies/index.html", rows=agency_rows(), type_words=TYPE_WORDS)


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new() -> ResponseReturnValue:
    form = AgencyForm()
    if request.method == "GET":
        return render_template("agencies/form.html", form=form, agency=None, ask=("name", "type"))
    try:
        name = operations.check_name(form.name.data)
        kind = operations.check_type(form.type.data)
        if form.validate_on_submit() and form.on_check_page():
            agency = operations.add(name, kind, actor_id=current_user.id)
            flash(f"{agency.name} added.", "success")
            return redirect(url_for("agencies.show", agency_id=agency.id))
    except RuleError as error:
        return _refused(form, error, None, ("name", "type"))
    if form.errors:
        return render_template("agencies/form.html", form=form, agency=None,
                               ask=("name", "type")), 400
    return _check(form, None, "Add this agency?", "Add agency",
                  [("Name", None, name), ("Type", None, TYPE_WORDS[kind])],
                  {"name": name, "type": kind}, url_for("agencies.index"))


@bp.route("/<int:agency_id>")
@roles(*STAFF)
def show(agency_id: int) -> ResponseReturnValue:
    agency = get_visible_or_404(Agency, agency_id)
    leads, others = people_of(agency.id)
    return render_template("agencies/show.html", agency=agency, leads=leads, others=others,
                           type_words=TYPE_WORDS, role_labels=ROLE_LABELS,
                           refusals=operations.deactivation_refusals(agency, today())
                           if agency.active else [])


@bp.route("/<int:agency_id>/name", methods=["GET", "POST"])
@roles(Role.ADMIN)
def rename(agency_id: int) -> ResponseReturnValue:
    agency = get_visible_or_404(Agency, agency_id)

    def check(form: AgencyForm) -> tuple[list[Any], dict[str, str]]:
        name = operations.check_name(form.name.data, agency_id=agency.id)
        return [("Name", agency.name, name)], {"name": name}

    def change(form: AgencyForm) -> bool:
        return operations.rename(agency, form.name.data, actor_id=current_user.id)

    return _change(agency, ("name",), check, change, "Rename this agency?", "Rename agency")


@bp.route("/<int:agency_id>/type", methods=["GET", "POST"])
@roles(Role.ADMIN)
def change_type(agency_id: int) -> ResponseReturnValue:
    agency = get_visible_or_404(Agency, agency_id)

    def check(form: AgencyForm) -> tuple[list[Any], dict[str, str]]:
        kind = operations.check_type(form.type.data)
        return [("Type", TYPE_WORDS[agency.type], TYPE_WORDS[kind])], {"type": kind}

    def change(form: AgencyForm) -> bool:
        return operations.change_type(agency, form.type.data, actor_id=current_user.id)

    return _change(agency, ("type",), check, change, "Change the type of this agency?",
                   "Change type")


@bp.route("/<int:agency_id>/deactivate", methods=["GET", "POST"])
@roles(Role.ADMIN)
def deactivate(agency_id: int) -> ResponseReturnValue:
    agency = get_visible_or_404(Agency, agency_id)
    return _switch(agency, active=False)


@bp.route("/<int:agency_id>/reactivate", methods=["GET", "POST"])
@roles(Role.ADMIN)
def reactivate(agency_id: int) -> ResponseReturnValue:
    agency = get_visible_or_404(Agency, agency_id)
    return _switch(agency, active=True)


def _switch(agency: Agency, *, active: bool) -> ResponseReturnValue:
    """The deactivate and reactivate check pages; only their button changes anything."""
    form = AgencyForm()
    back = url_for("agencies.show", agency_id=agency.id)
    if agency.active == active:
        flash(f"{agency.name} is already {'active' if active else 'inactive'}.", "info")
        return redirect(back)
    refusals = [] if active else operations.deactivation_refusals(agency, today())
    problem = None
    if request.method == "POST":
        if form.validate_on_submit() and form.on_check_page():
            try:
                if active:
                    operations.reactivate(agency, actor_id=current_user.id)
                else:
                    operations.deactivate(agency, actor_id=current_user.id, today=today())
            except RuleError as error:
                db.session.rollback()
                problem = str(error)
            else:
                flash(f"{agency.name} {'reactivated' if active else 'deactivated'}.",
                      "success")
                return redirect(back)
        else:
            problem = "Use the button on this page to confirm."
    return render_template(
        "agencies/switch.html", agency=agency, active=active, form=AgencyForm(formdata=None),
        refusals=refusals, accounts=active_accounts(agency.id), problem=problem,
    ), 400 if problem else 200


def _change(
    agency: Agency,
    ask: tuple[str, ...],
    check: Callable[[AgencyForm], tuple[list[Any], dict[str, str]]],
    change: Callable[[AgencyForm], bool],
    question: str,
    button: str,
) -> ResponseReturnValue:
    """A question page, its check page, and the change once the check page is confirmed."""
    form = AgencyForm(data={"name": agency.name, "type": agency.type}
                      if request.method == "GET" else None)
    back = url_for("agencies.show", agency_id=agency.id)
    if request.method == "GET":
        return render_template("agencies/form.html", form=form, agency=agency, ask=ask)
    try:
        rows, hidden = check(form)
        if form.validate_on_submit() and form.on_check_page():
            changed = change(form)
            outcome = "changed" if changed else "was not changed: nothing was different"
            flash(f"{agency.name} {outcome}.", "success" if changed else "info")
            return redirect(back)
    except RuleError as error:
        return _refused(form, error, agency, ask)
    if form.errors:
        return render_template("agencies/form.html", form=form, agency=agency, ask=ask), 400
    return _check(form, agency, question, button, rows, hidden, back)


def _refused(form: AgencyForm, error: RuleError, agency: Agency | None,
             ask: tuple[str, ...]) -> ResponseReturnValue:
    db.session.rollback()
    form.confirmed.data = ""
    show_on_form(form, error)
    return render_template("agencies/form.html", form=form, agency=agency, ask=ask), 400


def _check(form: AgencyForm, agency: Agency | None, question: str, button: str,
           rows: list[Any], hidden: dict[str, str], back: str) -> ResponseReturnValue:
    return render_template("agencies/check.html", form=AgencyForm(formdata=None), agency=agency,
                           question=question, button=button, rows=rows, hidden=hidden,
                           back=back)
