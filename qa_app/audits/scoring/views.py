"""My audits: an auditor's assigned audits, the scoring page for one of them, the check
before submitting, and the confirmation after.

A save commits when the page answers below 400 (qa_app/transactions.py); a refused or stale
save is rolled back. A stale save shows both versions and keeps what was typed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from qa_app.audits.errors import ScoringError
from qa_app.audits.scoring import queries
from qa_app.audits.scoring.facts import SubjectFacts, facts_for
from qa_app.audits.scoring.forms import (
    CONFIRMED,
    REASON_MAX,
    ScoreInput,
    ScoringForm,
    SubmitAuditForm,
)
from qa_app.audits.scoring.layout import ScoringLayout, layout_for
from qa_app.audits.scoring.models import Audit
from qa_app.audits.scoring.operations import (
    CLOSED_MESSAGE,
    STALE_MESSAGE,
    StaleAudit,
    check_version,
    incomplete,
    override_choices,
    provisional_overall,
    save,
    stored_input,
    submit_saved,
)
from qa_app.audits.subjects import subject_of
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.rules import show_on_form

bp = Blueprint("scoring", __name__, url_prefix="/my-audits")

STATUS_GROUPS = (
    ("assigned", "To do"),
    ("draft", "In progress"),
    ("submitted", "Submitted"),
)
UNCHECKED_MESSAGE = (
    "Nothing was submitted: press Continue on the audit, check your answers, then submit "
    "from the check page."
)
CHANGED_SINCE_CHECK = (
    "This audit was changed in another tab or by someone else after you checked it, so it "
    "was not submitted. Check it again below."
)


@dataclass(frozen=True)
class Conflict:
    """A stale save: what is stored now beside what this person typed."""

    saved: ScoreInput
    typed: ScoreInput


@bp.route("/")
@roles(Role.AUDITOR, Role.PANEL_CHAIR)
def my_audits() -> ResponseReturnValue:
    audits = queries.my_audits(current_user)
    live = [a for a in audits if a.status == "submitted" or not a.in_closed_cycle]
    groups = [
        (status, heading, [a for a in live if a.status == status])
        for status, heading in STATUS_GROUPS
    ]
    closed = [a for a in audits if a.status != "submitted" and a.in_closed_cycle]
    return render_template("scoring/my_audits.html", groups=groups, closed=closed,
                           closed_message=CLOSED_MESSAGE, panels=queries.panels_of(audits),
                           chairing=current_user.role == Role.PANEL_CHAIR, total=len(audits))


@bp.route("/<int:audit_id>")
@roles(Role.AUDITOR, Role.PANEL_CHAIR, *STAFF)
def audit(audit_id: int) -> ResponseReturnValue:
    row = _audit_or_404(audit_id)
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    form = layout.form_class(formdata=None)
    form.load(row)
    return _page(row, facts, layout, form)


@bp.route("/<int:audit_id>", methods=["POST"])
@roles(Role.AUDITOR)
def save_audit(audit_id: int) -> ResponseReturnValue:
    """Save a draft, then go on to check it ("check") or to mark an example of good practice
    for one judged criterion ("example:<criterion id>"), so nothing typed is lost on the way;
    never submit from here."""
    row = _audit_or_404(audit_id)
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    form = layout.form_class()
    action = request.form.get("action", "draft")
    example_of = _example_criterion(action, layout)
    if action not in ("draft", "check") and example_of is None:
        return _latest(audit_id, UNCHECKED_MESSAGE, status=400)
    try:
        check_version(row, form.row_version.data)
    except StaleAudit:
        return _conflict(audit_id, form)
    checking = action == "check"
    form.validate()
    form.check(checking)
    if form.errors:
        return _page(row, facts, layout, form, status=400)
    try:
        save(row, form.read(), row_version=form.row_version.data, submit=False,
             actor_id=current_user.id)
    except (StaleAudit, StaleDataError):
        return _conflict(audit_id, form)
    except ScoringError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            show_on_form(form, exc)
            return _page(_audit_or_404(audit_id), facts, layout, form, status=400)
        return _latest(audit_id, str(exc))
    if checking:
        return redirect(url_for("scoring.check", audit_id=audit_id))
    flash("Draft saved", "success")
    if example_of is not None:
        return redirect(url_for("library.mark", audit_id=audit_id, criterion_id=example_of))
    return redirect(url_for("scoring.audit", audit_id=audit_id))


@bp.route("/<int:audit_id>/check")
@roles(Role.AUDITOR)
def check(audit_id: int) -> ResponseReturnValue:
    row = _audit_or_404(audit_id)
    if row.status == "submitted":
        return redirect(url_for("scoring.audit", audit_id=audit_id))
    form = SubmitAuditForm(formdata=None, row_version=str(row.row_version), confirmed=CONFIRMED)
    return _check_page(row, form)


@bp.route("/<int:audit_id>/submit", methods=["POST"])
@roles(Role.AUDITOR)
def submit(audit_id: int) -> ResponseReturnValue:
    """Submit the stored draft, only from the check page (its confirmation field)."""
    row = _audit_or_404(audit_id)
    form = SubmitAuditForm()
    if not form.validate_on_submit():
        abort(400)
    if form.confirmed.data != CONFIRMED:
        return _latest(audit_id, UNCHECKED_MESSAGE, status=400)
    try:
        submit_saved(row, row_version=form.row_version.data, actor_id=current_user.id)
    except (StaleAudit, StaleDataError):
        db.session.rollback()
        return _check_page(_audit_or_404(audit_id), _fresh_confirmation(audit_id),
                           problem=CHANGED_SINCE_CHECK, status=409)
    except ScoringError as exc:
        db.session.rollback()
        return _check_page(_audit_or_404(audit_id), _fresh_confirmation(audit_id),
                           problem=str(exc), status=400)
    return redirect(url_for("scoring.submitted", audit_id=audit_id))


@bp.route("/<int:audit_id>/submitted")
@roles(Role.AUDITOR)
def submitted(audit_id: int) -> ResponseReturnValue:
    row = _audit_or_404(audit_id)
    if row.status != "submitted":
        return redirect(url_for("scoring.audit", audit_id=audit_id))
    return render_template("scoring/submitted.html", audit=row, facts=facts_for(row),
                           next_audit=queries.next_audit(current_user, row))


@bp.route("/<int:audit_id>/overall", methods=["POST"])
@roles(Role.AUDITOR)
def overall(audit_id: int) -> ResponseReturnValue:
    """The overall grade the grades chosen on the page would give, for the page to show as
    the auditor works (JavaScript); nothing is saved."""
    row = _audit_or_404(audit_id)
    if row.status == "submitted":
        return jsonify(message="This audit has been submitted"), 409
    layout = layout_for(row.rubric_version, facts_for(row).context)
    form = layout.form_class()
    form.validate()
    try:
        result = provisional_overall(row, form.read())
    except ScoringError as exc:
        return jsonify(message=str(exc)), 400
    return jsonify(grade=result.grade, label=result.label, graded=result.graded,
                   judged=result.judged)


def _example_criterion(action: str, layout: ScoringLayout) -> str | None:
    """The criterion an "example:<id>" action names, if the auditor grades it on this page."""
    prefix, _, criterion_id = action.partition(":")
    if prefix != "example" or criterion_id not in {c.id for c in layout.judged}:
        return None
    return criterion_id


def _latest(audit_id: int, message: str, status: int = 409) -> ResponseReturnValue:
    """Nothing was saved: show the audit as it is now, with the reason."""
    db.session.rollback()
    row = _audit_or_404(audit_id)
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    form = layout.form_class(formdata=None)
    form.load(row)
    return _page(row, facts, layout, form, problem=message, status=status)


def _conflict(audit_id: int, form: ScoringForm) -> ResponseReturnValue:
    """Someone saved first: nothing of this save was kept. Show both versions, keep what was
    typed in the form, and let a second save knowingly replace the stored version."""
    db.session.rollback()
    row = _audit_or_404(audit_id)
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    form.row_version.data = str(row.row_version)
    conflict = Conflict(saved=stored_input(row), typed=form.read())
    return _page(row, facts, layout, form, problem=STALE_MESSAGE, conflict=conflict,
                 status=409)


def _fresh_confirmation(audit_id: int) -> SubmitAuditForm:
    row = _audit_or_404(audit_id)
    return SubmitAuditForm(formdata=None, row_version=str(row.row_version),
                           confirmed=CONFIRMED)


def _audit_or_404(audit_id: int) -> Audit:
    """Auditors open only their own audits, never their own agency's work; chairs their panels'."""
    row: Audit = get_visible_or_404(Audit, audit_id)
    if row.source != "panel" or row.panel_id is None:
        abort(404)
    if current_user.role == Role.AUDITOR:
        if row.auditor_id != current_user.id:
            abort(404)
        if subject_of(row).agency_id == current_user.agency_id:
            abort(404)
    elif current_user.role == Role.PANEL_CHAIR:
        panel = queries.panel_of(row)
        if panel is None or panel.chair_id != current_user.id:
            abort(404)
    return row


def _check_page(row: Audit, form: SubmitAuditForm, *, problem: str | None = None,
                status: int = 200) -> ResponseReturnValue:
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    gaps = incomplete(row)
    if row.in_closed_cycle and problem is None:
        problem = CLOSED_MESSAGE
    return render_template(
        "scoring/check.html", audit=row, facts=facts, layout=layout, rubric=layout.rubric,
        scores={s.criterion_id: s for s in row.scores}, computed=layout.computed_grades(facts),
        gaps=gaps, confirm=form, problem=problem, panel=queries.panel_of(row),
        can_submit=not gaps and not row.in_closed_cycle,
    ), status


def _page(row: Audit, facts: SubjectFacts, layout: ScoringLayout, form: ScoringForm,
          *, problem: str | None = None, conflict: Conflict | None = None,
          status: int = 200) -> ResponseReturnValue:
    editable = (
        current_user.role == Role.AUDITOR
        and row.auditor_id == current_user.id
        and row.status != "submitted"
        and not row.in_closed_cycle
    )
    rubric = layout.rubric
    scores = {s.criterion_id: s for s in row.scores}
    computed = layout.computed_grades(facts)
    graded = sum(1 for c in layout.judged if scores.get(c.id) and scores[c.id].grade is not None)
    agency_grade = None
    if row.status == "submitted" and row.advice is not None:
        agency_grade = row.advice.agency_grade
    chair_can_reopen = (
        current_user.role == Role.PANEL_CHAIR
        and row.status == "submitted"
        and queries.final_grade_for(row) is None
    )
    if editable:
        form.offer_overrides(override_choices(row, form.read()))
    return render_template(
        "scoring/audit.html",
        audit=row,
        facts=facts,
        layout=layout,
        rubric=rubric,
        form=form if editable else None,
        scoring_form=form,
        editable=editable,
        scores=scores,
        computed=computed,
        graded=graded,
        panel=queries.panel_of(row),
        agency_grade=agency_grade,
        problem=problem,
        conflict=conflict,
        closed_message=CLOSED_MESSAGE if row.in_closed_cycle else None,
        reason_max=REASON_MAX,
        chair_can_reopen=chair_can_reopen,
    ), status
