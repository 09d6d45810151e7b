"""The rates page: every role sees the figures it may see; managers recalculate them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.inputs import MAX_PAGE, query_int
from qa_app.jobs import JobNotStarted, JobRun, launch
from qa_app.jobs.display import status_words as job_status_words
from qa_app.paging import PageLinks
from qa_app.reporting import labels, queries
from qa_app.reporting.measures import CRITERION, ISSUED, ON_TIME
from qa_app.reporting.models import ImprovementAction
from qa_app.reporting.periods import ACADEMIC_YEAR, CYCLE
from qa_app.standards.targets import load_targets
from qa_app.standards.yaml_lines import RubricError

bp = Blueprint("rates", __name__, url_prefix="/rates")

PAGE_SIZE = 50
"""Rows on one page of the rates tables; past it the page gets Previous and Next links."""

STATUS_FILTERS = {
    "below-target": labels.BELOW_TARGET,
    "near-target": labels.NEAR_TARGET,
    "on-target": labels.ON_TARGET,
    "too-few": labels.TOO_FEW,
    "no-target": labels.NO_TARGET,
}
"""The status filter's values in the URL, in the order the page offers them."""

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


@dataclass(frozen=True)
class RatesView:
    """What the rates page shows, all of it in the query string so a view can be shared.
    Unknown sort, order, status or page values fall back to the defaults."""

    period: dict[str, str]
    measure: str
    agency_id: int | None
    statuses: list[str]
    sort: str | None
    descending: bool
    page: int

    def args(self, **changes: Any) -> dict[str, Any]:
        """This view's query string as url_for arguments, with `changes` (None drops one)."""
        args: dict[str, Any] = {
            **self.period, "measure": self.measure or None, "agency": self.agency_id,
            "status": self.statuses or None, "sort": self.sort,
            "order": "desc" if self.sort and self.descending else None,
            "page": self.page if self.page > 1 else None}
        args.update(changes)
        return {k: v for k, v in args.items() if v is not None}

    def url(self, **changes: Any) -> str:
        return url_for("rates.index", **self.args(**changes))

    def period_url(self, kind: str, key: str) -> str:
        """The same filters and sort for another period, from its first page."""
        other = {"cycle": key} if kind == CYCLE else {"year": key}
        return url_for("rates.index", **{**self.args(cycle=None, year=None, page=None), **other})

    def sort_url(self, column: str) -> str:
        """Sorted by `column` ascending, or descending when it is already sorted ascending."""
        flip = self.sort == column and not self.descending
        return self.url(sort=column, order="desc" if flip else None, page=None)

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "descending" if self.descending else "ascending"


@dataclass(frozen=True)
class RatesPage(PageLinks):
    """Where one page of rows sits in the filtered list, for the shared pagination macro."""

    page: int
    pages: int
    total: int
    first: int
    last: int


def _view(choice: queries.PeriodChoice | None, measure: str, agency_id: int | None) -> RatesView:
    period = {} if choice is None else {"cycle" if choice.kind == CYCLE else "year": choice.key}
    wanted = request.args.getlist("status")
    sort = request.args.get("sort", "")
    return RatesView(period, measure, agency_id, [s for s in STATUS_FILTERS if s in wanted],
                     sort if sort in queries.SORT_KEYS else None,
                     request.args.get("order") == "desc",
                     query_int("page", 1, low=1, high=MAX_PAGE) or 1)


def _tables(run_id: int, view: RatesView, lead: bool) -> tuple[list[MeasureTable], RatesPage]:
    """One page of the filtered, sorted rows, split into a table per measure (scoping applies:
    the filters only ever narrow what queries.rates returns)."""
    rows = queries.rates(
        run_id, measures=[view.measure] if view.measure else None,
        agencies=None if view.agency_id is None else [view.agency_id],
        partnership=view.agency_id is None and not lead)
    if not view.measure:
        rows = [r for r in rows if r.measure != CRITERION]
    rows = queries.with_status(rows, [STATUS_FILTERS[s] for s in view.statuses])
    rows = queries.sorted_by(rows, view.sort, view.descending)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(view.page, pages)
    start = (page - 1) * PAGE_SIZE
    shown = rows[start:start + PAGE_SIZE]
    paging = RatesPage(page, pages, len(rows), start + 1 if shown else 0, start + len(shown))
    return _by_measure(shown), paging


def _by_measure(rows: list[queries.Rate]) -> list[MeasureTable]:
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
    view = _view(choice, measure, agency_id)
    tables, paging = _tables(run.id, view, lead) if run else ([], None)
    return render_template(
        "reporting/index.html",
        choices=choices,
        choice=choice,
        run=run,
        measure=measure,
        measures=measures,
        agencies=agencies,
        agency_id=agency_id,
        tables=tables,
        view=view,
        paging=paging,
        page_url=lambda n: view.url(page=n if n > 1 else None),
        status_filters=[(slug, labels.STATUS_WORDS[s]) for slug, s in STATUS_FILTERS.items()],
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
    """The old address of an action: actions now have their own pages."""
    row = get_visible_or_404(ImprovementAction, action_id)
    return redirect(url_for("improvement.show", action_id=row.id), 301)
