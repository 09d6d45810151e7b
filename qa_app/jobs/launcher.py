"""Start every job one way: record it, hand it to a worker (or run it here), and never leave a
'queued' row behind when the hand-over fails. This is the one place that commits a job's row
before its task runs: a worker must find the row it is sent.

With a broker configured the broker is checked with short connect and read timeouts, so a
broker that is down, frozen or refusing writes answers in seconds; the row is then failed
with the reason and `JobNotStarted` raised for the page or command to show. Without a broker
the job runs in this process and the row is read back for its outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context
from flask_login import current_user

from qa_app.extensions import db
from qa_app.jobs.kinds import Kind, kind_of
from qa_app.jobs.lifecycle import enqueue_record, fail
from qa_app.jobs.models import ENDED, JobRun
from workers import BROKER_TIMEOUT, BrokerUnavailable, check_broker, quick_connection

log = logging.getLogger(__name__)


class JobNotStarted(BrokerUnavailable):
    """The job could not be handed to a worker; its row is already marked failed."""

    def __init__(self, message: str, run_id: int) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass
class Launched:
    run: JobRun
    queued: bool
    """True when a worker will run it; False when it already ran here."""
    task_id: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.run.status == "done"


def launch(task: Any, params: dict[str, Any], *, origin: str | None = None,
           started_by_id: int | None = None) -> Launched:
    """Record a job of this kind (a kind name, task name or task) and start it."""
    kind = kind_of(task)
    if origin is None:
        origin = "command"
        if has_request_context() and current_user.is_authenticated:
            origin, started_by_id = "web", started_by_id or current_user.id
    run = enqueue_record(kind.name, params, origin=origin, started_by_id=started_by_id)
    db.session.commit()
    return send(run, kind)


def send(run: JobRun, kind: Kind | None = None) -> Launched:
    """Hand a committed 'queued' row to a worker, or run it here when there is no broker."""
    kind = kind or kind_of(run.job)
    celery = current_app.extensions["celery"]
    kwargs = {**(run.params or {}), "job_run_id": run.id}
    run_id = run.id
    if celery.conf.task_always_eager:
        return _run_here(celery, kind, kwargs, run_id)
    try:
        check_broker(BROKER_TIMEOUT)
        with quick_connection() as conn:
            sent = celery.send_task(kind.task, kwargs=kwargs, connection=conn, retry=False)
    except Exception as exc:  # kombu and redis raise many kinds
        reason = (str(exc) if isinstance(exc, BrokerUnavailable)
                  else f"the job broker did not accept the job: {_first_line(exc)}")
        _fail_by_id(run_id, f"Not started: {reason}")
        raise JobNotStarted(reason, run_id) from None
    return Launched(run=run, queued=True, task_id=sent.id)


def send_again(run_ids: list[int]) -> None:
    """Commit the rows just marked to be sent again, then hand each to a worker; one the
    broker refuses is failed with the reason and the rest are still sent."""
    db.session.commit()
    for run_id in run_ids:
        run = db.session.get(JobRun, run_id)
        if run is None:
            continue
        try:
            send(run)
        except JobNotStarted:
            log.warning("job %s could not be sent again: the broker refused it", run_id)


def _run_here(celery: Any, kind: Kind, kwargs: dict[str, Any], run_id: int) -> Launched:
    """Run the task in this process. A retried attempt raises even with throw=False (Celery
    runs retries eagerly and propagates), so both ways of failing end the row the same."""
    from celery.exceptions import Retry

    from workers import failure_reason

    task = celery.tasks[kind.task]
    try:
        outcome = task.apply(kwargs=kwargs, throw=False)
        result, error = outcome.result, outcome.result if outcome.failed() else None
    except Exception as exc:  # whatever stopped the task, the row must say so
        result, error = None, exc.exc if isinstance(exc, Retry) and exc.exc else exc
    db.session.rollback()
    db.session.expire_all()
    run = db.session.get(JobRun, run_id)
    assert run is not None
    if error is not None and run.status not in ENDED:
        log.error("job %s (%s) failed: %r", run_id, kind.name, error)
        fail(run, failure_reason(task, error, retried=False))
        db.session.commit()
    return Launched(run=run, queued=False, result=result)


def _fail_by_id(run_id: int, reason: str) -> None:
    db.session.rollback()
    run = db.session.get(JobRun, run_id)
    if run is not None and run.status not in ENDED:
        fail(run, reason)
        db.session.commit()


def _first_line(exc: object) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
