"""Background job runs: what ran, its progress, and how it ended, for people to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.timeutil import utcnow


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


def enqueue_record(job: str, params: dict[str, Any]) -> JobRun:
    """Create the visible 'queued' row before handing the job to Celery."""
    run = JobRun(job=job, params=params, status="queued")
    db.session.add(run)
    db.session.flush()
    return run


def start(run_id: int | None, job: str, params: dict[str, Any]) -> JobRun:
    run = db.session.get(JobRun, run_id) if run_id else None
    if run is None:
        run = JobRun(job=job, params=params)
        db.session.add(run)
    run.status = "running"
    run.progress = 0
    run.started_at = utcnow()
    db.session.flush()
    return run


def progress(run: JobRun, percent: int, message: str | None = None) -> None:
    run.progress = max(0, min(100, percent))
    if message:
        run.message = message
    db.session.flush()


def finish(run: JobRun, result: dict[str, Any]) -> None:
    run.status = "done"
    run.progress = 100
    run.result = result
    run.finished_at = utcnow()
    db.session.flush()
