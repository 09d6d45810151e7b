"""Panels for the manager: create them, choose members, assign the sample, reassign by hand."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from qa_app.audits.models import Audit, Cycle, Panel
from qa_app.audits.panel_changes import change_panel, delete_panel, started_audits
from qa_app.audits.panels import (
    PanelError,
    add_member,
    assign_panel,
    create_panel,
    eligible_auditors,
    reassign,
    remove_member,
    subject_of,
    subjects_without_auditors,
)
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.form_fields import GovDateField
from qa_app.register.models import Advice

bp = Blueprint("panels", __name__, url_prefix="/panels")


class MeetingDateField(GovDateField):
    def message(self) -> str:
        return "Enter the meeting date as a real date, for example 27 3 2026"


class PanelForm(FlaskForm):
    cycle_id = SelectField("Cycle", widget=GovSelect(),
                           validators=[DataRequired(message="Choose a cycle")])
    name = StringField("Panel name", widget=GovTextInput(), validators=[
        DataRequired(message="Enter a name for the panel"),
        Length(max=120, message="The panel name must be 120 characters or fewer")])
    chair_id = SelectField("Chair", widget=GovSelect(),
                           validators=[DataRequired(message="Choose the panel chair")])
    auditor_ids = SelectMultipleField(
        "Auditors", widget=GovCheckboxesInput(),
        validators=[DataRequired(message="Choose at least two auditors")],
        invalid_choice_message="Choose auditors from the list")
    meeting_date = MeetingDateField("Meeting date (optional)", widget=GovDateInput(),
                                    format="%d %m %Y")
    submit = SubmitField("Create panel", widget=GovSubmitInput())


class PanelDetailsForm(FlaskForm):
    name = PanelForm.name
    chair_id = PanelForm.chair_id
    meeting_date = PanelForm.meeting_date
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class MemberForm(FlaskForm):
    user_id = SelectField("Auditor to add", widget=GovSelect(),
                          validators=[DataRequired(message="Choose an auditor to add")])
    add = SubmitField("Add to panel", widget=GovSubmitInput())


class ReassignForm(FlaskForm):
    auditor_id = SelectField("New auditor", widget=GovSelect(),
                             validators=[DataRequired(message="Choose the new auditor")])
    submit = SubmitField("Reassign", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """CSRF only: buttons that post without fields."""


@bp.route("/")
@roles(*STAFF)
def index():  # noqa: ANN201
    panels = db.session.execute(
        select(Panel).options(selectinload(Panel.cycle), selectinload(Panel.chair),
                              selectinload(Panel.members))
        .order_by(Panel.created_at.desc(), Panel.id.desc())
    ).scalars().all()
    counts = dict(db.session.execute(
        select(Audit.panel_id, func.count()).where(Audit.panel_id.is_not(None))
        .group_by(Audit.panel_id)).all())
    submitted = dict(db.session.execute(
        select(Audit.panel_id, func.count())
        .where(Audit.panel_id.is_not(None), Audit.status == "submitted")
        .group_by(Audit.panel_id)).all())
    return render_template("panels/index.html", panels=panels, counts=counts,
                           submitted=submitted)


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def create():  # noqa: ANN201
    form = PanelForm()
    _panel_choices(form)
    if form.validate_on_submit():
        try:
            panel = create_panel(
                cycle_id=int(form.cycle_id.data), name=form.name.data or "",
                chair_id=int(form.chair_id.data),
                auditor_ids=[int(v) for v in form.auditor_ids.data or []],
                meeting_date=form.meeting_date.data, actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            field = form._fields.get(exc.field or "", form.auditor_ids)
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"Panel {panel.name} created", "success")
            return redirect(url_for("panels.show", panel_id=panel.id))
    return render_template("panels/new.html", form=form), 400 if form.errors else 200


@bp.route("/<int:panel_id>")
@roles(*STAFF)
def show(panel_id: int):  # noqa: ANN201
    return _show_page(get_visible_or_404(Panel, panel_id))


@bp.route("/<int:panel_id>/change", methods=["GET", "POST"])
@roles(*STAFF)
def change(panel_id: int):  # noqa: ANN201
    panel = get_visible_or_404(Panel, panel_id)
    form = PanelDetailsForm(obj=None if request.method == "POST" else panel)
    if request.method == "GET":
        form.chair_id.data = str(panel.chair_id)
    form.chair_id.choices = _chair_choices()
    if form.validate_on_submit():
        try:
            changed = change_panel(panel, name=form.name.data, chair_id=int(form.chair_id.data),
                                   meeting_date=form.meeting_date.data,
                                   actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            field = form._fields.get(exc.field or "", form.name)
            field.errors = [*field.errors, str(exc)]
            panel = get_visible_or_404(Panel, panel_id)
        else:
            db.session.commit()
            flash("Panel details saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("panels.show", panel_id=panel_id))
    return render_template("panels/change.html", panel=panel, form=form), \
        400 if form.errors else 200


@bp.route("/<int:panel_id>/remove", methods=["GET", "POST"])
@roles(*STAFF)
def remove_panel(panel_id: int):  # noqa: ANN201
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
            db.session.commit()
            flash(f"Panel {name} removed, with {removed} unstarted audit"
                  f"{'s' if removed != 1 else ''}", "success")
            return redirect(url_for("panels.index"))
    assigned = db.session.scalar(
        select(func.count()).select_from(Audit).where(Audit.panel_id == panel.id)) or 0
    return render_template("panels/remove.html", panel=panel, form=form, problem=problem,
                           assigned=assigned, started=started_audits(panel)), \
        400 if problem else 200


@bp.route("/<int:panel_id>/members", methods=["POST"])
@roles(*STAFF)
def add(panel_id: int):  # noqa: ANN201
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
    db.session.commit()
    flash("Auditor added to the panel", "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.route("/<int:panel_id>/members/<int:user_id>/remove", methods=["POST"])
@roles(*STAFF)
def remove(panel_id: int, user_id: int):  # noqa: ANN201
    panel = get_visible_or_404(Panel, panel_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        remove_member(panel, user_id, actor_id=current_user.id)
    except PanelError as exc:
        db.session.rollback()
        return _show_page(get_visible_or_404(Panel, panel_id), problem=str(exc), status=400)
    db.session.commit()
    flash("Auditor removed from the panel", "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.route("/<int:panel_id>/assign", methods=["POST"])
@roles(*STAFF)
def assign(panel_id: int):  # noqa: ANN201
    panel = get_visible_or_404(Panel, panel_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = assign_panel(panel, actor_id=current_user.id)
    except PanelError as exc:
        db.session.rollback()
        return _show_page(get_visible_or_404(Panel, panel_id), problem=str(exc), status=400)
    db.session.commit()
    message = f"{len(result.created)} audits assigned"
    if result.skipped:
        message += f"; {len(result.skipped)} subjects skipped: " + "; ".join(result.skipped[:3])
    flash(message, "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.route("/<int:panel_id>/audits/<int:audit_id>/reassign", methods=["GET", "POST"])
@roles(*STAFF)
def reassign_audit(panel_id: int, audit_id: int):  # noqa: ANN201
    panel = get_visible_or_404(Panel, panel_id)
    audit = get_visible_or_404(Audit, audit_id)
    if audit.panel_id != panel.id:
        abort(404)
    form = ReassignForm()
    loads = Counter(dict(db.session.execute(
        select(Audit.auditor_id, func.count()).where(Audit.cycle_id == panel.cycle_id)
        .group_by(Audit.auditor_id)).all()))
    candidates = eligible_auditors(panel, audit)
    form.auditor_id.choices = [SelectChoice("", "Choose an auditor")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.agency.name if u.agency else ''}), "
                     f"{loads[u.id]} audits") for u in candidates]
    if form.validate_on_submit():
        try:
            reassign(audit, int(form.auditor_id.data), actor_id=current_user.id)
        except PanelError as exc:
            db.session.rollback()
            form.auditor_id.errors = [*form.auditor_id.errors, str(exc)]
        else:
            db.session.commit()
            flash("Audit reassigned", "success")
            return redirect(url_for("panels.show", panel_id=panel_id))
        audit = get_visible_or_404(Audit, audit_id)
    return render_template("panels/reassign.html", panel=panel, audit=audit,
                           subject=subject_of(audit), form=form,
                           candidates=candidates), 400 if form.errors else 200


def _show_page(panel: Panel, *, member_form: MemberForm | None = None,
               problem: str | None = None, status: int = 200):  # noqa: ANN202
    audits = db.session.execute(
        select(Audit).where(Audit.panel_id == panel.id)
        .options(selectinload(Audit.plan), selectinload(Audit.advice).selectinload(Advice.agency),
                 selectinload(Audit.auditor))
        .order_by(Audit.plan_id.is_(None), Audit.plan_id, Audit.advice_id, Audit.id)
    ).scalars().all()
    rows: dict[tuple[str, int], list[Audit]] = {}
    for audit in audits:
        key = ("plan", audit.plan_id) if audit.plan_id else ("advice", audit.advice_id)
        rows.setdefault(key, []).append(audit)
    loads = Counter(a.auditor_id for a in audits)
    done = Counter(a.auditor_id for a in audits if a.status == "submitted")
    if member_form is None:
        member_form = MemberForm(formdata=None)
        member_form.user_id.choices = _member_choices(panel)
    sampled, short = subjects_without_auditors(panel.cycle_id)
    return render_template(
        "panels/show.html", panel=panel, rows=list(rows.values()), loads=loads, done=done,
        form=member_form, action_form=ActionForm(formdata=None), sampled=sampled,
        short=short, problem=problem, subject_of=subject_of,
    ), status


def _panel_choices(form: PanelForm) -> None:
    cycles = db.session.execute(
        select(Cycle).where(Cycle.status == "open").order_by(Cycle.start_date.desc())
    ).scalars().all()
    form.cycle_id.choices = [SelectChoice("", "Choose a cycle")] + [
        SelectChoice(str(c.id), f"{c.name} ({c.academic_year})") for c in cycles]
    form.chair_id.choices = _chair_choices()
    form.auditor_ids.choices = [
        SelectChoice(str(u.id), f"{u.display_name}, {u.agency.name if u.agency else ''}")
        for u in _users(Role.AUDITOR)]


def _chair_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Choose the chair")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.email})") for u in _users(Role.PANEL_CHAIR)]


def _member_choices(panel: Panel) -> list[SelectChoice]:
    on_panel = {m.user_id for m in panel.members}
    return [SelectChoice("", "Choose an auditor")] + [
        SelectChoice(str(u.id), f"{u.display_name}, {u.agency.name if u.agency else ''}")
        for u in _users(Role.AUDITOR) if u.id not in on_panel]


def _users(role: Role) -> list[User]:
    return list(db.session.execute(
        select(User).where(User.role == role, User.active.is_(True))
        .order_by(User.display_name, User.email)
    ).scalars())

