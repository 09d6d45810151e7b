"""GET-only JSON endpoints: the same figures and the same agency scoping as the pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, String, cast, func, select

from qa_app.api.openapi import openapi_document
from qa_app.audits.cycles.models import Cycle
from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, public, roles
from qa_app.auth.models import Role
from qa_app.dashboard.queries import academic_years
from qa_app.extensions import csrf, db
from qa_app.inputs import ascii_int
from qa_app.register.models import Agency
from qa_app.reporting.labels import percent_text, status, status_words
from qa_app.reporting.models import AggregationRun, AgreementSnapshot, RateSnapshot
from qa_app.reporting.periods import CYCLE as CYCLE_PERIOD
from qa_app.reporting.queries import current_runs
from qa_app.standards.targets import is_academic_year, load_targets
from qa_app.surveys.figures import MEASURE as FAMILY_MEASURE
from qa_app.surveys.figures import Share
from qa_app.surveys.periods import PeriodMeasures, period_measures

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_PER_PAGE = 500
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1
DEFAULT_PER_PAGE = 100
YEAR_FORMAT = re.compile(r"[0-9]{4}/[0-9]{2}")


class BadParameter(ValueError):
    pass


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> ResponseReturnValue:
    return jsonify(error="bad_request", message=str(error)), 400


def _int_arg(name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = ascii_int(raw)
    if value is None:
        raise BadParameter(f"{name} must be a whole number")
    if value < low or (high is not None and value > high):
        upper = f" and {high}" if high is not None else ""
        raise BadParameter(f"{name} must be between {low}{upper}" if upper else
                           f"{name} must be at least {low}")
    return value


def _page(query: Select[Any], serialise: Any) -> dict[str, Any]:
    page = _int_arg("page", 1, 1, MAX_PAGE) or 1
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    following = None
    if page * per_page < (total or 0):
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        following = url_for(request.endpoint or "api.rates", _external=False, **args)
    return {"data": [serialise(row) for row in rows], "page": page, "per_page": per_page,
            "total": total or 0, "next": following}


@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.get("/agencies")
@roles(*ALL_ROLES)
def agencies() -> ResponseReturnValue:
    query = select(Agency).order_by(Agency.name, Agency.id)
    return jsonify(_page(query, lambda row: {"id": row[0].id, "name": row[0].name,
                                              "type": row[0].type}))


@bp.get("/cycles")
@roles(*ALL_ROLES)
def cycles() -> ResponseReturnValue:
    query = select(Cycle).order_by(Cycle.start_date.desc(), Cycle.id.desc())
    return jsonify(_page(query, lambda row: {
        "id": row[0].id, "name": row[0].name, "start_date": row[0].start_date.isoformat(),
        "end_date": row[0].end_date.isoformat(), "academic_year": row[0].academic_year,
        "status": row[0].status}))


@bp.get("/targets")
@roles(*ALL_ROLES)
def targets() -> ResponseReturnValue:
    loaded = load_targets(Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml")
    data = [
        {"measure": t.measure, "scope": t.scope, "academic_year": year, "target": value}
        for t in loaded.targets
        for year, value in sorted(t.by_year.items())
    ]
    return jsonify({"data": data, "advice_deadline_days": loaded.advice_deadline_days,
                    "assessment_deadline_weeks": loaded.assessment_deadline_weeks,
                    "transition_years": list(loaded.transition_years),
                    "amber_margin_points": loaded.amber_margin_points,
                    "min_n": loaded.min_n})


@bp.get("/rates")
@roles(*ALL_ROLES)
def rates() -> ResponseReturnValue:
    runs = current_runs().subquery()
    query = (
        select(RateSnapshot, runs.c.period_kind, runs.c.period_key, runs.c.computed_at,
               Agency.name)
        .join(runs, runs.c.id == RateSnapshot.run_id)
        .outerjoin(Agency, Agency.id == RateSnapshot.agency_id)
        .order_by(runs.c.period_kind, runs.c.period_key, RateSnapshot.measure,
                  RateSnapshot.scope, RateSnapshot.breakdown, RateSnapshot.agency_id.is_not(None),
                  Agency.name, RateSnapshot.id)
    )
    kind = request.args.get("period_kind")
    if kind:
        if kind not in {"cycle", "academic_year"}:
            raise BadParameter("period_kind must be cycle or academic_year")
        query = query.where(runs.c.period_kind == kind)
    for name, column in (("period", runs.c.period_key), ("measure", RateSnapshot.measure),
                         ("scope", RateSnapshot.scope)):
        if request.args.get(name):
            query = query.where(column == request.args[name])
    agency_id = _int_arg("agency_id", None, 1, MAX_ID)
    if agency_id is not None:
        query = query.where(RateSnapshot.agency_id == agency_id)
    return jsonify(_page(query, _rate_json))


def _rate_json(row: Any) -> dict[str, Any]:
    snapshot, kind, key, computed_at, agency_name = row
    return {
        "period_kind": kind, "period": key, "computed_at": computed_at.isoformat() + "Z",
        "measure": snapshot.measure, "scope": snapshot.scope, "breakdown": snapshot.breakdown,
        "agency_id": snapshot.agency_id, "agency": agency_name, "n": snapshot.n,
        "good": snapshot.good, "rate": snapshot.rate, "ci_low": snapshot.ci_low,
        "ci_high": snapshot.ci_high, "target": snapshot.target, "rag": snapshot.rag,
        "weighted_rate": snapshot.weighted_rate, "weighted_ci_low": snapshot.weighted_low,
        "weighted_ci_high": snapshot.weighted_high,
        "status": status(snapshot.rag, snapshot.target),
        "status_text": status_words(snapshot.rag, snapshot.target),
    }


@bp.get("/agreement")
@roles(Role.ADMIN, Role.QI_MANAGER, Role.PANEL_CHAIR, Role.AUDITOR)
def agreement() -> ResponseReturnValue:
    """Agreement between two panel auditors per cycle and criterion, from each cycle's
    current figures: weighted kappa and Gwet's AC1 side by side."""
    runs = current_runs(CYCLE_PERIOD).subquery()
    query = (
        select(AgreementSnapshot, Cycle.id, Cycle.name, runs.c.computed_at)
        .join(runs, runs.c.id == AgreementSnapshot.run_id)
        .join(Cycle, cast(Cycle.id, String) == runs.c.period_key)
        .order_by(Cycle.start_date, Cycle.id, AgreementSnapshot.rubric_id,
                  AgreementSnapshot.criterion_id, AgreementSnapshot.id)
    )
    cycle_id = _int_arg("cycle_id", None, 1, MAX_ID)
    if cycle_id is not None:
        query = query.where(Cycle.id == cycle_id)
    return jsonify(_page(query, _agreement_json))


