"""Run the aggregation: figures for each period, stored once per distinct set of figures.

Runs are serialised: a run takes the aggregation write lock first, then reads every
figure in one consistent snapshot taken after the previous run stored its own, so a run
never replaces a newer one and two runs at once store one result, the newer. Each
period's run is stored unless a run with the same figures exists (re-running changes
nothing; the latest run of a period is its current one); the pending recalculation
requests the run could see are removed, and the improvement actions are brought up to
date. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from qa_app import audit_log
from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.reporting import measures, run_lock, weighting
from qa_app.reporting.actions import sync_improvement_actions
from qa_app.reporting.agreement import gwet_ac1
from qa_app.reporting.figures import Agreement, Context, Count, Figures
from qa_app.reporting.models import (
    EVERY_PERIOD,
    AggregationRun,
    AgreementSnapshot,
    RateSnapshot,
    RecalculationRequest,
)
from qa_app.reporting.periods import Period, PeriodError, resolve_periods
from qa_app.reporting.queries import current_run
from qa_app.reporting.stats import percent, weighted_kappa, wilson_interval
from qa_app.standards.targets import Targets, is_complete_count, load_targets
from qa_app.standards.yaml_lines import RubricError
from qa_app.timeutil import utcnow

PAUSE_ENV = "EHCP_QA_TEST_PAUSE_SECONDS"
"""Test hook: seconds to sleep after each measure, so a test can kill a worker mid-run."""

READ_SETTINGS = ("work_mem = '64MB'", "jit = off")
"""For the aggregation's read-only transaction on PostgreSQL: its GROUP BYs scan whole
tables, where hashing in memory wins and compiling them just in time costs more than it
saves (see benchmarks/aggregation.py)."""


class AggregationError(ValueError):
    """The aggregation cannot run as asked; the message says why."""


@dataclass(frozen=True)
class PeriodOutcome:
    kind: str
    key: str
    label: str
    run_id: int
    status: str
    rates: int


def current_targets() -> Targets:
    path = Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml"
    try:
        return load_targets(path)
    except RubricError as exc:
        raise AggregationError(f"the targets file cannot be used:\n{exc}") from None


def run_aggregation(
    period_kind: str | None = None,
    period_key: str | None = None,
    *,
    cycle: str | None = None,
    year: str | None = None,
    periods: list[Period] | None = None,
    as_of: date | None = None,
    targets: Targets | None = None,
    job_run_id: int | None = None,
) -> dict[str, Any]:
    """Aggregate the named period, or the given cycle and/or academic year, or the given
    periods, or by default every period with something to report. Returns a JSON-ready
    summary."""
    as_of = as_of or date.today()
    targets = targets or current_targets()
    everything = periods is None and not (period_kind or period_key or cycle or year)
    if periods is None:
        try:
            periods = resolve_periods(period_kind, period_key, as_of, cycle=cycle, year=year)
        except PeriodError as exc:
            raise AggregationError(str(exc)) from None
    hold_write_lock()
    figures, seen_requests = read_figures(periods, targets, as_of, job_run_id,
                                          everything=everything)
    counts = figures.counts_by_period()
    outcomes = [store_period(period, counts.get(period.key, []), figures, targets, as_of)
                for period in periods]
    forget_requests(seen_requests)
    opened, closed = sync_improvement_actions(targets, as_of)
    return {
        "as_of": as_of.isoformat(),
        "targets_version": targets.version,
        "periods": [asdict(o) for o in outcomes],
        "actions_opened": opened,
        "actions_closed": closed,
    }


def context_for(periods: list[Period], targets: Targets, as_of: date) -> Context:
    return Context(tuple(periods), as_of, targets.transition_years,
                   7 * targets.assessment_deadline_weeks)


def read_figures(
    periods: list[Period], targets: Targets, as_of: date, job_run_id: int | None = None,
    *, everything: bool = False,
) -> tuple[Figures, list[int]]:
    """Every measure for every period (one set of GROUP BY queries covers them all), and the
    pending recalculation requests for those periods (and those for every period, when
    `everything`), read in the same snapshot."""
    steps = len(measures.STEPS)

    def after(done: int, name: str) -> None:
        report_progress(job_run_id, 5 + 85 * done // steps, f"Counted {name}")
        pause_for_tests()

    if not periods and not everything:
        return Figures(), []
    with consistent_reads() as conn:
        seen = pending_request_ids(conn, periods, everything)
        if not periods:  # nothing to report yet: the requests are still answered
            return Figures(), seen
        return measures.compute(conn, context_for(periods, targets, as_of), after), seen


def pending_request_ids(conn: Connection, periods: list[Period], everything: bool) -> list[int]:
    wanted = {(p.kind, p.key) for p in periods} | ({(EVERY_PERIOD, "")} if everything else set())
    rows = conn.execute(select(RecalculationRequest.id, RecalculationRequest.period_kind,
                               RecalculationRequest.period_key)).all()
    return [row.id for row in rows if (row.period_kind, row.period_key) in wanted]


def forget_requests(ids: list[int]) -> None:
    """The run counted every change these requests stood for."""
    for start in range(0, len(ids), 500):
        db.session.execute(
            delete(RecalculationRequest).where(RecalculationRequest.id.in_(ids[start:start + 500]))
        )


@contextmanager
def consistent_reads() -> Iterator[Connection]:
    """A read-only connection that sees one snapshot of the data for all its queries."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with conn.begin():
                for setting in READ_SETTINGS:
                    conn.exec_driver_sql(f"SET LOCAL {setting}")
                yield conn
            return
        with conn.begin():
            conn.exec_driver_sql("BEGIN")
            yield conn


