"""Everything one dashboard view shows, as plain rows, shared by the page and its downloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_login import current_user
from markupsafe import Markup

from qa_app.auth.models import Role
from qa_app.dashboard import charts, queries
from qa_app.dashboard.filters import Filters
from qa_app.dashboard.queries import HEADLINES, Rate
from qa_app.letters.queries import TrackerRow, cycle_tracker
from qa_app.reporting import measures as m
from qa_app.reporting.labels import describe, measure_title, scope_label
from qa_app.reporting.models import AgreementSnapshot
from qa_app.reporting.queries import improvement_actions

TREND_MEASURES = [(m.PLANS, "all"), (m.ADVICE, "all"), (m.ON_TIME, "all"), (m.CHILD_VOICE, "all")]
MAX_TREND_CYCLES = 8


@dataclass
class HeatRow:
    criterion: str
    cells: list[Rate | None]


@dataclass
class Dashboard:
    filters: Filters
    period_label: str = ""
    headline: list[tuple[str, Rate | None]] = field(default_factory=list)
    agency_rates: list[Rate] = field(default_factory=list)
    agency_chart: Markup | None = None
    trend_periods: list[str] = field(default_factory=list)
    trend: list[tuple[str, list[Rate | None]]] = field(default_factory=list)
    trend_chart: Markup | None = None
    heat_agencies: list[str] = field(default_factory=list)
    heat_rows: list[HeatRow] = field(default_factory=list)
    agreement: list[AgreementSnapshot] = field(default_factory=list)
    moderation: list[tuple[str, int, int]] = field(default_factory=list)
    actions: list = field(default_factory=list)
    letters: list[tuple[str, list[TrackerRow]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.headline


def build(filters: Filters) -> Dashboard:
    board = Dashboard(filters)
    if not filters.year or not filters.period_key:
        return board
    run = queries.run_for(filters.period_kind, filters.period_key)
    if run is None:
        return board
    cycles = {c.id: c for c in queries.cycles_in(filters.year)}
    board.period_label = cycles[filters.cycle_id].name if filters.cycle_id else filters.year
    _headline(board, run.id)
    _agencies(board, run.id)
    _trend(board)
    _heat(board, run.id)
    cycle_run = _latest_cycle_run(filters, cycles)
    board.agreement = queries.agreement(cycle_run) if cycle_run else []
    board.moderation = queries.moderation_counts(filters.year)
    board.actions = [(a, name) for a, name in improvement_actions("open")
                     if a.academic_year == filters.year]
    board.letters = _letters(filters, cycles)
    return board


def _letters(filters: Filters, cycles: dict) -> list[tuple[str, list[TrackerRow]]]:
    """Each cycle's letters and where its response stands; agency leads see issued ones only."""
    today = date.today()
    leads_only_issued = current_user.role == Role.AGENCY_LEAD
    out = []
    for cycle in sorted(cycles.values(), key=lambda c: c.start_date):
        if filters.cycle_id and cycle.id != filters.cycle_id:
            continue
        rows = [r for r in cycle_tracker(cycle.id, today)
                if (r.issued is not None or not leads_only_issued)
                and (filters.agency_id is None or r.latest.agency_id == filters.agency_id)]
        if rows:
            out.append((cycle.name, rows))
    return out


def _pick(rows: list[Rate], agency_id: int | None) -> Rate | None:
    for row in rows:
        if row.agency_id == agency_id:
            return row
    return None


def _headline(board: Dashboard, run_id: int) -> None:
    agency_id = board.filters.agency_id
    for measure, scope, breakdown in HEADLINES:
        rows = queries.rates(run_id, measure=measure, scope=scope, breakdown=breakdown,
                             agency_id=agency_id, partnership_only=agency_id is None)
        board.headline.append((describe(measure, scope, breakdown), _pick(rows, agency_id)))


def _agencies(board: Dashboard, run_id: int) -> None:
    f = board.filters
    rows = queries.rates(run_id, measure=f.measure, scope=f.agency_scope, breakdown="")
    board.agency_rates = rows
    bars = [charts.Bar(r.agency or "Whole partnership", r.rate, r.low, r.high, r.target, r.rag,
                       r.n) for r in rows]
    title = f"{describe(f.measure, f.agency_scope)} by agency, {board.period_label}"
    board.agency_chart = charts.rate_bars("agency-chart", title, bars)


def _trend(board: Dashboard) -> None:
    agency_id = board.filters.agency_id
    cycles = [c for year in reversed(queries.academic_years()) for c in queries.cycles_in(year)]
    runs = [(c.name, queries.run_for("cycle", str(c.id))) for c in cycles]
    runs = [(name, run) for name, run in runs if run is not None][-MAX_TREND_CYCLES:]
    board.trend_periods = [name for name, _ in runs]
    for measure, scope in TREND_MEASURES:
        values = []
        for _, run in runs:
            rows = queries.rates(run.id, measure=measure, scope=scope, breakdown="",
                                 agency_id=agency_id, partnership_only=agency_id is None)
            values.append(_pick(rows, agency_id))
        board.trend.append((measure_title(measure), values))
    series = [charts.Series(label, [(p, v.rate if v else None)
                                    for p, v in zip(board.trend_periods, values, strict=True)])
              for label, values in board.trend]
    who = "the whole partnership" if agency_id is None else "the agency"
    board.trend_chart = charts.trend_lines("trend-chart", f"Trend across cycles for {who}",
                                           board.trend_periods, series)


def _heat(board: Dashboard, run_id: int) -> None:
    rows = queries.rates(run_id, measure=m.CRITERION, scope=board.filters.heat)
    agencies = sorted({r.agency for r in rows if r.agency_id is not None})
    if board.filters.agency_id is None:
        agencies = ["Whole partnership", *agencies]
    by_key = {(r.breakdown, r.agency or "Whole partnership"): r for r in rows}
    board.heat_agencies = agencies
    for criterion in sorted({r.breakdown for r in rows}):
        cells = [by_key.get((criterion, agency)) for agency in agencies]
        board.heat_rows.append(HeatRow(criterion, cells))


def _latest_cycle_run(filters: Filters, cycles: dict) -> int | None:
    chosen = [filters.cycle_id] if filters.cycle_id else sorted(
        cycles, key=lambda cid: cycles[cid].start_date, reverse=True)
    for cycle_id in chosen:
        run = queries.run_for("cycle", str(cycle_id))
        if run is not None:
            return run.id
    return None


__all__ = ["Dashboard", "build", "scope_label"]
