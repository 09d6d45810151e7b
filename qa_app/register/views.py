"""Agencies, the plan register and the advice log, as pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from qa_app.audits.moderation.notes import panel_notes_for_advice
from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.inputs import MAX_PAGE, query_int
from qa_app.register.forms import AdviceExceptionForm, PlanExceptionForm, PlanSearchForm
from qa_app.register.models import (
    ADVICE_EXCEPTION_LABELS,
    PLAN_EXCEPTION_LABELS,
    Advice,
    Plan,
)
from qa_app.register.operations import RegisterError, set_advice_exception, set_plan_exception
from qa_app.register.queries import (
    PLAN_KINDS,
    plan_audits,
    plan_final_grades,
    plan_letters,
    search_plans,
    visible_agencies,
)
from qa_app.rules import show_on_form

bp = Blueprint("register", __name__)

PAGE_SIZE = 50
LETTER_READERS = (*STAFF, Role.PANEL_CHAIR, Role.AGENCY_LEAD)
"""Who may open a letter (letters/views.py); agency leads only their agency's issued ones."""
AUDITOR_NAMES_SHOWN = (*STAFF, Role.PANEL_CHAIR)
"""The roles whose panel and moderation pages name the auditors."""


@bp.route("/agencies")
@roles(*STAFF)
def agencies() -> ResponseReturnValue:
    """The old read-only list: agencies now have one page for both staff roles."""
    return redirect(url_for("agencies.index"), 301)


@bp.route("/plans")
@roles(*ALL_ROLES)
def plans() -> ResponseReturnValue:
    """The register, searched by the filters in the URL; each role sees only the plans its
    access scope allows, so a search cannot reach another agency's plan."""
    page = query_int("page", 1, low=1, high=MAX_PAGE, strict=True) or 1
    form = PlanSearchForm(formdata=request.args)
    form.set_choices(visible_agencies())
    search = form.search()
    pagination = db.paginate(search_plans(search), page=page, per_page=PAGE_SIZE,
                             error_out=False)
    args = search.args()
    return render_template(
        "register/plans.html", pagination=pagination, form=form, search=search,
        plan_kinds=PLAN_KINDS, page_url=lambda n: url_for("register.plans", page=n, **args))


@bp.route("/plans/<int:plan_id>")
@roles(*ALL_ROLES)
def plan(plan_id: int) -> ResponseReturnValue:
    plan_row = get_visible_or_404(Plan, plan_id)
    advice = db.session.execute(
        select(Advice).where(Advice.plan_id == plan_row.id).order_by(Advice.ref)
    ).scalars().all()
    grades = plan_final_grades(plan_row.id)
    role = current_user.role
    letters = (plan_letters(grades, issued_only=role == Role.AGENCY_LEAD)
               if role in LETTER_READERS else None)
    return render_template("register/plan.html", plan=plan_row, advice=advice,
                           exception_labels=PLAN_EXCEPTION_LABELS,
                           can_edit=role in STAFF, final_grades=grades,
                           audits=plan_audits(plan_row.id, names=role in AUDITOR_NAMES_SHOWN,
                                              viewer_id=current_user.id),
                           letters=letters)


@bp.route("/plans/<int:plan_id>/exception", methods=["GET", "POST"])
@roles(*STAFF)
def plan_exception(plan_id: int) -> ResponseReturnValue:
    """Question page, then a check step, then the change is saved and audit-logged."""
    plan_row = get_visible_or_404(Plan, plan_id)
    form = PlanExceptionForm()
    if request.method == "GET":
        form.exception.data = request.args.get("exception", plan_row.exception or "")
        form.exception_note.data = request.args.get("exception_note",
                                                    plan_row.exception_note or "")
    elif form.validate_on_submit():
        if form.confirmed.data != "yes":
            form.confirmed.data = "yes"
            return render_template("register/plan_exception_check.html", plan=plan_row,
                                   form=form, exception_labels=PLAN_EXCEPTION_LABELS)
        try:
            changed = set_plan_exception(plan_row, form.exception.data,
                                         form.exception_note.data, actor_id=current_user.id)
        except RegisterError as exc:
            show_on_form(form, exc, "exception")
        else:
            flash("The statutory exception has been saved." if changed
                  else "Nothing changed: the plan already had these answers.", "success")
            return redirect(url_for("register.plan", plan_id=plan_row.id))
    form.exception.data = form.exception.data or ""
    return render_template("register/plan_exception.html", plan=plan_row, form=form)


@bp.route("/advice/<int:advice_id>", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def advice(advice_id: int) -> ResponseReturnValue:
    row = get_visible_or_404(Advice, advice_id)
    form = None
    if current_user.role in STAFF:
        form = AdviceExceptionForm(obj=None if request.method == "POST" else row)
        form.exception.data = form.exception.data or ""
        if request.method == "POST" and form.validate_on_submit():
            changed = set_advice_exception(row, form.exception.data, form.exception_note.data,
                                           actor_id=current_user.id)
            if changed:
                flash("The statutory exception has been saved.", "success")
            return redirect(url_for("register.advice", advice_id=row.id))
    elif request.method == "POST":
        abort(404)
    notes = panel_notes_for_advice(row.id) if current_user.role in (
        Role.AGENCY_LEAD, *STAFF) else None
    return render_template("register/advice.html", advice=row, form=form,
                           exception_labels=ADVICE_EXCEPTION_LABELS, panel_notes=notes)
