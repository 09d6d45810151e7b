"""The rates page: every role sees the figures it may see; managers recalculate them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.inputs import query_int
from qa_app.jobs import JobNotStarted, JobRun, launch
from qa_app.jobs.display import status_words as job_status_words
from qa_app.reporting import labels, queries
from qa_app.reporting.measures import CRITERION, ISSUED, ON_TIME
from qa_app.reporting.models import ImprovementAction
from qa_app.reporting.periods import ACADEMIC_YEAR, CYCLE
from qa_app.standards.targets import load_targets
from qa_app.standards.yaml_lines import RubricError

bp = Blueprint("rates", __name__, url_prefix="/rates")

EXCLUDED_HEADINGS = {
    ON_TIME: "With a statutory exception",
    ISSUED: "No request date",
}


OWN_AGENCY_ONLY = (Role.AGENCY_LEAD, Role.AUDITOR)
"""Roles shown their own agency's figures only, never the partnership's or another agency's
(the request's scoping enforces it; the page leaves out the filters they cannot use).
Auditors still see how consistently auditors grade; agency leads do not (auth/access.py)."""


class RecalculateForm(FlaskForm):
    submit = SubmitField("Recalculate", widget=GovSubmitInput())


@dataclass(frozen=True)
class MeasureTable:
    measure: str
    title: str
    rows: list[queries.Rate]
    excluded_heading: str | None


def _choice(choices: list[queries.PeriodChoice]) -> queries.PeriodChoice | None:
    """The period in the URL (a cycle wins over a year), else the newest academic year."""
    cycle, year = request.args.get("cycle", ""), request.args.get("year", "")
    wanted = (CYCLE, cycle) if cycle else (ACADEMIC_YEAR, year) if year else None
    if wanted is None:
        return choices[0] if choices else None
    for choice in choices:
        if (choice.kind, choice.key) == wanted:
            return choice
    abort(404)


def _tables(run_id: int, measure: str, agency_id: int | None, lead: bool) -> list[MeasureTable]:
    rows = queries.in_display_order(queries.rates(
        run_id, measures=[measure] if measure else None,
        agencies=None if agency_id is None else [agency_id],
        partnership=agency_id is None and not lead))
    if not measure:
        rows = [r for r in rows if r.measure != CRITERION]
    by_measure: dict[str, list[queries.Rate]] = {}
    for row in rows:
        by_measure.setdefault(row.measure, []).append(row)
    order = [m for m in labels.MEASURE_ORDER if m in by_measure]
    order += sorted(m for m in by_measure if m not in order)
    return [MeasureTable(m, labels.measure_title(m), by_measure[m], EXCLUDED_HEADINGS.get(m))
            for m in order]


def _min_n() -> int | None:
    """The smallest sample judged against a target, for the page's note on statuses."""
    try:
        return load_targets(Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml").min_n
    except (OSError, RubricError):
        return None


@bp.route("")
@roles(*ALL_ROLES)
def index() -> ResponseReturnValue:
    lead = current_user.role in OWN_AGENCY_ONLY
    show_agreement = current_user.role != Role.AGENCY_LEAD
    staff = current_user.role in STAFF
    choices = queries.reported_periods()
    choice = _choice(choices)
    run = queries.current_run(choice.kind, choice.key) if choice else None
    measure = request.args.get("measure", "")
    measures = queries.measures_in(run.id) if run else []
    if measure and measure not in measures:
        abort(404)
    agency_id = None if lead else query_int("agency", strict=True)
    agencies = [] if lead or run is None else queries.agencies_with_rates(run.id)
    if agency_id is not None and agency_id not in {a.id for a in agencies}:
        abort(404)
    job_id = query_int("job", strict=True)
    job = db.session.get(JobRun, job_id) if staff and job_id else None
    if staff and job is None:
        job = queries.latest_aggregation_job()
    return render_template(
        "reporting/index.html",
        choices=choices,
        choice=choice,
        run=run,
        measure=measure,
        measures=measures,
        agencies=agencies,
        agency_id=agency_id,
        tables=_tables(run.id, measure, agency_id, lead) if run else [],
        agreement=queries.agreement_for(run.id) if run and show_agreement else [],
        show_agreement=show_agreement,
        actions=queries.improvement_actions(
            academic_year=choice.academic_year if choice else None, agency_id=agency_id),
        lead=lead,
        staff=staff,
        job=job if job is not None and job.job == "aggregate" else None,
        job_status_words=job_status_words,
        form=RecalculateForm() if staff else None,
        labels=labels,
        min_n=_min_n(),
    )


@bp.route("/recalculate", methods=["POST"])
@roles(*STAFF)
def recalculate() -> ResponseReturnValue:
    form = RecalculateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        launched = launch("aggregate", {"period_kind": None, "period_key": None})
    except JobNotStarted as exc:
        flash("The figures cannot be recalculated now: the job service is not reachable.")
        return redirect(url_for("rates.index", job=exc.run_id))
    if launched.queued:
        flash("Recalculation started. Refresh this page to see its progress.", "success")
    elif launched.ok:
        flash("Rates recalculated.", "success")
    else:
        flash("The figures could not be recalculated: see the job's message below.")
    return redirect(url_for("rates.index", job=launched.run.id))


@bp.route("/actions/<int:action_id>")
@roles(*ALL_ROLES)
def action(action_id: int) -> ResponseReturnValue:
    row = get_visible_or_404(ImprovementAction, action_id)
    agency = queries.agency_name(row.agency_id)
    return render_template("reporting/action.html", action=row, agency=agency, labels=labels)
