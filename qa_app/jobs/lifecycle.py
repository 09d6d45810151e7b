"""The steps of a job's life as its task sees them: start, progress, heartbeat, end.

A task flushes these into its own transaction; `heartbeat` and `note` commit at once on their
own connection, so a person sees the job move (and the stall check sees it alive) while the
task's own transaction is still open.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from qa_app.extensions import db
from qa_app.jobs.models import JobRun
from qa_app.timeutil import utcnow

log = logging.getLogger(__name__)


def enqueue_record(job: str, params: dict[str, Any], *, origin: str = "command",
                   started_by_id: int | None = None) -> JobRun:
    """Create the visible 'queued' row before handing the job to a worker."""
    run = JobRun(job=job, params=params, status="queued", attempts=1, heartbeat_at=utcnow(),
                 origin=origin, started_by_id=started_by_id)
    db.session.add(run)
    db.session.flush()
    return run


def start(run_id: int | None, job: str, params: dict[str, Any]) -> JobRun:
    """Mark the job running (a scheduled task with no row gets one)."""
    run = db.session.get(JobRun, run_id) if run_id else None
    if run is None:
        run = JobRun(job=job, params=params, attempts=1)
        db.session.add(run)
    now = utcnow()
    run.status = "running"
    run.progress = 0
    run.started_at = now
    run.finished_at = None
    run.heartbeat_at = now
    db.session.flush()
    return run


def progress(run: JobRun, percent: int, message: str | None = None) -> None:
    run.progress = max(0, min(100, percent))
    if message:
        run.message = message
    run.heartbeat_at = utcnow()
    db.session.flush()


def heartbeat(run_id: int | None) -> None:
    """Show the job is alive, committed at once on its own connection (best effort). Call it
    where the task's own transaction holds no writes: on SQLite it would wait for that lock."""
    if run_id is None:
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
                         .values(heartbeat_at=utcnow()))
    except SQLAlchemyError:
        log.warning("could not record the heartbeat of job %s", run_id)


def note(run_id: int | None, message: str) -> None:
    """Put a line on the job at once, on its own connection (best effort)."""
    if run_id is None:
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(update(JobRun).where(JobRun.id == run_id)
                         .values(message=message[:2000], heartbeat_at=utcnow()))
    except SQLAlchemyError:
        log.warning("could not record on job %s: %s", run_id, message)


def finish(run: JobRun, result: dict[str, Any], status: str = "done") -> None:
    run.status = status
    run.progress = 100
    run.result = result
    run.finished_at = utcnow()
    db.session.flush()


def fail(run: JobRun, reason: str, result: dict[str, Any] | None = None) -> None:
    """End the job as failed, saying why in words a person can act on."""
    run.status = "failed"
    run.message = reason[:2000]
    if result is not None:
        run.result = result
    run.finished_at = utcnow()
    db.session.flush()


def fail_now(run_id: int | None, reason: str) -> None:
    """Fail the job on its own connection: for a task whose own transaction is lost."""
    if run_id is None:
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status.in_(
                ("queued", "running"))).values(status="failed", message=reason[:2000],
                                                finished_at=utcnow()))
    except SQLAlchemyError:
        log.warning("could not mark job %s failed (%s); the stall check will", run_id, reason)
