"""Whether the stored figures of a period still describe the data as it is now.

Letters and other permanent documents ask this before they are built or issued: the
period is counted again from the data (as of the same day as the stored run) and its
hash compared with the stored run's. Any difference, whatever its cause (a grade changed
and not yet recalculated, a register import, a new targets file), is named.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting import labels
from qa_app.reporting.models import AggregationRun, RateSnapshot
from qa_app.reporting.operations import current_targets, inputs_hash, read_figures
from qa_app.reporting.periods import CYCLE, cycle_period
from qa_app.reporting.queries import current_run
from qa_app.timeutil import format_datetime

MAX_NAMED = 3


def stale_reason(cycle_id: int) -> str | None:
    """None when the cycle's current stored figures equal a recount of the data now;
    otherwise a sentence naming what changed since they were calculated (or that none
    have been calculated yet)."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        return f"There is no audit cycle with id {cycle_id}."
    run = current_run(CYCLE, str(cycle.id))
    if run is None:
        return f"No figures have been calculated for {cycle.name} yet."
    period = cycle_period(cycle)
    targets = current_targets()
    figures, _ = read_figures([period], targets, run.as_of or date.today())
    if inputs_hash(period, figures, targets) == run.inputs_hash:
        return None
    now = {(c.measure, c.scope, c.breakdown, c.agency_id): (c.good, c.n)
           for c in figures.counts if c.period_key == period.key}
    differences = _differences(run, now)
    when = format_datetime(run.computed_at)
    if not differences:
        what = "the targets or the agreement between auditors changed"
    else:
        what = "; ".join(differences[:MAX_NAMED])
        if len(differences) > MAX_NAMED:
            what += f"; and {len(differences) - MAX_NAMED} more"
    return (f"The figures for {cycle.name} were calculated at {when} and no longer match "
            f"the data: {what}.")


def _differences(run: AggregationRun, now: dict[tuple, tuple[int, int]]) -> list[str]:
    stored = {
        (row.measure, row.scope, row.breakdown, row.agency_id): (row.good, row.n)
        for row in db.session.execute(
            select(RateSnapshot.measure, RateSnapshot.scope, RateSnapshot.breakdown,
                   RateSnapshot.agency_id, RateSnapshot.good, RateSnapshot.n)
            .where(RateSnapshot.run_id == run.id)
        )
    }
    names = {row.id: row.name for row in db.session.execute(select(Agency.id, Agency.name))}
    lines = []
    for key in sorted(set(stored) | set(now), key=_order):
        before, after = stored.get(key, (0, 0)), now.get(key, (0, 0))
        if before == after:
            continue
        measure, scope, breakdown, agency_id = key
        title = labels.measure_title(measure)
        if scope != "all":
            title += f" ({labels.SCOPE_LABELS.get(scope, scope)})"
        who = names.get(agency_id, "the partnership") if agency_id else "the partnership"
        lines.append(f"{title} for {who} was {before[0]} of {before[1]} and is now "
                     f"{after[0]} of {after[1]}")
    return lines


def _order(key: tuple) -> tuple:
    measure, scope, breakdown, agency_id = key
    rank = (labels.MEASURE_ORDER.index(measure) if measure in labels.MEASURE_ORDER
            else len(labels.MEASURE_ORDER))
    return (agency_id is not None, rank, scope != "all", scope, breakdown, agency_id or 0)
