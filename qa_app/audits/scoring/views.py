"""My audits: an auditor's assigned audits, and the scoring page for one of them.

A save commits when the page answers below 400 (qa_app/transactions.py); a refused or stale
save is rolled back before the audit is shown again as it is stored."""

from __future__ import annotations

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
from qa_app.audits.scoring.forms import ScoringForm
from qa_app.audits.scoring.layout import ScoringLayout, layout_for
from qa_app.audits.scoring.models import Audit
from qa_app.audits.scoring.operations import (
    STALE_MESSAGE,
    StaleAudit,
    check_version,
    provisional_overall,
    save,
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


@bp.route("/")
@roles(Role.AUDITOR, Role.PANEL_CHAIR)
def my_audits() -> ResponseReturnValue:
    audits = queries.my_audits(current_user)
    groups = [
        (status, heading, [a for a in audits if a.status == status])
        for status, heading in STATUS_GROUPS
    ]
    return render_template("scoring/my_audits.html", groups=groups,
                           panels=queries.panels_of(audits),
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
    row = _audit_or_404(audit_id)
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    form = layout.form_class()
    try:
        check_version(row, form.row_version.data)
    except StaleAudit:
        return _latest(audit_id, STALE_MESSAGE)
    submitting = request.form.get("action") == "submit"
    form.validate()
    form.check(submitting)
    if form.errors:
        return _page(row, facts, layout, form, status=400)
    try:
        save(row, form.read(), row_version=form.row_version.data, submit=submitting,
             actor_id=current_user.id)
    except (StaleAudit, StaleDataError):
        return _latest(audit_id, STALE_MESSAGE)
    except ScoringError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            show_on_form(form, exc)
            return _page(_audit_or_404(audit_id), facts, layout, form, status=400)
        return _latest(audit_id, str(exc))
    flash("Audit submitted" if submitting else "Draft saved", "success")
    return redirect(url_for("scoring.audit", audit_id=audit_id))


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


def _latest(audit_id: int, message: str) -> ResponseReturnValue:
    """Nothing was saved: show the audit as it is now, with the reason."""
    db.session.rollback()
    row = _audit_or_404(audit_id)
    facts = facts_for(row)
    layout = layout_for(row.rubric_version, facts.context)
    form = layout.form_class(formdata=None)
    form.load(row)
    return _page(row, facts, layout, form, problem=message, status=409)


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


def _page(row: Audit, facts: SubjectFacts, layout: ScoringLayout, form: ScoringForm,
          *, problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    editable = (
        current_user.role == Role.AUDITOR
        and row.auditor_id == current_user.id
        and row.status != "submitted"
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
        chair_can_reopen=chair_can_reopen,
    ), status
