"""Everything one dashboard view shows, as plain rows, shared by the page and its downloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_login import current_user
from markupsafe import Markup

from qa_app.audits.cycles.models import Cycle
from qa_app.auth.models import Role
from qa_app.dashboard import charts, queries
from qa_app.dashboard.applicable import applies
from qa_app.dashboard.filters import Filters
from qa_app.dashboard.queries import HEADLINES
from qa_app.extensions import db
from qa_app.letters.queries import TrackerRow, cycle_tracker
from qa_app.register.models import Agency
from qa_app.reporting import measures as m
from qa_app.reporting.labels import describe, measure_title, percent_text, scope_label
from qa_app.reporting.models import AgreementSnapshot
from qa_app.reporting.operations import AggregationError, current_targets
from qa_app.reporting.queries import Rate, agreement_for, current_run, rates
from qa_app.standards.targets import Targets
from qa_app.surveys.periods import PeriodMeasures, period_measures

TREND_MEASURES = [m.PLANS, m.ADVICE, m.ON_TIME, m.CHILD_VOICE]
MAX_TREND_CYCLES = 8
HEAT_AGENCIES = 10
"""The heat map shows this many agencies, weakest first, unless all are asked for."""
PARTNERSHIP = "Whole partnership"
ACTIONS_NAMED = 5
"""Agencies named against each measure in the open actions table; the rest are counted."""
HEAT_BANDS = [("low", "▼"), ("mid", "◆"), ("high", "●")]
"""Below 60%, 60% to 79%, 80% or more: each band has a mark as well as a colour."""


@dataclass(frozen=True)
class HeatCell:
    """One criterion's rate for one agency, banded so the band shows as a mark, not only colour."""

    rate: Rate
    band: str
    mark: str
    text: str

    @classmethod
    def of(cls, rate: Rate | None) -> HeatCell | None:
        if rate is None or rate.rate is None:
            return None
        band, mark = HEAT_BANDS[0 if rate.rate < 60 else 1 if rate.rate < 80 else 2]
        return cls(rate, band, mark, percent_text(rate.rate))


@dataclass
class HeatRow:
    criterion: str
    cells: list[HeatCell | None]


@dataclass(frozen=True)
class ModerationRow:
    period: str
    finalised: int
    moderated: int

    @property
    def percent(self) -> float:
        return 100 * self.moderated / self.finalised if self.finalised else 0.0


