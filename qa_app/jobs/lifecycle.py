"""The steps of a job's life as its task sees them: start, progress, heartbeat, end.

`start`, `progress`, `heartbeat`, `note` and `fail_now` commit at once in a short transaction
of their own, so a person sees the job move (and the stall check sees it alive) while the
task's transaction is still open; a task never commits. `finish` and `fail` are written in
the task's transaction, so a job is shown done only once the work it reports is committed
(the task's commit point, workers.FlaskTask); a commit that fails ends the job through
`fail_now`. On SQLite the task must hold no uncommitted writes when it calls the former:
their own transaction would wait for the task's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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


@contextmanager
def own_transaction() -> Iterator[Session]:
    """A short transaction on a connection of its own, committed when the block ends."""
    with Session(db.engine, expire_on_commit=False) as session, session.begin():
        yield session


def start(run_id: int | None, job: str, params: dict[str, Any]) -> JobRun:
    """Mark the job running, committed at once (a scheduled task with no row gets one); the
    row returned belongs to the task's session."""
    now = utcnow()
    with own_transaction() as own:
        run = own.get(JobRun, run_id) if run_id else None
        if run is None:
            run = JobRun(job=job, params=params, attempts=1)
            own.add(run)
        run.status = "running"
        run.progress = 0
        run.started_at = now
        run.finished_at = None
        run.heartbeat_at = now
        own.flush()
        run_id = run.id
    started = db.session.get(JobRun, run_id, populate_existing=True)
    assert started is not None
    return started


def progress(run: JobRun, percent: int, message: str | None = None) -> None:
    """Move the job's progress on, committed at once."""
    values: dict[str, Any] = {"progress": max(0, min(100, percent)), "heartbeat_at": utcnow()}
    if message:
        values["message"] = message
    with own_transaction() as own:
        own.execute(update(JobRun).where(JobRun.id == run.id).values(**values))
    for name, value in values.items():
        set_committed_value(run, name, value)


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
    """End the job with its result, in the task's transaction: committed with the work."""
    run.status = status
    run.progress = 100
    run.result = result
    run.finished_at = utcnow()
    db.session.flush()


def fail(run: JobRun, reason: str, result: dict[str, Any] | None = None) -> None:
    """End the job as failed, saying why in words a person can act on (in the task's
    transaction, like `finish`)."""
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
