"""Find jobs that have stopped without a word, and run them again or fail them, saying why.

A job is stalled when it was handed to a worker and has not started within the stall time
(a message lost with Redis, or never delivered), or is running with no heartbeat for that
long (its worker was killed or its host stopped). Jobs are idempotent, so a stalled job is
sent again, up to JOB_MAX_ATTEMPTS times in all; then it is failed with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select

from qa_app import audit_log
from qa_app.extensions import db
from qa_app.jobs.kinds import KINDS, UnknownJob, kind_of
from qa_app.jobs.launcher import Launched, launch, send_again
from qa_app.jobs.lifecycle import fail, fail_now
from qa_app.jobs.models import JobRun
from qa_app.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckOutcome:
    resent: list[int]
    failed: list[int]


def stall_seconds() -> int:
    return int(current_app.config.get("JOB_STALL_SECONDS", 300))


def max_attempts() -> int:
    return int(current_app.config.get("JOB_MAX_ATTEMPTS", 3))


def stalled_query(now: datetime | None = None) -> Select[tuple[JobRun]]:
    """Queued or running jobs with no sign of life for longer than the stall time."""
    cutoff = (now or utcnow()) - timedelta(seconds=stall_seconds())
    last_sign = func.coalesce(JobRun.heartbeat_at, JobRun.started_at, JobRun.created_at)
    return select(JobRun).where(
        JobRun.status.in_(("queued", "running")), last_sign < cutoff,
        JobRun.job.in_(list(KINDS)),
    ).order_by(JobRun.id)


def is_stalled(run: JobRun) -> bool:
    if run.status not in {"queued", "running"}:
        return False
    last = run.heartbeat_at or run.started_at or run.created_at
    return last < utcnow() - timedelta(seconds=stall_seconds())


def check_stalled() -> CheckOutcome:
    """The scheduled check: send each stalled job again, or fail it once it has had its tries."""
    query = stalled_query()
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    runs = db.session.execute(query).scalars().all()
    resent: list[int] = []
    failed: list[int] = []
    minutes = _duration(stall_seconds())
    limit = max_attempts()
    for run in runs:
        silent = ("was not started by any worker" if run.status == "queued"
                  else "stopped showing progress")
        if run.attempts >= limit:
            fail(run, f"Stopped: it {silent} for {minutes}, {run.attempts} times out of "
                      f"{limit}. Check that a worker is running, then run it again.")
            failed.append(run.id)
            continue
        run.attempts += 1
        run.status = "queued"
        run.heartbeat_at = utcnow()
        run.message = (f"Sent again: it {silent} for {minutes} "
                       f"(attempt {run.attempts} of {limit})")
        resent.append(run.id)
    send_again(resent)
    if resent or failed:
        log.warning("stalled jobs: sent again %s, failed %s", resent, failed)
    return CheckOutcome(resent=resent, failed=failed)


class CannotRunAgain(ValueError):
    """This job may not be run again now; the message says why."""


def can_run_again(run: JobRun) -> bool:
    return run.job in KINDS and (run.status in {"failed", "partial"} or is_stalled(run))


def run_again(run: JobRun, *, origin: str, user_id: int | None = None) -> Launched:
    """Start a new job with the same kind and parameters; a stalled original is failed,
    naming its replacement, so only one of them is ever shown as going on."""
    if not can_run_again(run):
        raise CannotRunAgain(
            f"Job {run.id} is {run.status}: only a failed, partial or stalled job can be run "
            "again")
    try:
        kind = kind_of(run.job)
    except UnknownJob as exc:
        raise CannotRunAgain(str(exc)) from None
    params = dict(run.params or {})
    original_id, original_status = run.id, run.status
    audit_log.record("job_run_again", "job_run", original_id, user_id=user_id,
                     changes={"kind": run.job, "status": original_status, "params": params})
    db.session.flush()
    launched = launch(kind.name, params, origin=origin, started_by_id=user_id)
    fail_now(original_id, f"Stopped responding; run again as job {launched.run.id}")
    original = db.session.get(JobRun, original_id)
    if original is not None:
        db.session.refresh(original)
    return launched


def _duration(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
