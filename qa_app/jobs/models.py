"""The job row: what ran, who started it, its progress, its last sign of life and its end."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.timeutil import utcnow

STATUSES = ("queued", "running", "done", "partial", "failed")
ENDED = frozenset({"done", "partial", "failed"})


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'partial', 'failed')", name="status_known"
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
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
    heartbeat_at: Mapped[datetime | None]
    """The last sign of life: sent to a worker, started, or a progress step."""
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    """How many times the job was handed to a worker (the first time included)."""
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    origin: Mapped[str] = mapped_column(String(20), default="schedule", server_default="schedule")
    """Where it was started: 'web', 'command', 'schedule', 'demo' or 'automatic'."""

    @property
    def error(self) -> str | None:
        """Why the job did not end well, in words; None while it runs or when it ended well."""
        return self.message if self.status in {"failed", "partial"} else None
