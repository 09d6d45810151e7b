"""The figures' background jobs: recompute the rates, and recalculate what changes asked for."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from qa_app import jobs
from qa_app.extensions import db
from workers import RETRY


@shared_task(name="workers.tasks.aggregate", **RETRY)
def aggregate(
    period_kind: str | None = None,
    period_key: str | None = None,
    job_run_id: int | None = None,
) -> dict[str, Any]:
    """Recompute the rates of one period, or of every period; identical inputs change nothing."""
    from qa_app.reporting.operations import AggregationError, run_aggregation

    params = {"period_kind": period_kind, "period_key": period_key}
    run = jobs.start(job_run_id, "aggregate", params)
    try:
        result = run_aggregation(period_kind, period_key, job_run_id=run.id)
    except AggregationError as exc:
        db.session.rollback()
        jobs.fail(run, str(exc))
        return {"error": str(exc)}
    from qa_app.jobs.display import figures_message

    run.message = figures_message(result["periods"])
    jobs.finish(run, result)
    return result


@shared_task(name="workers.tasks.recalculate", **RETRY)
def recalculate(job_run_id: int | None = None) -> dict[str, Any]:
    """Recalculate just the periods that changes have asked for since their last run."""
    from qa_app.reporting.operations import AggregationError, run_aggregation
    from qa_app.reporting.periods import PeriodError, period_for
    from qa_app.reporting.recalculation import pending_periods

    run = jobs.start(job_run_id, "recalculate", {})
    wanted, everything = pending_periods()
    periods = []
    for kind, key in wanted:
        try:
            periods.append(period_for(kind, key))
        except PeriodError:
            continue  # a cycle removed since: its request goes with the next full run
    try:
        result = run_aggregation(periods=None if everything else periods, job_run_id=run.id)
    except AggregationError as exc:
        db.session.rollback()
        jobs.fail(run, str(exc))
        return {"error": str(exc)}
    labels = ", ".join(p["label"] for p in result["periods"]) or "nothing"
    run.message = f"Recalculated {labels}"
    jobs.finish(run, result)
    return result


@shared_task(name="workers.tasks.recalculate_pending")
def recalculate_pending() -> dict[str, Any]:
    """The scheduled check: recalculate when changes wait whose own start was lost (a broker
    that was down, a worker that died); a cheap look when nothing waits."""
    from qa_app.reporting.recalculation import pending_exists

    if not pending_exists():
        return {"pending": False}
    return recalculate(None)
