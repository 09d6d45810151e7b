"""The chair's moderation queue, side-by-side comparison, final grades and reopening audits.

A final grade is locked and feeds the figures, so it is saved only from a check page: a post
without the check's confirmation is refused and writes nothing. A decision commits when the
page answers below 400 (qa_app/transactions.py); a refused one is rolled back before the
subject is shown again as it is stored."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from qa_app.audits.errors import ModerationError, ScoringError
from qa_app.audits.moderation.forms import (
    CONFIRMED,
    FinaliseForm,
    ReopenForm,
    moderation_form,
)
from qa_app.audits.moderation.operations import (
    REASON_MAX,
    check_decision,
    finalise_agreed,
    moderate,
)
from qa_app.audits.moderation.queries import SubjectReview, chaired_panels, reviews_for
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.audits.scoring.operations import reopen
from qa_app.audits.scoring.queries import final_grade_for
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.rules import show_on_form

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

STATES = ("disagree", "agreed", "waiting", "finalised")
UNCHECKED_MESSAGE = "Nothing was finalised: check the grades on this page, then finalise them."
UNCHECKED_DECISION = ("Nothing was saved: press Continue to check the final grade, then save "
                      "it from the check page.")


@bp.route("/")
@roles(Role.PANEL_CHAIR, *STAFF)
def index() -> ResponseReturnValue:
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
def panel(panel_id: int) -> ResponseReturnValue:
    row = _panel_or_404(panel_id)
    reviews = reviews_for(row)
    grouped = {state: [r for r in reviews if r.state == state] for state in STATES}
    return render_template("moderation/panel.html", panel=row, grouped=grouped,
                           can_change=_can_change(row))


@bp.route("/panels/<int:panel_id>/finalise-agreed")
@roles(Role.PANEL_CHAIR)
def finalise_check(panel_id: int) -> ResponseReturnValue:
    row = _panel_or_404(panel_id)
    return _finalise_page(row, FinaliseForm(formdata=None, confirmed=CONFIRMED))


@bp.route("/panels/<int:panel_id>/finalise-agreed", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def finalise(panel_id: int) -> ResponseReturnValue:
    row = _panel_or_404(panel_id)
    form = FinaliseForm()
    if not form.validate_on_submit():
        abort(400)
    if form.confirmed.data != CONFIRMED:
        form.confirmed.data = CONFIRMED
        return _finalise_page(row, form, problem=UNCHECKED_MESSAGE, status=400)
    keys = [k for k in request.form.getlist("subject") if k.count(":") == 1]
    made = finalise_agreed(row, keys, actor_id=current_user.id)
    skipped = len(set(keys)) - len(made)
    message = f"{len(made)} agreed grade{'s' if len(made) != 1 else ''} finalised"
    if skipped > 0:
        message += f"; {skipped} changed since the page was shown and were left for you to check"
    flash(message, "success")
    return redirect(url_for("moderation.panel", panel_id=panel_id))


@bp.route("/panels/<int:panel_id>/<any(plan, advice):kind>/<int:subject_id>")
@roles(Role.PANEL_CHAIR, *STAFF)
def subject(panel_id: int, kind: str, subject_id: int) -> ResponseReturnValue:
    review = _review_or_404(panel_id, kind, subject_id)
    form = moderation_form(review, formdata=None)
    return _subject_page(review, form)


@bp.route("/panels/<int:panel_id>/<any(plan, advice):kind>/<int:subject_id>/check",
          methods=["POST"])
@roles(Role.PANEL_CHAIR)
def check_decision_page(panel_id: int, kind: str, subject_id: int) -> ResponseReturnValue:
    """The chair's decision shown back to them before it is saved; "change" returns to the
    form with what they entered."""
    review = _review_or_404(panel_id, kind, subject_id)
    form = moderation_form(review)
    if not form.validate_on_submit():
        return _subject_page(review, form, status=400)
    if request.form.get("action") == "change" or not review.all_submitted:
        return _subject_page(review, form)
    try:
        final_criteria = check_decision(review, int(form.grade.data), _chosen(form),
                                        form.reason.data or "")
    except ModerationError as exc:
        show_on_form(form, exc, field="grade")
        return _subject_page(review, form, status=400)
    form.confirmed.data = CONFIRMED
    rubric = review.rubric
    return render_template(
        "moderation/decide_check.html", review=review, rubric=rubric, form=form,
        final_criteria=final_criteria, differing=set(review.differing_criteria()),
        grade=int(form.grade.data))


@bp.route("/panels/<int:panel_id>/<any(plan, advice):kind>/<int:subject_id>", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def decide(panel_id: int, kind: str, subject_id: int) -> ResponseReturnValue:
    review = _review_or_404(panel_id, kind, subject_id)
    form = moderation_form(review)
    if form.confirmed.data != CONFIRMED:
        return _subject_page(review, form, problem=UNCHECKED_DECISION, status=400)
    if form.validate_on_submit():
        try:
            moderate(review, int(form.grade.data), _chosen(form), form.reason.data or "",
                     actor_id=current_user.id)
        except ModerationError as exc:
            db.session.rollback()
            show_on_form(form, exc, field="grade")
            review = _review_or_404(panel_id, kind, subject_id)
        else:
            flash(f"Final grade for {review.subject.ref} saved", "success")
            return redirect(url_for("moderation.panel", panel_id=panel_id))
    return _subject_page(review, form, status=400)


@bp.route("/audits/<int:audit_id>/reopen", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR)
def reopen_audit(audit_id: int) -> ResponseReturnValue:
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
            show_on_form(form, exc, field="reason")
        else:
            flash("Audit reopened: the auditor can change it and submit it again", "success")
            kind = "plan" if audit.plan_id is not None else "advice"
            return redirect(url_for("moderation.subject", panel_id=panel_row.id, kind=kind,
                                    subject_id=audit.plan_id or audit.advice_id))
    status = 400 if form.errors else 200
    return render_template("moderation/reopen.html", audit=audit, panel=panel_row, form=form,
                           problem=problem, reason_max=REASON_MAX), status


def _chosen(form: FlaskForm) -> dict[str, int]:
    return {name.removeprefix("criterion_"): int(form[name].data)
            for name in form._fields if name.startswith("criterion_")}


def _finalise_page(panel: Panel, form: FinaliseForm, *, problem: str | None = None,
                   status: int = 200) -> ResponseReturnValue:
    reviews = reviews_for(panel)
    grouped = {state: [r for r in reviews if r.state == state] for state in STATES}
    return render_template("moderation/finalise_check.html", panel=panel, grouped=grouped,
                           form=form, problem=problem), status


def _subject_page(review: SubjectReview, form: FlaskForm, *, problem: str | None = None,
                  status: int = 200) -> ResponseReturnValue:
    rubric = review.rubric
    limiting = {c.id for c in rubric.criteria if c.limiting}
    return render_template(
        "moderation/subject.html", review=review, rubric=rubric, grades=review.grades(),
        evidence=[{s.criterion_id: s.evidence for s in a.scores} for a in review.audits],
        limiting=limiting, differing=set(review.differing_criteria()),
        form=form if _can_change(review.panel) and review.all_submitted else None,
        moderation_form=form, can_change=_can_change(review.panel), problem=problem,
        reason_max=REASON_MAX,
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