def report_progress(job_run_id: int | None, percent_done: int, message: str) -> None:
    """Committed at once on its own connection, so the page shows it while the job runs.
    Best effort: a database busy with another writer only delays the next report."""
    if job_run_id is None or run_lock.holds_database_write_lock(db.engine.url.database,
                                                                 db.engine.dialect.name):
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(JobRun).where(JobRun.id == job_run_id)
                .values(progress=max(0, min(99, percent_done)), message=message,
                        heartbeat_at=utcnow())
            )
    except OperationalError:
        return


def pause_for_tests() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        time.sleep(float(seconds))


def hold_write_lock() -> None:
    """Serialise aggregation runs, from before their reads until the caller commits."""
    run_lock.hold(db.session())


def inputs_hash(period: Period, figures: Figures, targets: Targets) -> str:
    """A SHA-256 of every figure of the period, with what they were judged against: two runs
    share it exactly when they would show the same figures and statuses."""
    document = {
        "measures": measures.MEASURES_VERSION,
        "targets": judged_by(targets),
        "period": [period.kind, period.key, period.academic_year, period.start.isoformat(),
                   period.end.isoformat()],
        "figures": figures.canonical(period.key),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


NOT_IN_FIGURES = ("version", "content_hash", "response_deadline_working_days",
                  "consistently_late", "advice_deadline_days")
"""Settings of targets.yaml that no stored figure or status depends on (letters' response
deadline, the lateness rule for improvement actions, the deadline applied at import)."""


def judged_by(targets: Targets) -> dict[str, Any]:
    """What the figures and their statuses depend on in the targets file."""
    return {name: value for name, value in asdict(targets).items()
            if name not in NOT_IN_FIGURES}


def store_period(
    period: Period, counts: list[Count], figures: Figures, targets: Targets, as_of: date
) -> PeriodOutcome:
    """A new run when the figures are new; otherwise the existing run, made current again
    (safe: runs are serialised, so this run read the newest data)."""
    digest = inputs_hash(period, figures, targets)
    same = db.session.execute(
        select(AggregationRun).where(
            AggregationRun.period_kind == period.kind,
            AggregationRun.period_key == period.key,
            AggregationRun.inputs_hash == digest,
        )
    ).scalar_one_or_none()
    if same is not None:
        current = current_run(period.kind, period.key)
        status = "unchanged"
        same.as_of = as_of
        if current is not None and current.id != same.id:
            same.computed_at = utcnow()
            status = "restored"
            audit_log.record("aggregation.restored", "aggregation_run", same.id,
                             changes={"period": period.label, "replaces_run": current.id})
        count = db.session.scalar(
            select(func.count()).select_from(RateSnapshot).where(RateSnapshot.run_id == same.id)
        )
        return PeriodOutcome(period.kind, period.key, period.label, same.id, status, count or 0)
    run = AggregationRun(period_kind=period.kind, period_key=period.key, inputs_hash=digest,
                         targets_version=targets.version, computed_at=utcnow(), as_of=as_of)
    db.session.add(run)
    db.session.flush()
    rows = [snapshot_values(run.id, c, period, targets) for c in counts]
    weighting.add_weighted(rows, figures.weighted.get(period.key), targets.rag)
    insert_many(RateSnapshot.__table__, rows)
    agreement = [agreement_values(run.id, a)
                 for a in figures.agreement if a.period_key == period.key]
    insert_many(AgreementSnapshot.__table__, agreement)
    audit_log.record("aggregation.run", "aggregation_run", run.id,
                     changes={"period": period.label, "kind": period.kind, "rates": len(rows),
                              "inputs_hash": digest, "targets_version": targets.version})
    return PeriodOutcome(period.kind, period.key, period.label, run.id, "new", len(rows))


def insert_many(table: Table, rows: list[dict[str, Any]]) -> None:
    """Store many rows at once: COPY on PostgreSQL, else one executemany of Core INSERTs."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
        f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def snapshot_values(run_id: int, count: Count, period: Period, targets: Targets) -> dict:
    """A complete count (every record, not a sample) has no sampling interval to show."""
    rate = percent(count.good, count.n)
    low, high = (None, None) if is_complete_count(count.measure) else (
        wilson_interval(count.good, count.n) or (None, None))
    target = targets.target_for(count.measure, count.scope, period.academic_year)
    return {
        "run_id": run_id, "measure": count.measure, "scope": count.scope,
        "breakdown": count.breakdown, "agency_id": count.agency_id, "n": count.n,
        "good": count.good, "excluded": count.excluded, "rate": rate, "ci_low": low,
        "ci_high": high, "target": target,
        "rag": targets.rag(rate, low, high, target, measure=count.measure, good=count.good,
                           n=count.n),
    }


def agreement_values(run_id: int, row: Agreement) -> dict:
    return {
        "run_id": run_id, "rubric_id": row.rubric_id, "criterion_id": row.criterion_id,
        "pairs": row.pairs, "agreed": row.agreed, "exact_rate": percent(row.agreed, row.pairs),
        "kappa": weighted_kappa(row.pairs, row.sum_first, row.sum_second, row.squares_first,
                                row.squares_second, row.squared_differences),
        "ac1": gwet_ac1(row.cells, row.categories),
    }
