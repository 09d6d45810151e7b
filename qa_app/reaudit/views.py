"""The re-audit pages: the list, one mark's story, marking a grade and withdrawing a mark
(managers), and recording the amendment date (the lead of the agency that owns the work now,
or a manager for them). Each change has a check step; another agency's mark, or a withdrawn
one, is not found by a lead (404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from qa_app.audits.moderation.models import FinalGrade
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.reaudit import operations, queries
from qa_app.reaudit.forms import AmendmentForm, MarkForm, WithdrawForm
from qa_app.reaudit.models import ReauditMark
from qa_app.rules import RuleError, show_on_form

bp = Blueprint("reaudit", __name__, url_prefix="/re-audits")


def today() -> date:
    return date.today()


def _staff() -> bool:
    return current_user.role in STAFF


@bp.route("")
@roles(Role.AGENCY_LEAD, *STAFF)
def index() -> ResponseReturnValue:
    stories = [queries.story(m) for m in queries.marks()]
    withdrawn = [queries.story(m) for m in queries.withdrawn_marks()] if _staff() else []
    return render_template("reaudit/index.html", stories=stories, staff=_staff(),
                           candidates=queries.candidates() if _staff() else [],
                           withdrawn=withdrawn)


@bp.route("/<int:mark_id>")
@roles(Role.AGENCY_LEAD, *STAFF)
def show(mark_id: int) -> ResponseReturnValue:
    mark = get_visible_or_404(ReauditMark, mark_id)
    return render_template("reaudit/show.html", story=queries.story(mark),
                           graded_on=operations.graded_on(mark), staff=_staff())


@bp.route("/mark/<int:grade_id>", methods=["GET", "POST"])
@roles(*STAFF)
def mark(grade_id: int) -> ResponseReturnValue:
    """A check page naming the grade; posting it marks the grade."""
    grade = get_visible_or_404(FinalGrade, grade_id)
    form = MarkForm()
    reference, kind = queries.subject_text(grade.plan, grade.advice)
    context = {"grade": grade, "reference": reference, "kind": kind,
               "grade_text": queries.grade_text(grade)}
    shown = _check_page("reaudit/mark.html", form, lambda: operations.check_markable(grade),
                        context)
    if shown is not None:
        return shown
    row = operations.mark(grade, actor_id=current_user.id)
    flash(f"{kind} {reference} is marked to be amended and re-audited.", "success")
    return redirect(url_for("reaudit.show", mark_id=row.id))


def _check_page(template: str, form: FlaskForm, check: Callable[[], object],
                context: dict[str, Any]) -> ResponseReturnValue | None:
    """The check page while it is shown (refused if `check` says the step is not allowed, with
    the errors of a post that does not validate); None once a valid post may go ahead."""
    try:
        check()
    except RuleError as exc:
        form.form_errors.append(str(exc))
        return render_template(template, form=form, refused=True, **context), 400
    if not form.is_submitted():
        return render_template(template, form=form, refused=False, **context)
    if not form.validate():
        return render_template(template, form=form, refused=False, **context), 400
    return None


@bp.route("/<int:mark_id>/amendment", methods=["GET", "POST"])
@roles(Role.AGENCY_LEAD, *STAFF)
def amendment(mark_id: int) -> ResponseReturnValue:
    """The date, then a check page, then it is saved."""
    mark = get_visible_or_404(ReauditMark, mark_id)
    if not _staff() and current_user.agency_id != queries.current_owner(mark):
        abort(404)
    item = queries.story(mark)
    context = {"story": item, "graded_on": operations.graded_on(mark)}
    form = AmendmentForm()
    if mark.withdrawn:
        flash("The mark is withdrawn: the work is not waiting for an amendment.")
        return redirect(url_for("reaudit.show", mark_id=mark.id))
    if mark.included_cycle_id is not None:
        flash("The work is already in a sample for re-audit: its amendment date is fixed.")
        return redirect(url_for("reaudit.show", mark_id=mark.id))
    if not form.is_submitted():
        if mark.amended_on and request.method == "GET":
            form.amended_on.data = mark.amended_on
        return render_template("reaudit/amendment.html", form=form, **context)
    if not form.validate():
        return render_template("reaudit/amendment.html", form=form, **context), 400
    try:
        day = operations.check_amendment(mark, form.amended_on.data, today())
    except RuleError as exc:
        show_on_form(form, exc)
        return render_template("reaudit/amendment.html", form=form, **context), 400
    if form.checked.data != "yes":
        form.checked.data = "yes"
        return render_template("reaudit/amendment_check.html", form=form, day=day, **context)
    operations.record_amendment(mark, day, today=today(), actor_id=current_user.id)
    flash(f"The amendment date, {day:%d/%m/%Y}, is recorded. The work joins the next "
          "sample drawn for re-audit.", "success")
    return redirect(url_for("reaudit.show", mark_id=mark.id))


@bp.route("/<int:mark_id>/withdraw", methods=["GET", "POST"])
@roles(*STAFF)
def withdraw(mark_id: int) -> ResponseReturnValue:
    """A check page saying what withdrawing does, with the reason; posting it withdraws."""
    mark = get_visible_or_404(ReauditMark, mark_id)
    form = WithdrawForm()
    context = {"story": queries.story(mark), "graded_on": operations.graded_on(mark),
               "reason_max": operations.REASON_MAX}
    shown = _check_page("reaudit/withdraw.html", form,
                        lambda: operations.check_withdrawable(mark), context)
    if shown is not None:
        return shown
    try:
        operations.withdraw(mark, form.reason.data, actor_id=current_user.id)
    except RuleError as exc:  # a sample took the work meanwhile, or the reason is refused
        show_on_form(form, exc)
        return render_template("reaudit/withdraw.html", form=form, refused=exc.field is None,
                               **context), 400
    story = context["story"]
    flash(f"The mark on {story.subject_text} {story.reference} is withdrawn: it will not be "
          "re-audited unless it is marked again.", "success")
    return redirect(url_for("reaudit.show", mark_id=mark.id))
