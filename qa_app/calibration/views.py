"""Calibration pages. The manager starts a round and reads the results; each auditor taking
part grades blind and then sees only their own comparison; the manager or the round's chair
records the reference grade, checks it, and closes the round.

Blindness is enforced by the record filters (qa_app/calibration/models.py): an auditor's
queries only ever return their own grades, and the reference only once the round is closed."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role, User
from qa_app.calibration import operations, queries
from qa_app.calibration.forms import (
    CONFIRMED,
    NO_CHAIR,
    ConfirmForm,
    RoundForm,
    reference_form_class,
)
from qa_app.calibration.models import CalibrationRound
from qa_app.extensions import db
from qa_app.rules import RuleError, show_on_form
from qa_app.standards.models import RubricVersion

bp = Blueprint("calibration", __name__, url_prefix="/calibration")

UNCHECKED = "Nothing was saved: confirm from the check page."


@bp.route("/")
@roles(Role.AUDITOR, Role.PANEL_CHAIR, *STAFF)
def index() -> ResponseReturnValue:
    rows = queries.rounds()
    mine = {}
    if current_user.role == Role.AUDITOR:
        mine = {r.id: queries.participant(r.id, current_user.id) for r in rows}
    titles = {r.id: queries.subject_facts(r).title for r in rows}
    return render_template("calibration/index.html", rounds=rows, mine=mine, titles=titles,
                           staff=current_user.role in STAFF)


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def new() -> ResponseReturnValue:
    form = RoundForm()
    auditors = queries.active_auditors()
    versions = queries.rubric_versions()
    form.rubric_version_id.choices = [("", "Choose a practice standard")] + [
        (str(v.id), f"{v.title}, version {v.version}") for v in versions]
    form.chair_id.choices = [(NO_CHAIR, "The quality improvement manager")] + [
        (str(u.id), u.display_name) for u in queries.chairs()]
    form.auditor_ids.choices = [
        (str(u.id), u.display_name + (f" ({u.agency.name})" if u.agency else ""))
        for u in auditors]
    if request.method == "GET":
        form.auditor_ids.data = [str(u.id) for u in auditors]
        form.chair_id.data = NO_CHAIR
    if form.validate_on_submit():
        subject = queries.find_subject(form.subject_ref.data or "")
        version = db.session.get(RubricVersion, int(form.rubric_version_id.data))
        chair = None if form.chair_id.data == NO_CHAIR else int(form.chair_id.data)
        if subject is None:
            form.subject_ref.errors.append(
                "No plan or advice in the register has that reference")
        elif version is not None:
            ids = [int(a) for a in form.auditor_ids.data or []]
            try:
                row = operations.create_round(
                    name=form.name.data or "", subject=subject, version=version,
                    chair_id=chair, auditor_ids=ids, actor_id=current_user.id,
                    writer_agency_id=subject.agency_id,
                    auditor_agencies={u.id: u.agency_id for u in auditors})
            except RuleError as error:
                db.session.rollback()
                show_on_form(form, error)
            else:
                flash(f"Calibration round started: {len(ids)} auditors can now grade it",
                      "success")
                return redirect(url_for("calibration.show", round_id=row.id))
    status = 400 if request.method == "POST" else 200
    return render_template("calibration/new.html", form=form), status


@bp.route("/<int:round_id>")
@roles(Role.PANEL_CHAIR, *STAFF)
def show(round_id: int) -> ResponseReturnValue:
    """The round as the manager (with names and each auditor's results) or its chair (how
    many gave each grade, never who) sees it."""
    row = _round(round_id)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    staff = current_user.role in STAFF
    results = []
    if staff and not row.is_open:
        results = [(m, queries.comparison(row, layout, m.auditor_id))
                   for m in row.participants if m.submitted_at is not None]
    return render_template(
        "calibration/show.html", round=row, facts=facts, layout=layout, staff=staff,
        counts=queries.grade_counts(row.id), agreed=queries.references(row.id),
        results=results, submitted=sum(1 for m in row.participants if m.submitted_at))


@bp.route("/<int:round_id>/grade", methods=["GET", "POST"])
@roles(Role.AUDITOR)
def grade(round_id: int) -> ResponseReturnValue:
    """The live scoring form, without the overall grade: the round compares criteria."""
    row, member = _taking_part(round_id)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    if not row.is_open or member.submitted_at is not None:
        return redirect(url_for("calibration.mine", round_id=round_id))
    if request.method == "GET":
        form = layout.form_class(formdata=None)
        for criterion_id, stored in queries.own_grades(row.id, current_user.id).items():
            if f"grade_{criterion_id}" in form:
                form[f"grade_{criterion_id}"].data = (
                    None if stored.grade is None else str(stored.grade))
                form[f"evidence_{criterion_id}"].data = stored.evidence or ""
        return render_template("calibration/grade.html", round=row, facts=facts,
                               layout=layout, form=form)
    form = layout.form_class()
    form.validate()
    form.check(request.form.get("action") == "check")
    if _problems(form):
        return render_template("calibration/grade.html", round=row, facts=facts,
                               layout=layout, form=form), 400
    entered = form.read()
    try:
        operations.save_grades(row, member, layout, entered.grades, entered.evidence)
    except RuleError as error:
        db.session.rollback()
        show_on_form(form, error)
        return render_template("calibration/grade.html", round=_round(round_id), facts=facts,
                               layout=layout, form=form), 400
    if request.form.get("action") == "check":
        return redirect(url_for("calibration.check_grades", round_id=round_id))
    flash("Draft saved", "success")
    return redirect(url_for("calibration.grade", round_id=round_id))


@bp.route("/<int:round_id>/grade/check", methods=["GET", "POST"])
@roles(Role.AUDITOR)
def check_grades(round_id: int) -> ResponseReturnValue:
    row, member = _taking_part(round_id)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    form = ConfirmForm()
    problem = None
    if request.method == "POST":
        problem = _confirm(form, lambda: operations.submit_grades(row, member, layout))
        if problem is None:
            flash("Your grades are submitted. You will see how they compare with the "
                  "agreed grade once the round closes.", "success")
            return redirect(url_for("calibration.mine", round_id=round_id))
        row, member = _taking_part(round_id)
    elif not row.is_open or member.submitted_at is not None:
        return redirect(url_for("calibration.mine", round_id=round_id))
    form.confirmed.data = CONFIRMED
    return render_template(
        "calibration/check_grades.html", round=row, facts=facts, layout=layout, form=form,
        grades=queries.own_grades(row.id, current_user.id), problem=problem,
    ), 400 if problem else 200


@bp.route("/<int:round_id>/mine")
@roles(Role.AUDITOR)
def mine(round_id: int) -> ResponseReturnValue:
    """The auditor's own grades; once the round closes, beside the agreed grade."""
    row, member = _taking_part(round_id)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    return render_template("calibration/mine.html", round=row, member=member, facts=facts,
                           layout=layout, compared=queries.comparison(row, layout,
                                                                      current_user.id))


