"""The board report pages: the manager starts a report for a cycle with the board's date,
reads it (headline, exceptions with commentary, improvement actions), checks it and makes it
final, and downloads its PDF; an agency lead writes her agency's commentary."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from qa_app.audits.cycles.models import Cycle
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.board import content as build
from qa_app.board import operations, queries
from qa_app.board.forms import AskForm, CommentaryForm, FinaliseForm, StartReportForm
from qa_app.board.models import BoardReport, CommentaryRequest
from qa_app.board.pdf import report_pdf
from qa_app.extensions import db
from qa_app.letters.document import long_date
from qa_app.reporting import labels
from qa_app.rules import RuleError, show_on_form

bp = Blueprint("board", __name__, url_prefix="/board")


def today() -> date:
    return date.today()


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"long_date": long_date, "labels": labels,
            "tag_classes": labels.STATUS_TAG_CLASSES}


@bp.route("/")
@roles(*STAFF, Role.AGENCY_LEAD)
def index() -> ResponseReturnValue:
    if current_user.role == str(Role.AGENCY_LEAD):
        return render_template("board/lead.html", lines=queries.requests_for_lead(today()))
    return _index(StartReportForm())


def _index(form: StartReportForm, status: int = 200) -> ResponseReturnValue:
    _index_choices(form)
    return render_template("board/index.html", reports=queries.reports(), form=form,
                           on=today()), status


@bp.route("/start", methods=["POST"])
@roles(*STAFF)
def start() -> ResponseReturnValue:
    form = StartReportForm()
    _index_choices(form)
    if not form.validate_on_submit():
        return _index(form, 400 if form.csrf_token.errors else 200)
    cycle = db.session.get(Cycle, int(form.cycle_id.data))
    if cycle is None:
        abort(404)
    try:
        report = operations.start_report(cycle, form.board_date.data, actor_id=current_user.id,
                                          today=today())
    except RuleError as exc:
        db.session.rollback()
        show_on_form(form, exc)
        return _index(form)
    asked = len(report.requests)
    flash(f"Board report started for {cycle.name}. {asked} "
          f"{'agency exception' if asked == 1 else 'agency exceptions'} asked for commentary "
          f"by {long_date(report.board_date)}.", "success")
    return redirect(url_for("board.show", report_id=report.id))


def _index_choices(form: StartReportForm) -> None:
    started = {r.cycle_id for r in queries.reports()}
    form.cycle_id.choices = [SelectChoice("", "Choose a cycle")] + [
        SelectChoice(str(c.id), c.name) for c in queries.cycles_newest_first()
        if c.id not in started]


@bp.route("/<int:report_id>")
@roles(*STAFF)
def show(report_id: int) -> ResponseReturnValue:
    report = get_visible_or_404(BoardReport, report_id)
    content = build.assemble(report, today())
    new_exceptions = [] if report.is_final else [
        row for row in content.exceptions if row.request_id is None]
    return render_template(
        "board/show.html", report=report, content=content,
        ask_form=AskForm() if new_exceptions and report.commentary_open(today()) else None,
        new_exceptions=new_exceptions, commentary_open=report.commentary_open(today()),
        last_day=queries.last_day(report))


@bp.route("/<int:report_id>/ask", methods=["POST"])
@roles(*STAFF)
def ask(report_id: int) -> ResponseReturnValue:
    report = get_visible_or_404(BoardReport, report_id)
    form = AskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        asked = operations.ask_for_commentary(report, actor_id=current_user.id, today=today())
    except RuleError as exc:
        db.session.rollback()
        flash(f"Nobody was asked: {exc}.")
    else:
        flash(f"{asked} more {'exception' if asked == 1 else 'exceptions'} asked for "
              "commentary.", "success")
    return redirect(url_for("board.show", report_id=report.id))


@bp.route("/<int:report_id>/finalise", methods=["GET", "POST"])
@roles(*STAFF)
def finalise(report_id: int) -> ResponseReturnValue:
    report = get_visible_or_404(BoardReport, report_id)
    if report.is_final:
        return redirect(url_for("board.show", report_id=report.id))
    form = FinaliseForm()
    if form.is_submitted():
        if not form.validate():
            return _check_page(report, form, 400)
        try:
            operations.finalise(report.id, actor_id=current_user.id,
                                checked=form.checked.data or "", today=today())
        except RuleError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return _check_page(report, form, 409)
        flash(f"The board report for {report.cycle.name} is final. Commentary is closed and "
              "the report will not change.", "success")
        return redirect(url_for("board.show", report_id=report.id))
    return _check_page(report, form)


def _check_page(report: BoardReport, form: FinaliseForm, status: int = 200
                ) -> ResponseReturnValue:
    content = build.assemble(report, today())
    form.checked.data = operations.digest(content)
    return render_template("board/finalise.html", report=report, content=content,
                           form=form), status


@bp.route("/<int:report_id>/report.pdf")
@roles(*STAFF)
def pdf(report_id: int) -> ResponseReturnValue:
    report = get_visible_or_404(BoardReport, report_id)
    content = build.assemble(report, today())
    if not content.final and not content.may_be_final:
        return render_template("board/refused.html", report=report, content=content), 409
    response = current_app.response_class(report_pdf(content), mimetype="application/pdf")
    name = f"board-report-{report.cycle_id}{'' if content.final else '-draft'}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/requests/<int:request_id>", methods=["GET", "POST"])
@roles(Role.AGENCY_LEAD)
def commentary(request_id: int) -> ResponseReturnValue:
    asked = get_visible_or_404(CommentaryRequest, request_id)
    report = asked.report
    rows = [row for row in build.exceptions_now(report, agencies=[asked.agency_id])
            if (row.measure, row.scope) == (asked.measure, asked.scope)]
    form = CommentaryForm()
    is_open = report.commentary_open(today())
    if form.is_submitted() and is_open:
        if form.validate():
            try:
                operations.save_commentary(asked.id, form.commentary.data,
                                           actor_id=current_user.id, today=today())
            except RuleError as exc:
                db.session.rollback()
                show_on_form(form, exc)
            else:
                flash("Your commentary has been saved. You can change it until "
                      f"{long_date(queries.last_day(report))}.", "success")
                return redirect(url_for("board.index"))
    elif form.is_submitted():
        form.form_errors.append(
            "Commentary is closed for this report. Nothing has been saved")
        return _commentary_page(asked, rows, form, is_open, 409)
    elif asked.commentary:
        form.commentary.data = asked.commentary
    return _commentary_page(asked, rows, form, is_open)


def _commentary_page(asked: CommentaryRequest, rows: list, form: CommentaryForm,
                     is_open: bool, status: int = 200) -> ResponseReturnValue:
    return render_template("board/commentary.html", asked=asked, report=asked.report,
                           row=rows[0] if rows else None, form=form, is_open=is_open,
                           last_day=queries.last_day(asked.report),
                           limit=operations.COMMENTARY_LIMIT), status

