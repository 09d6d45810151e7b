"""The outbox: every email the service means to send, and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db, sql_in
from qa_app.timeutil import utcnow

QUEUED = "queued"
RETRYING = "retrying"
SENT = "sent"
KEPT = "kept"
FAILED = "failed"
STATUSES = (QUEUED, RETRYING, SENT, KEPT, FAILED)
STATUS_WORDS = {
    QUEUED: "Waiting to be sent",
    RETRYING: "Trying again",
    SENT: "Sent",
    KEPT: "Kept in the outbox, not sent",
    FAILED: "Not sent",
}
"""What each status means, as the Emails page says it."""

CHANNEL_WORDS = {
    "smtp": "the mail server",
    "notify": "GOV.UK Notify",
    "outbox": "the outbox only (no mail server or GOV.UK Notify set up)",
}


class OutboxMessage(db.Model):
    """One email: written with the change that causes it, delivered after that commits."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(list(STATUSES))})", name="outbox_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column("to_address", String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the template was filled with: GOV.UK Notify fills its own template with these."""
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    channel: Mapped[str | None] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
