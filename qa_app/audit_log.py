"""The append-only record of who changed what, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.timeutil import utcnow


class AuditLogEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditLogEntry, "before_update")
@event.listens_for(AuditLogEntry, "before_delete")
def _refuse_change(*_args: object) -> None:
    raise AppendOnlyError("The audit log is append-only")


def record(
    action: str,
    record_type: str,
    record_id: object,
    *,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    user_id: int | None = None,
) -> AuditLogEntry:
    """Add an entry to the current transaction; the caller's commit makes it durable."""
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    entry = AuditLogEntry(
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        changes=changes,
        reason=reason,
        user_id=user_id,
    )
    db.session.add(entry)
    return entry
