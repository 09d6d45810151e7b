"""The quality improvement dashboard, each chart's data as CSV, and the exports."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth.access import STAFF, roles
from qa_app.auth.models import Role
from qa_app.dashboard import exports, queries
from qa_app.dashboard.content import HEAT_AGENCIES, build, survey_measures
from qa_app.dashboard.filters import ADVICE_TYPES, read_filters
from qa_app.reporting import labels
from qa_app.reporting.labels import describe, measure_title
from qa_app.reporting.periods import year_bounds
from qa_app.reporting.queries import agencies_with_rates, current_run, rates
from qa_app.standards.titles import criterion_title

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

READERS = (Role.ADMIN, Role.QI_MANAGER, Role.PANEL_CHAIR, Role.AGENCY_LEAD)
FORMATS = {"csv", "xlsx"}
EXPORT_NAMES = {"rates": "rates for every measure", "audits": "final grades",
                "agreement": "agreement between auditors", "timeliness": "advice timeliness"}
"""What each export holds, in words, for its file name (with the period)."""


@bp.route("/")
@roles(*READERS)
def index() -> ResponseReturnValue:
    filters = read_filters(request)
    board = build(filters)
    agencies = agencies_with_rates(
        current_run(filters.period_kind, filters.period_key).id
    ) if not board.empty else []
    # Survey results are the managers' (as on the surveys pages): others never see them.
    voices = survey_measures(filters) if current_user.role in STAFF else None
    return render_template(
        "dashboard/index.html", board=board, f=filters, years=queries.academic_years(),
        voices=voices,
        cycles=queries.cycles_in(filters.year) if filters.year else [], agencies=agencies,
        measures=[(m, measure_title(m)) for m in filters.measures], advice_types=ADVICE_TYPES,
        labels=labels, describe=describe, criterion_title=criterion_title,
        shown_limit=HEAT_AGENCIES)


@bp.route("/data/<chart>.<fmt>")
@roles(*READERS)
def chart_data(chart: str, fmt: str) -> ResponseReturnValue:
    if fmt not in FORMATS:
        abort(404)
    filters = read_filters(request)
    board = build(replace(filters, heat_all=True) if chart == "heatmap" else filters)
    if board.empty:
        abort(404)
    if chart == "headline":
        rows = [r for _, r in board.headline if r is not None]
    elif chart == "agencies":
        rows = board.agency_rates
    elif chart == "heatmap":
        rows = [cell.rate for row in board.heat_rows for cell in row.cells if cell is not None]
    elif chart == "trend":
        headers = ["Measure", *board.trend_periods]
        trend = [[label, *[None if v is None else labels.percent_figure(v.rate, v.target)
                           for v in values]]
                 for label, values in board.trend]
        name = exports.file_name("headline figures by cycle", filters.year)
        return exports.download(name, fmt, headers, trend)
    else:
        abort(404)
    what = {"headline": "headline figures",
            "agencies": f"{measure_title(filters.measure)} by agency",
            "heatmap": f"{filters.heat} criteria good or better by agency"}[chart]
    name = exports.file_name(what, board.period_label)
    return exports.download(name, fmt, exports.RATE_HEADERS,
                            list(exports.rate_rows(board.period_label, rows)))


@bp.route("/export/<kind>.<fmt>")
@roles(*READERS)
def export(kind: str, fmt: str) -> ResponseReturnValue:
    filters = read_filters(request)
    if fmt not in FORMATS or not filters.year:
        abort(404)
    period = filters.year
    if kind == "rates":
        board = build(filters)
        stored = rates(current_run(filters.period_kind, filters.period_key).id) \
            if not board.empty else []
        rows = exports.rate_rows(board.period_label, stored)
        headers, period = exports.RATE_HEADERS, board.period_label or period
    elif kind == "audits":
        rows, headers = exports.audit_rows(filters.year), exports.AUDIT_HEADERS
    elif kind == "agreement":
        board = build(filters)
        rows = list(exports.agreement_rows(board.agreement))  # read before the request commits
        headers, period = exports.AGREEMENT_HEADERS, board.period_label or period
    elif kind == "timeliness":
        rows = exports.timeliness_rows(*year_bounds(filters.year))
        headers = exports.TIMELINESS_HEADERS
    else:
        abort(404)
    if fmt == "csv":
        rows = stream_with_context(rows)
    return exports.download(exports.file_name(EXPORT_NAMES[kind], period), fmt, headers, rows)
