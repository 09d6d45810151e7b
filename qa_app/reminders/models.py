"""What reminders have gone out (so each goes once) and which ones each person turned off."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.timeutil import utcnow


class ReminderSent(db.Model):
    """One reminder about one item at one threshold, written in the same transaction as its
    outbox message: the unique key is what makes a second run (or two at once) send nothing
    twice."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "item_key", "threshold",
                         name="uq_reminders_sent_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    item_key: Mapped[str] = mapped_column(String(120))
    """What the reminder is about, e.g. "audit:12" or "letter:4" (ids, never a reference)."""
    threshold: Mapped[str] = mapped_column(String(40))
    """Which point it was sent at, e.g. "due:2027-01-12" or "overdue"."""
    for_day: Mapped[date]
    """The day the run was for (`--today`)."""
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderOptOut(db.Model):
    """A kind of reminder one person chose not to get (only kinds not required for a role)."""

    __tablename__ = "reminder_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_reminder_opt_outs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
