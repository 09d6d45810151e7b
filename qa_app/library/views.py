"""The good-practice library: every signed-in partner browses approved examples (by a
standard's criterion, advice type and agency) and downloads a booklet per criterion of a
standard; an auditor marks an excerpt while scoring; the panel's chair checks it identifies
nobody, then approves (perhaps editing the wording) or rejects it with a reason. An undecided
or rejected example is a 404 to everyone but its author, the chair and the managers."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.audits.scoring.models import Audit
from qa_app.audits.subjects import subject_of
from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.library import operations, queries
from qa_app.library.forms import DecideForm, MarkForm
from qa_app.library.models import PracticeExample
from qa_app.library.pdf import booklet_pdf
from qa_app.rules import RuleError, show_on_form
from qa_app.standards.titles import rubric_title

bp = Blueprint("library", __name__, url_prefix="/library")


@bp.route("/")
@roles(*ALL_ROLES)
def index() -> ResponseReturnValue:
    options = queries.filter_options()
    standard = options.standard(request.args.get("criterion"))
    kind = request.args.get("kind") or None
    agency = request.args.get("agency") or None
    if kind not in {k for k, _ in options.kinds}:
        kind = None
    numeric = agency is not None and len(agency) < 10 and agency.isascii() and agency.isdigit()
    agency_id = int(agency) if numeric else None
    if agency_id not in {a for a, _ in options.agencies}:
        agency_id = None
    examples = queries.browse(standard, kind, agency_id)
    waiting = None
    if current_user.role == Role.PANEL_CHAIR:
        waiting = len(queries.waiting_for(current_user.id))
    elif current_user.role in STAFF:
        waiting = len(queries.waiting_for(None))
    return render_template(
        "library/index.html", examples=examples, groups=queries.groups_of(examples),
        options=options, criterion=queries.standard_key(*standard) if standard else None,
        kind=kind, agency_id=agency_id, waiting=waiting,
        filtered=bool(standard or kind or agency_id),
        mine=current_user.role == Role.AUDITOR)


@bp.route("/<int:example_id>")
@roles(*ALL_ROLES)
def show(example_id: int) -> ResponseReturnValue:
    example = get_visible_or_404(PracticeExample, example_id)
    row = queries.rows_of([example])[0]
    return render_template(
        "library/show.html", example=example, row=row,
        may_decide=example.status == "pending"
        and operations.may_decide(example, current_user.id))


@bp.route("/standards/<rubric_id>/criteria/<criterion_id>/booklet.pdf")
@roles(*ALL_ROLES)
def booklet(rubric_id: str, criterion_id: str) -> ResponseReturnValue:
    examples = queries.approved_examples([(rubric_id, criterion_id)])
    if not examples:
        abort(404)
    body = booklet_pdf(examples[0].heading, rubric_title(rubric_id), examples,
                       current_app.config["PARTNERSHIP_NAME"])
    response = current_app.response_class(body, mimetype="application/pdf")
    safe_id = "".join(ch if ch.isalnum() or ch in "-_" else "-"
                      for ch in f"{rubric_id}-{criterion_id}")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="good-practice-{safe_id}.pdf"')
    return response


@bp.route("/criteria/<criterion_id>/booklet.pdf")
@roles(*ALL_ROLES)
def booklet_by_criterion(criterion_id: str) -> ResponseReturnValue:
    """The booklet's address before standards were told apart: it still answers when only
    one standard has examples of that criterion id, and is not found when several do."""
    standards = queries.standards_with_examples(criterion_id)
    if len(standards) != 1:
        abort(404)
    return redirect(url_for("library.booklet", rubric_id=standards[0],
                            criterion_id=criterion_id))


@bp.route("/mine")
@roles(Role.AUDITOR)
def mine() -> ResponseReturnValue:
    return render_template("library/mine.html", examples=queries.marked_by(current_user.id))


@bp.route("/waiting")
@roles(Role.PANEL_CHAIR, *STAFF)
def waiting() -> ResponseReturnValue:
    chair = current_user.role == Role.PANEL_CHAIR
    return render_template("library/waiting.html", chair=chair,
                           examples=queries.waiting_for(current_user.id if chair else None))


def _own_audit_or_404(audit_id: int) -> Audit:
    """The auditor's own panel audit, never of their own agency's work (as when scoring)."""
    audit: Audit = get_visible_or_404(Audit, audit_id)
    if (audit.source != "panel" or audit.panel_id is None
            or audit.auditor_id != current_user.id
            or subject_of(audit).agency_id == current_user.agency_id):
        abort(404)
    return audit


@bp.route("/mark/<int:audit_id>/<criterion_id>", methods=["GET", "POST"])
@roles(Role.AUDITOR)
def mark(audit_id: int, criterion_id: str) -> ResponseReturnValue:
    audit = _own_audit_or_404(audit_id)
    criteria = operations.judged_criteria(audit)
    if criterion_id not in criteria:
        abort(404)
    form = MarkForm()
    if form.is_submitted():
        if not form.validate():
            return _mark_page(audit, criterion_id, criteria, form, 400)
        try:
            example = operations.mark(audit, criterion_id, form.excerpt.data or "",
                                      actor_id=current_user.id)
        except RuleError as exc:
            db.session.rollback()
            show_on_form(form, exc)
            return _mark_page(_own_audit_or_404(audit_id), criterion_id, criteria, form, 400)
        flash(f"Example {example.reference} sent to the panel chair. Nobody else can read it "
              "until the chair approves it.", "success")
        return redirect(url_for("scoring.audit", audit_id=audit.id))
    return _mark_page(audit, criterion_id, criteria, form)


def _mark_page(audit: Audit, criterion_id: str, criteria: dict[str, str], form: MarkForm,
               status: int = 200) -> ResponseReturnValue:
    return render_template("library/mark.html", audit=audit, criterion_id=criterion_id,
                           criterion_title=criteria[criterion_id], form=form,
                           limit=operations.EXCERPT_LIMIT,
                           closed=audit.in_closed_cycle), status


@bp.route("/<int:example_id>/decide", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR)
def decide(example_id: int) -> ResponseReturnValue:
    example = get_visible_or_404(PracticeExample, example_id)
    if not operations.may_decide(example, current_user.id):
        abort(404)
    if example.status != "pending":
        flash("This example has already been decided.")
        return redirect(url_for("library.show", example_id=example.id))
    form = DecideForm()
    if not form.is_submitted():
        form.excerpt.data = example.excerpt
        return _decide_page(example, form)
    if not form.validate() or not _complete(form):
        return _decide_page(example, form, 400)
    if form.confirmed.data != "yes":
        return _check_page(example, form)
    try:
        if form.decision.data == "approve":
            operations.approve(example, form.excerpt.data or "", form.checks.data or [],
                               actor_id=current_user.id)
            flash(f"Example {example.reference} approved: every partner can now read it.",
                  "success")
        else:
            operations.reject(example, form.reason.data or "", actor_id=current_user.id)
            flash(f"Example {example.reference} rejected. The auditor can read your reason.",
                  "success")
    except RuleError as exc:
        db.session.rollback()
        show_on_form(form, exc)
        return _decide_page(get_visible_or_404(PracticeExample, example_id), form, 400)
    return redirect(url_for("library.waiting"))


def _complete(form: DecideForm) -> bool:
    """What each decision needs, beside the field it concerns."""
    if form.decision.data == "approve":
        if not (form.excerpt.data or "").strip():
            form.excerpt.errors = [*form.excerpt.errors, "Enter the wording to show"]
        ticked = set(form.checks.data or [])
        if any(key not in ticked for key, _ in operations.CHECKLIST):
            form.checks.errors = [*form.checks.errors,
                                  "Tick every check before approving the example"]
        return not (form.excerpt.errors or form.checks.errors)
    if not (form.reason.data or "").strip():
        form.reason.errors = [*form.reason.errors, "Enter the reason for rejecting the example"]
        return False
    return True


def _decide_page(example: PracticeExample, form: DecideForm, status: int = 200
                 ) -> ResponseReturnValue:
    form.confirmed.data = ""
    return render_template("library/decide.html", example=example,
                           row=queries.rows_of([example])[0], form=form,
                           limit=operations.EXCERPT_LIMIT,
                           reason_limit=operations.REASON_LIMIT), status


def _check_page(example: PracticeExample, form: DecideForm) -> ResponseReturnValue:
    form.confirmed.data = "yes"
    checks = dict(operations.CHECKLIST)
    return render_template("library/check.html", example=example,
                           row=queries.rows_of([example])[0], form=form,
                           ticked=[checks[key] for key in form.checks.data or []])