@bp.route("/<int:round_id>/auditors/<int:auditor_id>")
@roles(*STAFF)
def auditor(round_id: int, auditor_id: int) -> ResponseReturnValue:
    row = _round(round_id)
    member = queries.participant(row.id, auditor_id)
    if member is None or member.submitted_at is None or row.is_open:
        abort(404)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    return render_template("calibration/mine.html", round=row, member=member, facts=facts,
                           layout=layout, person=db.session.get(User, auditor_id),
                           compared=queries.comparison(row, layout, auditor_id))


@bp.route("/<int:round_id>/reference", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR, *STAFF)
def reference(round_id: int) -> ResponseReturnValue:
    row = _round(round_id)
    _may_agree(row)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    form_class = reference_form_class(layout.rubric, layout.judged)
    if not row.is_open:
        return redirect(url_for("calibration.show", round_id=round_id))
    if request.method == "GET":
        form = form_class(formdata=None)
        for criterion_id, value in queries.references(row.id).items():
            if f"grade_{criterion_id}" in form:
                form[f"grade_{criterion_id}"].data = str(value)
    else:
        form = form_class()
        if form.validate_on_submit():
            grades = form.grades()
            for criterion in layout.judged:
                if grades[criterion.id] is None:
                    form[f"grade_{criterion.id}"].errors.append(
                        f"Select the agreed grade for {criterion.title}")
            if not any(form.errors.values()):
                try:
                    operations.save_reference(row, layout, grades, current_user.id)
                except RuleError as error:
                    db.session.rollback()
                    show_on_form(form, error)
                else:
                    return redirect(url_for("calibration.check_reference", round_id=round_id))
    status = 400 if request.method == "POST" else 200
    return render_template("calibration/reference.html", round=row, facts=facts, layout=layout,
                           form=form, counts=queries.grade_counts(row.id),
                           submitted=sum(1 for m in row.participants if m.submitted_at)), status


