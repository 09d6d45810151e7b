"""The chair's moderation queue, side-by-side comparison, final grades and reopening audits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from qa_app.audits.models import Audit, Panel
from qa_app.audits.moderation import (
    REASON_MAX,
    ModerationError,
    SubjectReview,
    chaired_panels,
    finalise_agreed,
    moderate,
    reviews_for,
)
from qa_app.audits.scoring_operations import ScoringError, final_grade_for, reopen
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

STATES = ("disagree", "agreed", "waiting", "finalised")


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "Why are you reopening this audit?", widget=GovTextArea(),
        validators=[DataRequired(message="Enter the reason for reopening this audit"),
                    Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} "
                           "characters or fewer")])
    submit = SubmitField("Reopen audit", widget=GovSubmitInput())


class FinaliseForm(FlaskForm):
    """CSRF only; the subjects shown are posted as `subject` values."""


@bp.route("/")
@roles(Role.PANEL_CHAIR, *STAFF)
def index():  # noqa: ANN201
    chairing = current_user.role == Role.PANEL_CHAIR
    panels = chaired_panels(current_user.id if chairing else None)
    summary = []
    for panel in panels:
        counts = dict.fromkeys(STATES, 0)
        for review in reviews_for(panel):
            counts[review.state] += 1
        summary.append((panel, counts))
    return render_template("moderation/index.html", summary=summary, chairing=chairing)


@bp.route("/panels/<int:panel_id>")
@roles(Role.PANEL_CHAIR, *STAFF)
def panel(panel_id: int):  # noqa: ANN201
    row = _panel_or_404(panel_id)
    reviews = reviews_for(row)
    grouped = {state: [r for r in reviews if r.state == state] for state in STATES}
    return render_template("moderation/panel.html", panel=row, grouped=grouped,
                           can_change=_can_change(row), form=FinaliseForm(formdata=None))


@bp.route("/panels/<int:panel_id>/finalise-agreed", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def finalise(panel_id: int):  # noqa: ANN201
    row = _panel_or_404(panel_id)
    if not FinaliseForm().validate_on_submit():
        abort(400)
    keys = [k for k in request.form.getlist("subject") if k.count(":") == 1]
    made = finalise_agreed(row, keys, actor_id=current_user.id)
    db.session.commit()
    skipped = len(set(keys)) - len(made)
    message = f"{len(made)} agreed grade{'s' if len(made) != 1 else ''} finalised"
    if skipped > 0:
        message += f"; {skipped} changed since the page was shown and were left for you to check"
    flash(message, "success")
    return redirect(url_for("moderation.panel", panel_id=panel_id))


@bp.route("/panels/<int:panel_id>/<any(plan, advice):kind>/<int:subject_id>")
@roles(Role.PANEL_CHAIR, *STAFF)
def subject(panel_id: int, kind: str, subject_id: int):  # noqa: ANN201
    review = _review_or_404(panel_id, kind, subject_id)
    form = _moderation_form(review, formdata=None)
    return _subject_page(review, form)


@bp.route("/panels/<int:panel_id>/<any(plan, advice):kind>/<int:subject_id>", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def decide(panel_id: int, kind: str, subject_id: int):  # noqa: ANN201
    review = _review_or_404(panel_id, kind, subject_id)
    form = _moderation_form(review)
    if form.validate_on_submit():
        criteria = {name.removeprefix("criterion_"): int(form[name].data)
                    for name in form._fields if name.startswith("criterion_")}
        try:
            moderate(review, int(form.grade.data), criteria, form.reason.data or "",
                     actor_id=current_user.id)
        except ModerationError as exc:
            db.session.rollback()
            target = form[exc.field] if exc.field and exc.field in form else form.grade
            target.errors = [*target.errors, str(exc)]
            review = _review_or_404(panel_id, kind, subject_id)
        else:
            db.session.commit()
            flash(f"Final grade for {review.subject.ref} saved", "success")
            return redirect(url_for("moderation.panel", panel_id=panel_id))
    return _subject_page(review, form, status=400)


@bp.route("/audits/<int:audit_id>/reopen", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR)
def reopen_audit(audit_id: int):  # noqa: ANN201
    audit = get_visible_or_404(Audit, audit_id)
    if audit.panel_id is None:
        abort(404)
    panel_row = _panel_or_404(audit.panel_id)
    form = ReopenForm()
    problem = None
    if audit.status != "submitted":
        problem = "This audit is not submitted, so there is nothing to reopen."
    elif final_grade_for(audit) is not None:
        problem = ("The final grade for this subject is already set: change the final grade "
                   "instead.")
    elif form.validate_on_submit():
        try:
            reopen(audit, form.reason.data or "", actor_id=current_user.id)
        except ScoringError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(exc)]
        else:
            db.session.commit()
            flash("Audit reopened: the auditor can change it and submit it again", "success")
            kind = "plan" if audit.plan_id is not None else "advice"
            return redirect(url_for("moderation.subject", panel_id=panel_row.id, kind=kind,
                                    subject_id=audit.plan_id or audit.advice_id))
    status = 400 if form.errors else 200
    return render_template("moderation/reopen.html", audit=audit, panel=panel_row, form=form,
                           problem=problem), status


def _moderation_form(review: SubjectReview, formdata: Any = ...) -> FlaskForm:
    """Radios for the overall grade and for each criterion the auditors graded differently."""
    rubric = review.rubric
    scale = [SelectChoice(str(level.value), level.label) for level in rubric.scale]
    lower = review.lower_grades()
    final = review.final
    existing = {c.criterion_id: c.grade for c in final.criteria} if final else {}
    attrs: dict[str, Any] = {}
    for cid in review.differing_criteria():
        criterion = rubric.criterion(cid)
        attrs[f"criterion_{cid}"] = RadioField(
            f"Final grade for {criterion.title}", choices=scale, widget=GovRadioInput(),
            default=str(existing.get(cid, lower[cid])),
            validators=[InputRequired(message=f"Choose the final grade for {criterion.title}")],
            invalid_choice_message="Choose a grade from the list")
    attrs["grade"] = RadioField(
        "Final overall grade", choices=scale, widget=GovRadioInput(),
        default=str(final.grade) if final else None,
        validators=[InputRequired(message="Choose the final overall grade")],
        invalid_choice_message="Choose the final overall grade from the list")
    attrs["reason"] = TextAreaField(
        "Reason for the final grade", widget=GovTextArea(),
        validators=[DataRequired(message="Enter the reason for this final grade"),
                    Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} "
                           "characters or fewer")])
    form_class = type("ModerationForm", (FlaskForm,), attrs)
    return form_class() if formdata is ... else form_class(formdata=formdata)


def _subject_page(review: SubjectReview, form: FlaskForm, status: int = 200):  # noqa: ANN202
    rubric = review.rubric
    limiting = {c.id for c in rubric.criteria if c.limiting}
    return render_template(
        "moderation/subject.html", review=review, rubric=rubric, grades=review.grades(),
        evidence=[{s.criterion_id: s.evidence for s in a.scores} for a in review.audits],
        limiting=limiting, differing=set(review.differing_criteria()),
        form=form if _can_change(review.panel) and review.all_submitted else None,
        moderation_form=form, can_change=_can_change(review.panel),
    ), status


def _can_change(panel: Panel) -> bool:
    return current_user.role == Role.PANEL_CHAIR and panel.chair_id == current_user.id


def _panel_or_404(panel_id: int) -> Panel:
    """Chairs see only the panels they chair; managers and admins see every panel."""
    row: Panel = get_visible_or_404(Panel, panel_id)
    if current_user.role == Role.PANEL_CHAIR and row.chair_id != current_user.id:
        abort(404)
    return row


def _review_or_404(panel_id: int, kind: str, subject_id: int) -> SubjectReview:
    reviews = reviews_for(_panel_or_404(panel_id), (kind, subject_id))
    if not reviews:
        abort(404)
    return reviews[0]
