"""The learning pages: each cycle's learning brief (a provisional draft for staff until the
cycle's grades are final; once checked and published, the stored brief for every signed-in
partner, as a page and a PDF), and a plan's printable case timeline."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.learning import operations
from qa_app.learning.content import assemble
from qa_app.learning.document import BriefContent
from qa_app.learning.forms import PublishForm
from qa_app.learning.models import LearningBrief
from qa_app.learning.pdf import brief_pdf
from qa_app.learning.timeline import plan_timeline
from qa_app.register.models import Advice, Plan
from qa_app.rules import RuleError

bp = Blueprint("learning", __name__)


def today() -> date:
    return date.today()


def _is_staff() -> bool:
    return current_user.role in {str(r) for r in STAFF}


@bp.route("/learning/")
@roles(*ALL_ROLES)
def index() -> ResponseReturnValue:
    briefs = {b.cycle_id: b for b in db.session.execute(select(LearningBrief)).scalars()}
    cycles = db.session.execute(
        select(Cycle).order_by(Cycle.start_date.desc(), Cycle.id.desc())).scalars().all()
    if not _is_staff():
        cycles = [c for c in cycles if c.id in briefs]
    return render_template("learning/index.html", cycles=cycles, briefs=briefs,
                           staff=_is_staff())


def _brief(cycle_id: int) -> tuple[Cycle, LearningBrief | None, BriefContent]:
    """The published brief for anyone signed in; the draft only for staff (others: 404)."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    stored = operations.published(cycle.id)
    if stored is not None:
        return cycle, stored, operations.content_of(stored)
    if not _is_staff():
        abort(404)
    return cycle, None, assemble(cycle, today())


@bp.route("/learning/cycles/<int:cycle_id>")
@roles(*ALL_ROLES)
def show(cycle_id: int) -> ResponseReturnValue:
    cycle, stored, content = _brief(cycle_id)
    return render_template("learning/brief.html", cycle=cycle, stored=stored, content=content,
                           staff=_is_staff())


@bp.route("/learning/cycles/<int:cycle_id>/brief.pdf")
@roles(*ALL_ROLES)
def pdf(cycle_id: int) -> ResponseReturnValue:
    cycle, stored, content = _brief(cycle_id)
    if stored is None and content.provisional:
        return render_template("learning/refused.html", cycle=cycle, content=content), 409
    response = current_app.response_class(brief_pdf(content), mimetype="application/pdf")
    name = f"learning-brief-{cycle.id}{'' if stored else '-draft'}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/learning/cycles/<int:cycle_id>/publish", methods=["GET", "POST"])
@roles(*STAFF)
def publish(cycle_id: int) -> ResponseReturnValue:
    cycle, stored, content = _brief(cycle_id)
    if stored is not None:
        return redirect(url_for("learning.show", cycle_id=cycle.id))
    form = PublishForm()
    if form.is_submitted():
        if not form.validate():
            return _check_page(cycle, content, form, 400)
        try:
            operations.publish(cycle.id, actor_id=current_user.id,
                               checked=form.checked.data or "", today=today())
        except RuleError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return _check_page(cycle, assemble(cycle, today()), form, 409)
        flash(f"The learning brief for {cycle.name} is published. Every signed-in partner can "
              "now read it, and it will not change.", "success")
        return redirect(url_for("learning.show", cycle_id=cycle.id))
    return _check_page(cycle, content, form)


def _check_page(cycle: Cycle, content: BriefContent, form: PublishForm, status: int = 200
                ) -> ResponseReturnValue:
    form.checked.data = operations.digest(content)
    return render_template("learning/publish.html", cycle=cycle, content=content, form=form,
                           staff=True), status


@bp.route("/plans/<int:plan_id>/timeline")
@roles(*ALL_ROLES)
def timeline(plan_id: int) -> ResponseReturnValue:
    plan = get_visible_or_404(Plan, plan_id)
    events = plan_timeline(current_app._get_current_object(),  # type: ignore[attr-defined]
                           plan.id, agency_ids=_viewer_agencies(plan))
    return render_template("learning/timeline.html", plan=plan, events=events,
                           partial=not _is_staff())


def _viewer_agencies(plan: Plan) -> frozenset[int] | None:
    """Whose part of the story the viewer sees: staff everything; an agency lead her own
    agency's; an auditor or chair the agencies of the plan and of the advice she can see."""
    if _is_staff():
        return None
    if current_user.role == str(Role.AGENCY_LEAD):
        return frozenset({current_user.agency_id}) if current_user.agency_id else frozenset()
    advice = db.session.execute(
        select(Advice.agency_id).where(Advice.plan_id == plan.id)).scalars().all()
    return frozenset({plan.agency_id, *advice})