def _agreement_json(row: Any) -> dict[str, Any]:
    snapshot, cycle_id, cycle_name, computed_at = row
    return {
        "cycle_id": cycle_id, "cycle": cycle_name, "computed_at": computed_at.isoformat() + "Z",
        "rubric_id": snapshot.rubric_id, "criterion_id": snapshot.criterion_id,
        "pairs": snapshot.pairs, "agreed": snapshot.agreed, "exact_rate": snapshot.exact_rate,
        "kappa": snapshot.kappa, "ac1": snapshot.ac1,
    }


@bp.get("/surveys/measures")
@roles(*STAFF)
def survey_measures() -> ResponseReturnValue:
    """What families and practitioners say in a year or cycle, as the dashboard shows it; for
    those who may see survey results only, and never a written or single answer."""
    year = request.args.get("year") or None
    if year is not None and not YEAR_FORMAT.fullmatch(year):
        raise BadParameter("year must be an academic year such as 2025/26")
    if year is not None and not (is_academic_year(year) and 2000 <= int(year[:4]) < 2100):
        abort(404, "There is no such academic year.")
    cycle_id = _int_arg("cycle_id", None, 1, MAX_ID)
    cycle = get_visible_or_404(Cycle, cycle_id) if cycle_id is not None else None
    year = year or (cycle.academic_year if cycle else next(iter(academic_years()), None))
    if year is None:
        abort(404, "No academic year has figures yet: give a year.")
    if cycle is not None and cycle.academic_year != year:
        abort(404, "There is no such cycle in that academic year.")
    agency_id = _int_arg("agency_id", None, 1, MAX_ID)
    agency = get_visible_or_404(Agency, agency_id) if agency_id is not None else None
    return jsonify(_measures_json(period_measures(year, cycle, agency)))


def _share_json(share: Share, target: float | None = None) -> dict[str, Any]:
    """Below min_n only the number of answers: no rate and no count of good answers."""
    return {"n": share.n, "good": share.good if share.shown else None,
            "rate": float(share.percent) if share.percent is not None else None,
            "rate_text": percent_text(share.percent, target) if share.shown else None}


def _measures_json(found: PeriodMeasures) -> dict[str, Any]:
    family, staff = found.family, found.practitioner
    return {
        "academic_year": found.academic_year, "cycle_id": found.cycle_id,
        "period": found.period_label, "agency_id": found.agency_id,
        "agency": found.agency_name, "min_n": found.min_n,
        "family": {"measure": FAMILY_MEASURE, **_share_json(family.share, family.target),
                   "target": family.target, "provisional": family.provisional,
                   "status": family.status, "status_text": family.status_text},
        "practitioner": None if staff is None else {
            "run_id": staff.run_id, "run": staff.run_name,
            "closes_on": staff.closes_on.isoformat(), **_share_json(staff.share),
            "still_open": staff.still_open, "provisional": staff.provisional},
        "results_url": url_for("surveys.results", **found.results_args()),
    }


__all__ = ["bp", "AggregationRun"]