@bp.route("/<int:round_id>/reference/check", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR, *STAFF)
def check_reference(round_id: int) -> ResponseReturnValue:
    """Check the agreed grades, then close the round."""
    row = _round(round_id)
    _may_agree(row)
    facts = queries.subject_facts(row)
    layout = queries.layout_of(row, facts)
    form = ConfirmForm()
    problem = None
    if request.method == "POST":
        problem = _confirm(form, lambda: operations.close_round(row, layout, current_user.id))
        if problem is None:
            flash("The round is closed. Each auditor can now see how their grades compare "
                  "with the agreed grade.", "success")
            return redirect(url_for("calibration.show", round_id=round_id))
        row = _round(round_id)
    elif not row.is_open:
        return redirect(url_for("calibration.show", round_id=round_id))
    form.confirmed.data = CONFIRMED
    waiting = sum(1 for m in row.participants if m.submitted_at is None)
    return render_template(
        "calibration/check_reference.html", round=row, facts=facts, layout=layout, form=form,
        agreed=queries.references(row.id), waiting=waiting, problem=problem,
    ), 400 if problem else 200


@bp.route("/consistency")
@roles(*STAFF)
def consistency() -> ResponseReturnValue:
    """Leniency per auditor, drift across rounds, and live agreement by criterion."""
    year = request.args.get("year") or None
    years = queries.academic_years()
    if year not in years:
        year = None
    closed, people = queries.drift()
    return render_template("calibration/consistency.html", closed=closed, people=people,
                           agreement=queries.live_agreement(year), years=years, year=year,
                           spark=queries.spark_points, spark_width=queries.SPARK_WIDTH,
                           spark_height=queries.SPARK_HEIGHT)


IGNORED = frozenset({"override", "override_grade", "override_reason", "row_version"})
"""Live scoring fields a calibration does not use (it compares criteria, not overall grades)."""


def _problems(form: object) -> bool:
    return bool(form.form_errors) or any(  # type: ignore[attr-defined]
        field.errors for name, field in form._fields.items()  # type: ignore[attr-defined]
        if name not in IGNORED)


def _confirm(form: ConfirmForm, act: Callable[[], object]) -> str | None:
    """A check page's confirmation: `act` once confirmed, and None when it is done; otherwise
    the problem to show on the page again (nothing is kept)."""
    if not form.validate_on_submit():
        abort(400)
    if form.confirmed.data != CONFIRMED:
        return UNCHECKED
    try:
        act()
    except RuleError as error:
        db.session.rollback()
        return str(error)
    return None


def _round(round_id: int) -> CalibrationRound:
    return get_visible_or_404(CalibrationRound, round_id)


def _taking_part(round_id: int) -> tuple[CalibrationRound, object]:
    row = _round(round_id)
    member = queries.participant(row.id, current_user.id)
    if member is None:
        abort(404)
    return row, member


def _may_agree(row: CalibrationRound) -> None:
    """The manager, or the chair named for the round (others cannot even see it)."""
    if current_user.role == Role.PANEL_CHAIR and row.chair_id != current_user.id:
        abort(404)