@dataclass
class Dashboard:
    filters: Filters
    period_label: str = ""
    headline: list[tuple[str, Rate | None]] = field(default_factory=list)
    agency_rates: list[Rate] = field(default_factory=list)
    agency_chart: Markup | None = None
    trend_periods: list[str] = field(default_factory=list)
    trend: list[tuple[str, list[Rate | None]]] = field(default_factory=list)
    trend_provisional: list[list[bool]] = field(default_factory=list)
    min_n: int = 0
    trend_chart: Markup | None = None
    heat_agencies: list[str] = field(default_factory=list)
    heat_rows: list[HeatRow] = field(default_factory=list)
    heat_total: int = 0
    agreement: list[AgreementSnapshot | queries.PooledAgreement] = field(default_factory=list)
    agreement_pooled: bool = False
    moderation: list[ModerationRow] = field(default_factory=list)
    actions: list[queries.OpenActions] = field(default_factory=list)
    letters: list[tuple[str, list[TrackerRow]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.headline


def build(filters: Filters) -> Dashboard:
    board = Dashboard(filters)
    if not filters.year or not filters.period_key:
        return board
    run = current_run(filters.period_kind, filters.period_key)
    if run is None:
        return board
    cycles = {c.id: c for c in queries.cycles_in(filters.year)}
    board.period_label = cycles[filters.cycle_id].name if filters.cycle_id else filters.year
    cycle_runs = queries.cycle_runs()
    _headline(board, run.id)
    _agencies(board, run.id)
    _trend_and_moderation(board, run.id, cycle_runs)
    _heat(board, run.id)
    _agreement(board, run.id, cycle_runs)
    board.actions = queries.open_actions(filters.year, filters.agency_id, ACTIONS_NAMED)
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


def _who(board: Dashboard) -> dict[str, Any]:
    """The rows a view reads: the chosen agency's, or else the partnership's."""
    agency_id = board.filters.agency_id
    return {"agencies": [] if agency_id is None else [agency_id],
            "partnership": agency_id is None}


def _headline(board: Dashboard, run_id: int) -> None:
    rows = rates(run_id, measures={measure for measure, _, _ in HEADLINES}, **_who(board))
    found = {(r.measure, r.scope, r.breakdown): r for r in rows}
    board.headline = [(describe(*key), found.get(key)) for key in HEADLINES
                      if applies(key[0], board.filters.agency_kind)]


def _agencies(board: Dashboard, run_id: int) -> None:
    f = board.filters
    rows = rates(run_id, measures=[f.measure], scope=f.agency_scope, breakdown="")
    board.agency_rates = rows
    bars = [charts.Bar(r.agency or PARTNERSHIP, r.shown_rate, r.shown_low, r.shown_high,
                       r.target, r.rag, r.n) for r in rows]
    title = f"{describe(f.measure, f.agency_scope)} by agency, {board.period_label}"
    board.agency_chart = charts.rate_bars("agency-chart", title, bars)


def _trend_and_moderation(board: Dashboard, run_id: int,
                          cycle_runs: list[tuple[Cycle, int]]) -> None:
    """One read for the trend (the latest cycles) and the moderation counts (this year)."""
    year = board.filters.year
    recent = cycle_runs[-MAX_TREND_CYCLES:]
    this_year = [(cycle, run) for cycle, run in cycle_runs if cycle.academic_year == year]
    run_ids = {run for _, run in recent} | {run for _, run in this_year} | {run_id}
    rows = rates(run_ids, measures=[*TREND_MEASURES, m.MODERATED], scope="all",
                         breakdown="", **_who(board))
    found = {(r.run_id, r.measure): r for r in rows}
    board.trend_periods = [cycle.name for cycle, _ in recent]
    shown = [measure for measure in TREND_MEASURES if applies(measure, board.filters.agency_kind)]
    board.trend = [(measure_title(measure), [found.get((run, measure)) for _, run in recent])
                   for measure in shown]
    board.min_n = _min_n()
    board.trend_provisional = [
        [value is not None and (cycle.status == "open" or value.n < board.min_n)
         for (cycle, _), value in zip(recent, values, strict=True)]
        for _, values in board.trend]
    series = [charts.Series(label, [(p, v.shown_rate if v else None)
                                    for p, v in zip(board.trend_periods, values, strict=True)],
                            provisional)
              for (label, values), provisional in zip(board.trend, board.trend_provisional,
                                                      strict=True)]
    who = "the whole partnership" if board.filters.agency_id is None else "the agency"
    board.trend_chart = charts.trend_lines("trend-chart", f"Trend across cycles for {who}",
                                           board.trend_periods, series)
    periods = [(cycle.name, run) for cycle, run in this_year]
    if not board.filters.cycle_id:
        periods.append((f"Whole year {year}", run_id))
    for name, run in periods:
        if (counted := found.get((run, m.MODERATED))) is not None:
            board.moderation.append(ModerationRow(name, counted.n, counted.good))


def _heat(board: Dashboard, run_id: int) -> None:
    """Criteria by agency, beside the partnership (which agency leads never see). Unless all
    are asked for, only the agencies with the lowest share of criterion grades good or better
    are shown, weakest first; with an agency chosen, that agency alone."""
    f = board.filters
    if f.agency_id is not None:
        chosen = [f.agency_id]
    else:
        ranked = queries.heat_agencies(run_id, f.heat)
        board.heat_total = len(ranked)
        chosen = ranked if f.heat_all else ranked[:HEAT_AGENCIES]
    rows = rates(run_id, measures=[m.CRITERION], scope=f.heat, agencies=chosen)
    names = {r.agency_id: r.agency or PARTNERSHIP for r in rows}
    order = {agency_id: place for place, agency_id in enumerate(chosen)}
    columns = sorted(names, key=lambda a: (-1, "") if a is None else
                     ((0, names[a]) if f.heat_all else (order[a], "")))
    by_key = {(r.breakdown, r.agency_id): r for r in rows}
    board.heat_agencies = [names[a] for a in columns]
    board.heat_rows = [HeatRow(criterion.replace("_", " ").capitalize(),
                               [HeatCell.of(by_key.get((criterion, a))) for a in columns])
                       for criterion in sorted({r.breakdown for r in rows})]


def _min_n() -> int:
    """The fewest records a rate is judged on (targets rag.min_n); fewer is provisional."""
    try:
        return current_targets().min_n
    except AggregationError:
        return Targets(version="", targets=()).min_n


def _agreement(board: Dashboard, run_id: int, cycle_runs: list[tuple[Cycle, int]]) -> None:
    """A chosen cycle's agreement, or else every cycle of the year's added together."""
    f = board.filters
    if f.cycle_id:
        chosen = [run for cycle, run in cycle_runs if cycle.id == f.cycle_id]
        board.agreement = agreement_for(chosen[0], weakest_first=True) if chosen else []
        return
    year_runs = [run for cycle, run in cycle_runs if cycle.academic_year == f.year]
    board.agreement = list(queries.year_agreement(run_id, year_runs))
    board.agreement_pooled = any(a.cycles > 1 for a in board.agreement)


def survey_measures(filters: Filters) -> PeriodMeasures | None:
    """What families and practitioners say in the chosen year or cycle, for the chosen agency
    or the partnership, counted by the surveys feature."""
    if not filters.year:
        return None
    cycle = db.session.get(Cycle, filters.cycle_id) if filters.cycle_id else None
    agency = db.session.get(Agency, filters.agency_id) if filters.agency_id else None
    return period_measures(filters.year, cycle, agency)


__all__ = ["Dashboard", "build", "scope_label", "survey_measures"]
