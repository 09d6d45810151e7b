"""Panels for the manager: create them, choose members, assign the sample, reassign by hand.

Every refusal answers 400, so the request keeps nothing it wrote (qa_app/transactions.py);
the session is rolled back first where the page is shown again, so it shows what is stored.
"""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from qa_app.audits.cycles.queries import open_cycles
from qa_app.audits.errors import PanelError
from qa_app.audits.panels import queries
from qa_app.audits.panels.assignment import assign_panel, reassign
from qa_app.audits.panels.forms import (
    ActionForm,
    MemberForm,
    PanelDetailsForm,
    PanelForm,
    ReassignForm,
    auditor_choices,
    chair_choices,
    cycle_choices,
    member_choices,
    reassign_choices,
)
from qa_app.audits.panels.models import Panel
from qa_app.audits.panels.operations import (
    add_member,
    change_panel,
    create_panel,
    delete_panel,
    remove_member,
)
from qa_app.audits.scoring.models import Audit
from qa_app.audits.subjects import subject_of
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.rules import show_on_form

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.route("/")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    return render_template("panels/index.html", panels=queries.all_panels(),
                           counts=queries.audit_counts(),
                           submitted=queries.audit_counts(submitted=True))


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def create() -> ResponseReturnValue:
    form = PanelForm()
    form.cycle_id.choices = cycle_choices(open_cycles())
    form.chair_id.choices = chair_choices(queries.active_users(Role.PANEL_CHAIR))
    form.auditor_ids.choices = auditor_choices(queries.active_users(Role.AUDITOR))
    if form.validate_on_submit():
        try:
            panel = create_panel(
                cycle_id=int(form.cycle_id.data), name=form.name.data or "",
                chair_id=int(form.chair_id.data),
                auditor_ids=[int(v) for v in form.auditor_ids.data or []],
                meeting_date=form.meeting_date.data, actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            show_on_form(form, exc, field="auditor_ids")
        else:
            flash(f"Panel {panel.name} created", "success")
            return redirect(url_for("panels.show", panel_id=panel.id))
    return render_template("panels/new.html", form=form), 400 if form.errors else 200


@bp.route("/<int:panel_id>")
@roles(*STAFF)
def show(panel_id: int) -> ResponseReturnValue:
    return _show_page(get_visible_or_404(Panel, panel_id))


@bp.route("/<int:panel_id>/change", methods=["GET", "POST"])
@roles(*STAFF)
def change(panel_id: int) -> ResponseReturnValue:
    panel = get_visible_or_404(Panel, panel_id)
    form = PanelDetailsForm(obj=None if request.method == "POST" else panel)
    if request.method == "GET":
        form.chair_id.data = str(panel.chair_id)
    form.chair_id.choices = chair_choices(queries.active_users(Role.PANEL_CHAIR))
    if form.validate_on_submit():
        try:
            changed = change_panel(panel, name=form.name.data, chair_id=int(form.chair_id.data),
                                   meeting_date=form.meeting_date.data,
                                   actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            show_on_form(form, exc, field="name")
            panel = get_visible_or_404(Panel, panel_id)
        else:
            flash("Panel details saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("panels.show", panel_id=panel_id))
    return render_template("panels/change.html", panel=panel, form=form), \
        400 if form.errors else 200


@bp.route("/<int:panel_id>/remove", methods=["GET", "POST"])
@roles(*STAFF)
def remove_panel(panel_id: int) -> ResponseReturnValue:
    panel = get_visible_or_404(Panel, panel_id)
    form = ActionForm()
    problem = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        name = panel.name
        try:
            removed = delete_panel(panel, actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            problem = str(exc)
            panel = get_visible_or_404(Panel, panel_id)
        else:
            flash(f"Panel {name} removed, with {removed} unstarted audit"
                  f"{'s' if removed != 1 else ''}", "success")
            return redirect(url_for("panels.index"))
    return render_template("panels/remove.html", panel=panel, form=form, problem=problem,
                           assigned=queries.assigned_count(panel),
                           started=queries.started_audits(panel)), 400 if problem else 200


@bp.route("/<int:panel_id>/members", methods=["POST"])
@roles(*STAFF)
def add(panel_id: int) -> ResponseReturnValue:
    panel = get_visible_or_404(Panel, panel_id)
    form = MemberForm()
    form.user_id.choices = _member_choices(panel)
    if not form.validate_on_submit():
        return _show_page(panel, member_form=form, status=400)
    try:
        add_member(panel, int(form.user_id.data), actor_id=current_user.id)
    except PanelError as exc:
        db.session.rollback()
        return _show_page(get_visible_or_404(Panel, panel_id), problem=str(exc), status=400)
    flash("Auditor added to the panel", "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.route("/<int:panel_id>/members/<int:user_id>/remove", methods=["POST"])
@roles(*STAFF)
def remove(panel_id: int, user_id: int) -> ResponseReturnValue:
    panel = get_visible_or_404(Panel, panel_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        remove_member(panel, user_id, actor_id=current_user.id)
    except PanelError as exc:
        db.session.rollback()
        return _show_page(get_visible_or_404(Panel, panel_id), problem=str(exc), status=400)
    flash("Auditor removed from the panel", "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.route("/<int:panel_id>/assign", methods=["POST"])
@roles(*STAFF)
def assign(panel_id: int) -> ResponseReturnValue:
    panel = get_visible_or_404(Panel, panel_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = assign_panel(panel, actor_id=current_user.id)
    except PanelError as exc:
        db.session.rollback()
        return _show_page(get_visible_or_404(Panel, panel_id), problem=str(exc), status=400)
    message = f"{len(result.created)} audits assigned"
    if result.skipped:
        message += f"; {len(result.skipped)} subjects skipped: " + "; ".join(result.skipped[:3])
    flash(message, "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.route("/<int:panel_id>/audits/<int:audit_id>/reassign", methods=["GET", "POST"])
@roles(*STAFF)
def reassign_audit(panel_id: int, audit_id: int) -> ResponseReturnValue:
    panel = get_visible_or_404(Panel, panel_id)
    audit = get_visible_or_404(Audit, audit_id)
    if audit.panel_id != panel.id:
        abort(404)
    form = ReassignForm()
    candidates = queries.eligible_auditors(panel, audit)
    form.auditor_id.choices = reassign_choices(candidates, queries.all_loads(panel.cycle_id))
    if form.validate_on_submit():
        try:
            reassign(audit, int(form.auditor_id.data), actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            show_on_form(form, exc, field="auditor_id")
        else:
            flash("Audit reassigned", "success")
            return redirect(url_for("panels.show", panel_id=panel_id))
        audit = get_visible_or_404(Audit, audit_id)
    return render_template("panels/reassign.html", panel=panel, audit=audit,
                           subject=subject_of(audit), form=form,
                           candidates=candidates), 400 if form.errors else 200


def _show_page(panel: Panel, *, member_form: MemberForm | None = None,
               problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    audits = queries.panel_audits(panel)
    rows: dict[tuple[str, int], list[Audit]] = {}
    for audit in audits:
        key = ("plan", audit.plan_id) if audit.plan_id else ("advice", audit.advice_id)
        rows.setdefault(key, []).append(audit)  # type: ignore[arg-type]
    loads = Counter(a.auditor_id for a in audits)
    done = Counter(a.auditor_id for a in audits if a.status == "submitted")
    if member_form is None:
        member_form = MemberForm(formdata=None)
        member_form.user_id.choices = _member_choices(panel)
    sampled, short = queries.subjects_without_auditors(panel.cycle_id)
    return render_template(
        "panels/show.html", panel=panel, rows=list(rows.values()), loads=loads, done=done,
        form=member_form, action_form=ActionForm(formdata=None), sampled=sampled,
        short=short, problem=problem, subject_of=subject_of,
    ), status


def _member_choices(panel: Panel) -> list[SelectChoice]:
    on_panel = {m.user_id for m in panel.members}
    return member_choices([u for u in queries.active_users(Role.AUDITOR)
                           if u.id not in on_panel])
