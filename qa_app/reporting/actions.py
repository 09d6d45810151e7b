"""Improvement actions: opened once when an agency is below target (red) for an academic
year, or consistently late with advice; closed with a note when it recovers.

An action opened at red closes only when the rate is back at or above target (green), so
a rate hovering near the line does not open and close an action on every run. Both need
at least the targets' `min_n` records: a handful of records is no evidence either way, and
a rate that is too small to judge, or missing, never closes an action. Every opening and
closing is written to the audit log.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.reporting import measures
from qa_app.reporting.figures import Context
from qa_app.reporting.labels import describe, interval_text, percent_text
from qa_app.reporting.models import ImprovementAction, RateSnapshot
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


def _open_actions(late: bool) -> dict[Key, ImprovementAction]:
    query = select(ImprovementAction).where(ImprovementAction.status == "open")
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


def _close(action: ImprovementAction, note: str) -> None:
    action.status = "closed"
    action.closed_at = utcnow()
    action.closing_note = note
    audit_log.record("improvement_action.closed", "improvement_action", action.id,
                     changes={"status": ["open", "closed"]}, reason=note)


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
    opened = _open([
        (key, f"{describe(s.measure, s.scope)} in {key[3]}: {_rate_text(s)}.")
        for key, s in sorted(current.items(), key=lambda item: item[0])
        if s.rag == "red" and targets.enough_to_act(s.n) and key not in open_now
    ])
    closed = 0
    for key, action in open_now.items():
        agency_id, measure, scope, year = key
        if year not in years.values():
            continue
        snapshot = current.get(key)
        if snapshot is None and targets.target_for(measure, scope, year) is None:
            _close(action, f"The {year} figures no longer set a target for this rate.")
        elif (snapshot is not None and snapshot.rag == "green"
              and targets.enough_to_act(snapshot.n)):
            _close(action, f"Recovered in {year}: {_rate_text(snapshot)}.")
        else:
            continue
        closed += 1
    return opened, closed


def _sync_lateness(targets: Targets, as_of: date) -> tuple[int, int]:
    """Consistently late: the on-time rate of the most recent ended cycles, by the rule in
    targets.yaml, counted by the same SQL as the advice_on_time measure."""
    rule = targets.consistently_late
    ended = db.session.execute(
        select(Cycle).where(Cycle.end_date < as_of).order_by(Cycle.start_date, Cycle.id)
    ).scalars().all()
    window = [cycle_period(c) for c in ended[-rule.cycles:]]
    open_now = {key[0]: action for key, action in _open_actions(late=True).items()}
    counted: dict[tuple[int, str], tuple[int, int]] = {}
    if window:
        ctx = Context(tuple(window), as_of, targets.transition_years,
                      7 * targets.assessment_deadline_weeks)
        for c in measures.advice_on_time(db.session.connection(), ctx).counts:
            if c.agency_id is not None:
                counted[(c.agency_id, c.period_key)] = (c.good, c.n)
    agencies = {agency_id for agency_id, _ in counted} | set(open_now)
    opening: list[tuple[Key, str]] = []
    closed = 0
    for agency_id in sorted(agencies):
        recent = [counted.get((agency_id, p.key), (0, 0)) for p in window]
        summary = "; ".join(
            f"{p.label}: {good} of {n} on time" for p, (good, n) in zip(window, recent, strict=True)
        )
        late = targets.is_consistently_late(recent)
        if late and agency_id not in open_now:
            key = (agency_id, measures.ON_TIME, LATE_SCOPE, window[-1].academic_year)
            opening.append((key, f"Advice consistently late: under "
                                 f"{rule.on_time_rate_below:g}% on time in {rule.cycles} "
                                 f"cycles in a row ({summary})."))
        elif not late and agency_id in open_now and rule.recovered(recent):
            _close(open_now[agency_id], f"No longer consistently late ({summary}).")
            closed += 1
    return _open(opening), closed
