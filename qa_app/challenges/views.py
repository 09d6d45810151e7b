"""Challenge pages: the lead raises a challenge (reason, check, confirmation); the panel chair
decides it (outcome, check, saved). Another agency's grade or challenge is a 404. A decision
commits when the page answers below 400 (qa_app/transactions.py); a refused one is rolled
back and the page is shown again with the message."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.moderation.operations import REASON_MAX
from qa_app.audits.scoring.layout import rubric_for
from qa_app.audits.subjects import Subject, subject_label
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.challenges import queries
from qa_app.challenges.forms import (
    CONFIRMED,
    RaiseForm,
    chosen_criteria,
    chosen_grade,
    outcome_form,
)
from qa_app.challenges.models import OPEN, GradeChallenge
from qa_app.challenges.operations import (
    ChallengeError,
    check_outcome,
    decide,
    last_day,
    may_challenge,
    raise_challenge,
    refusal,
    rubric_of,
)
from qa_app.extensions import db
from qa_app.rules import show_on_form

bp = Blueprint("challenges", __name__, url_prefix="/challenges")

UNCHECKED = ("Nothing was saved: press Continue to check your answers, then save from the "
             "check page.")


def add_template_globals(app: Flask) -> None:
    """Counts that the home, moderation and rates pages show beside their own content."""
    app.add_template_global(queries.waiting_count, "challenges_waiting")
    app.add_template_global(queries.period_challenge_counts, "challenge_counts")


@bp.route("/")
@roles(Role.AGENCY_LEAD, Role.PANEL_CHAIR, *STAFF)
def index() -> ResponseReturnValue:
    lead = current_user.role == Role.AGENCY_LEAD
    open_grades = queries.challengeable(current_user.agency) if lead else []
    return render_template(
        "challenges/index.html", lead=lead, open_grades=open_grades,
        waiting=queries.challenges(OPEN), decided=queries.challenges("decided"),
        label=subject_label, rubric_for=rubric_for)


@bp.route("/grades/<int:final_grade_id>/new", methods=["GET", "POST"])
@roles(Role.AGENCY_LEAD)
def new(final_grade_id: int) -> ResponseReturnValue:
    """The reason; posting it shows the check page, which saves."""
    final = _grade_or_404(final_grade_id)
    form = RaiseForm()
    problem = refusal(final)
    if problem is None and form.validate_on_submit() and request.form.get("action") != "change":
        form.confirmed.data = CONFIRMED
        return _grade_page("challenges/raise_check.html", final, form)
    status = 400 if form.errors else 200
    return _grade_page("challenges/new.html", final, form, problem=problem, status=status)


@bp.route("/grades/<int:final_grade_id>", methods=["POST"])
@roles(Role.AGENCY_LEAD)
def create(final_grade_id: int) -> ResponseReturnValue:
    final = _grade_or_404(final_grade_id)
    form = RaiseForm()
    if form.confirmed.data != CONFIRMED:
        return _grade_page("challenges/new.html", final, form, problem=UNCHECKED, status=400)
    if form.validate_on_submit():
        try:
            challenge = raise_challenge(final, current_user, form.reason.data or "")
        except ChallengeError as exc:
            db.session.rollback()
            final = _grade_or_404(final_grade_id)
            show_on_form(form, exc, field="reason")
            return _grade_page("challenges/new.html", final, form,
                               problem=None if exc.field else str(exc), status=400)
        return redirect(url_for("challenges.raised", challenge_id=challenge.id))
    return _grade_page("challenges/new.html", final, form, status=400)


@bp.route("/<int:challenge_id>/raised")
@roles(Role.AGENCY_LEAD)
def raised(challenge_id: int) -> ResponseReturnValue:
    challenge = get_visible_or_404(GradeChallenge, challenge_id)
    return render_template("challenges/raised.html", challenge=challenge,
                           label=subject_label(_subject(challenge)))


@bp.route("/<int:challenge_id>")
@roles(Role.AGENCY_LEAD, Role.PANEL_CHAIR, *STAFF)
def show(challenge_id: int) -> ResponseReturnValue:
    challenge = get_visible_or_404(GradeChallenge, challenge_id)
    form = outcome_form(challenge, formdata=None) if _can_decide(challenge) else None
    return _challenge_page(challenge, form)


@bp.route("/<int:challenge_id>/check", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def check(challenge_id: int) -> ResponseReturnValue:
    challenge = _decidable_or_404(challenge_id)
    form = outcome_form(challenge)
    if not form.validate_on_submit() or request.form.get("action") == "change":
        return _challenge_page(challenge, form, status=400 if form.errors else 200)
    try:
        grade, criteria = check_outcome(challenge, form.outcome.data, chosen_grade(form),
                                        chosen_criteria(form), form.reason.data)
    except ChallengeError as exc:
        show_on_form(form, exc, field="outcome")
        return _challenge_page(challenge, form, status=400)
    form.confirmed.data = CONFIRMED
    return render_template("challenges/decide_check.html", challenge=challenge, form=form,
                           rubric=rubric_of(challenge), grade=grade, criteria=criteria,
                           label=subject_label(_subject(challenge)))


@bp.route("/<int:challenge_id>", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def save(challenge_id: int) -> ResponseReturnValue:
    challenge = _decidable_or_404(challenge_id)
    form = outcome_form(challenge)
    if form.confirmed.data != CONFIRMED:
        return _challenge_page(challenge, form, problem=UNCHECKED, status=400)
    if form.validate_on_submit():
        try:
            decide(challenge, form.outcome.data, chosen_grade(form), chosen_criteria(form),
                   form.reason.data or "", actor_id=current_user.id)
        except ChallengeError as exc:
            db.session.rollback()
            challenge = _decidable_or_404(challenge_id)
            show_on_form(form, exc, field="outcome")
        else:
            flash("Your decision on the challenge is saved", "success")
            return redirect(url_for("challenges.show", challenge_id=challenge_id))
    return _challenge_page(challenge, form, status=400)


def _grade_or_404(final_grade_id: int) -> FinalGrade:
    """The lead's own agency's grade, of a kind their agency may challenge; else 404."""
    final: FinalGrade = get_visible_or_404(FinalGrade, final_grade_id)
    if not may_challenge(final, current_user.agency):
        abort(404)
    return final


def _grade_page(template: str, final: FinalGrade, form: FlaskForm, *,
                problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    subject = final.plan or final.advice
    return render_template(
        template, final=final, form=form, problem=problem, last_day=last_day(final),
        rubric=rubric_for(final.rubric_version), label=subject_label(subject),
        reason_max=REASON_MAX), status


def _subject(challenge: GradeChallenge) -> Subject:
    final = challenge.final_grade
    return final.plan or final.advice


def _can_decide(challenge: GradeChallenge) -> bool:
    return (challenge.is_open and current_user.role == Role.PANEL_CHAIR
            and challenge.panel.chair_id == current_user.id)


def _decidable_or_404(challenge_id: int) -> GradeChallenge:
    challenge: GradeChallenge = get_visible_or_404(GradeChallenge, challenge_id)
    if challenge.panel.chair_id != current_user.id:
        abort(404)
    return challenge


def _challenge_page(challenge: GradeChallenge, form: FlaskForm | None, *,
                    problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    if form is not None and not challenge.is_open:
        problem = problem or "This challenge has already been decided."
        form = None
    return render_template(
        "challenges/show.html", challenge=challenge, form=form, problem=problem,
        rubric=rubric_of(challenge), label=subject_label(_subject(challenge)),
        reason_max=REASON_MAX), status
