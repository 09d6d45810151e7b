"""Improvement actions: opened once when an agency is below target (red) for an academic
year, or consistently late with advice; closed with a note when it recovers.

An action opened at red closes only when the rate is back at or above target (green), so
a rate hovering near the line does not open and close an action on every run. Both need
at least the targets' `min_n` records: a handful of records is no evidence either way, and
a rate that is too small to judge, or missing, never closes an action. Every opening and
closing is written to the audit log.

An action someone has asked to close (`closing`) closes here too once its figure recovers;
`recovery` says whether it has, for the action page. An action the manager closed anyway is
not opened again for the same agency, measure and year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.reporting import measures
from qa_app.reporting.figures import Context
from qa_app.reporting.labels import describe, interval_text, percent_text
from qa_app.reporting.models import AggregationRun, ImprovementAction, RateSnapshot
from qa_app.reporting.periods import ACADEMIC_YEAR, cycle_period
from qa_app.reporting.queries import current_runs
from qa_app.standards.targets import Targets
from qa_app.timeutil import utcnow

LATE_SCOPE = "consistently_late"

Key = tuple[int, str, str, str]


def sync_improvement_actions(targets: Targets, as_of: date) -> tuple[int, int]:
    """Bring every action up to date with the current figures; returns (opened, closed)."""
    opened, closed = _sync_rates_below_target(targets)
    late_opened, late_closed = _sync_lateness(targets, as_of)
    return opened + late_opened, closed + late_closed


def _closed_by_manager() -> set[Key]:
    rows = db.session.execute(
        select(ImprovementAction.agency_id, ImprovementAction.measure, ImprovementAction.scope,
               ImprovementAction.academic_year)
        .where(ImprovementAction.status == "closed", ImprovementAction.closed_by_id.is_not(None))
    ).all()
    return {tuple(row) for row in rows}  # type: ignore[misc]


def _open_actions(late: bool) -> dict[Key, ImprovementAction]:
    query = select(ImprovementAction).where(ImprovementAction.status != "closed")
    scope_is_late = ImprovementAction.scope == LATE_SCOPE
    query = query.where(scope_is_late if late else ~scope_is_late)
    return {
        (a.agency_id, a.measure, a.scope, a.academic_year): a
        for a in db.session.execute(query).scalars()
    }


def _open(opening: list[tuple[Key, str]]) -> int:
    """Add the actions in one batch, then write an audit-log entry for each."""
    actions = [
        ImprovementAction(agency_id=agency_id, measure=measure, scope=scope, academic_year=year,
                          status="open", reason=reason, opened_at=utcnow())
        for (agency_id, measure, scope, year), reason in opening
    ]
    db.session.add_all(actions)
    db.session.flush()
    for action in actions:
        audit_log.record("improvement_action.opened", "improvement_action", action.id,
                         changes={"agency_id": action.agency_id, "measure": action.measure,
                                  "scope": action.scope, "academic_year": action.academic_year},
                         reason=action.reason)
    return len(actions)


def close(action: ImprovementAction, note: str) -> None:
    from qa_app.improvement.models import ImprovementNote

    was = action.status
    action.status = "closed"
    action.closed_at = utcnow()
    action.closing_note = note
    db.session.add(ImprovementNote(action_id=action.id, author_id=None, kind="closed",
                                   text=note, written_at=action.closed_at))
    audit_log.record("improvement_action.closed", "improvement_action", action.id,
                     changes={"status": [was, "closed"]}, reason=note)


def _rate_text(s: RateSnapshot) -> str:
    interval = ""
    if s.ci_low is not None and s.ci_high is not None:
        interval = f"; 95% interval {interval_text(s.ci_low, s.ci_high)}"
    return f"{percent_text(s.rate, s.target)} ({s.good} of {s.n}{interval}) against a " \
           f"target of {percent_text(s.target)}"


def _sync_rates_below_target(targets: Targets) -> tuple[int, int]:
    years = {r.id: r.period_key for r in db.session.execute(current_runs(ACADEMIC_YEAR)).scalars()}
    if not years:
        return 0, 0
    snapshots = db.session.execute(
        select(RateSnapshot).where(
            RateSnapshot.run_id.in_(list(years)),
            RateSnapshot.agency_id.is_not(None),
            RateSnapshot.breakdown == "",
            RateSnapshot.target.is_not(None),
        )
    ).scalars()
    current = {(s.agency_id, s.measure, s.scope, years[s.run_id]): s for s in snapshots}
    open_now = _open_actions(late=False)
    settled = _closed_by_manager()
    opened = _open([
        (key, f"{describe(s.measure, s.scope)} in {key[3]}: {_rate_text(s)}.")
        for key, s in sorted(current.items(), key=lambda item: item[0])
        if s.rag == "red" and targets.enough_to_act(s.n) and key not in open_now
        and key not in settled
    ])
    closed = 0
    for key, action in open_now.items():
        agency_id, measure, scope, year = key
        if year not in years.values():
            continue
        snapshot = current.get(key)
        if snapshot is None and targets.target_for(measure, scope, year) is None:
            close(action, f"The {year} figures no longer set a target for this rate.")
        elif (snapshot is not None and snapshot.rag == "green"
              and targets.enough_to_act(snapshot.n)):
            close(action, f"Recovered in {year}: {_rate_text(snapshot)}.")
        else:
            continue
        closed += 1
    return opened, closed


def _sync_lateness(targets: Targets, as_of: date) -> tuple[int, int]:
    """Consistently late: the on-time rate of the most recent ended cycles, by the rule in
    targets.yaml, counted by the same SQL as the advice_on_time measure."""
    rule = targets.consistently_late
    window, counted = _lateness_counts(targets, as_of)
    open_now = {key[0]: action for key, action in _open_actions(late=True).items()}
    settled = _closed_by_manager()
    agencies = {agency_id for agency_id, _ in counted} | set(open_now)
    opening: list[tuple[Key, str]] = []
    closed = 0
    for agency_id in sorted(agencies):
        recent = [counted.get((agency_id, p.key), (0, 0)) for p in window]
        summary = "; ".join(
            f"{p.label}: {good} of {n} on time" for p, (good, n) in zip(window, recent, strict=True)
        )
        late = targets.is_consistently_late(recent)
        key = (agency_id, measures.ON_TIME, LATE_SCOPE, window[-1].academic_year) \
            if window else (agency_id, measures.ON_TIME, LATE_SCOPE, "")
        if late and agency_id not in open_now and key not in settled:
            opening.append((key, f"Advice consistently late: under "
                                 f"{rule.on_time_rate_below:g}% on time in {rule.cycles} "
                                 f"cycles in a row ({summary})."))
        elif not late and agency_id in open_now and rule.recovered(recent):
            close(open_now[agency_id], f"No longer consistently late ({summary}).")
            closed += 1
    return _open(opening), closed


def _lateness_counts(targets: Targets, as_of: date
                     ) -> tuple[list, dict[tuple[int, str], tuple[int, int]]]:
    """The most recent ended cycles the lateness rule looks at, and each agency's on-time
    count (good, n) in each of them."""
    ended = db.session.execute(
        select(Cycle).where(Cycle.end_date < as_of).order_by(Cycle.start_date, Cycle.id)
    ).scalars().all()
    window = [cycle_period(c) for c in ended[-targets.consistently_late.cycles:]]
    counted: dict[tuple[int, str], tuple[int, int]] = {}
    if window:
        ctx = Context(tuple(window), as_of, targets.transition_years,
                      7 * targets.assessment_deadline_weeks)
        for c in measures.advice_on_time(db.session.connection(), ctx).counts:
            if c.agency_id is not None:
                counted[(c.agency_id, c.period_key)] = (c.good, c.n)
    return window, counted


@dataclass(frozen=True)
class Recovery:
    """Whether an action's figure has recovered, and the figure in words."""

    recovered: bool
    text: str


