"""The notes thread of an improvement action: who wrote what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.reporting.models import ImprovementAction
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.access import Scope

NOTE_KINDS = {
    "note": "Note",
    "close_request": "Asked to close",
    "closed": "Closed",
}
"""What a note in the thread was written for, in the words the action page shows."""


class ImprovementNote(db.Model):
    """One entry in an action's thread; never edited, so the thread reads as it happened."""

    __tablename__ = "improvement_action_notes"
    __table_args__ = (
        CheckConstraint("kind IN ('note', 'close_request', 'closed')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("improvement_actions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """None when the figures' recalculation wrote it."""
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20), default="note")
    text: Mapped[str] = mapped_column(Text)

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.action_id.in_(
            select(ImprovementAction.id).where(ImprovementAction.agency_id == scope.agency_id))

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        if scope.agency_id is None:
            return false()
        return cls.action_id.in_(
            select(ImprovementAction.id).where(ImprovementAction.agency_id == scope.agency_id))