def recovery(action: ImprovementAction, targets: Targets, as_of: date) -> Recovery:
    """The rule that closes an action, applied to one action now: its current figure is at
    or above target on at least `min_n` records (or its advice is no longer late)."""
    if action.scope == LATE_SCOPE:
        window, counted = _lateness_counts(targets, as_of)
        recent = [counted.get((action.agency_id, p.key), (0, 0)) for p in window]
        summary = "; ".join(f"{p.label}: {good} of {n} on time"
                            for p, (good, n) in zip(window, recent, strict=True))
        ok = bool(window) and not targets.is_consistently_late(recent) \
            and targets.consistently_late.recovered(recent)
        if ok:
            return Recovery(True, f"No longer consistently late ({summary}).")
        return Recovery(False, f"Advice is still late ({summary or 'no ended cycle yet'}).")
    run = db.session.execute(
        current_runs(ACADEMIC_YEAR).where(
            AggregationRun.period_key == action.academic_year)
    ).scalars().first()
    snapshot = None if run is None else db.session.execute(
        select(RateSnapshot).where(
            RateSnapshot.run_id == run.id, RateSnapshot.agency_id == action.agency_id,
            RateSnapshot.measure == action.measure, RateSnapshot.scope == action.scope,
            RateSnapshot.breakdown == "")
    ).scalars().first()
    if snapshot is None:
        return Recovery(False, f"There is no current figure for {action.academic_year} yet.")
    if snapshot.rag == "green" and targets.enough_to_act(snapshot.n):
        return Recovery(True, f"Recovered in {action.academic_year}: {_rate_text(snapshot)}.")
    if not targets.enough_to_act(snapshot.n):
        return Recovery(False, f"{_rate_text(snapshot)}: fewer than {targets.min_n} records, "
                               "too few to show it has recovered.")
    return Recovery(False, f"{_rate_text(snapshot)}: not yet at the target.")
