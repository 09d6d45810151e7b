"""An example of good practice: a short excerpt an auditor typed while scoring, for one
criterion, which the chair of the audit's panel approves (after checking it identifies
nobody) or rejects with a reason. Only approved examples are shown to the partnership."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.access import Scope

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class PracticeExample(db.Model):
    """The agency, subject kind and advice type are copied from the audit when marked, so
    the library is read without the plan or advice (and never shows their reference)."""

    __tablename__ = "good_practice_examples"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("subject_kind IN ('plan', 'advice')", name="subject_kind_known"),
        CheckConstraint("status != 'rejected' OR rejection_reason IS NOT NULL",
                        name="rejection_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int | None] = mapped_column(
        ForeignKey("audits.id", ondelete="SET NULL"), index=True)
    panel_id: Mapped[int | None] = mapped_column(
        ForeignKey("panels.id", ondelete="SET NULL"), index=True)
    rubric_id: Mapped[str] = mapped_column(String(80))
    criterion_id: Mapped[str] = mapped_column(String(80), index=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    advice_type: Mapped[str | None] = mapped_column(String(80))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    excerpt: Mapped[str] = mapped_column(Text)
    typed_excerpt: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def reference(self) -> str:
        """The library's own reference, cited in letters instead of the child's plan."""
        return f"GP-{self.id}"

    @property
    def approved(self) -> bool:
        return self.status == APPROVED

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.status == APPROVED

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """Approved examples, and the auditor's own while they wait or were turned down."""
        return or_(cls.status == APPROVED, cls.author_id == scope.user_id)

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        """Approved examples, and every example from the panels the chair chairs."""
        from qa_app.audits.panels.models import Panel

        chaired = select(Panel.id).where(Panel.chair_id == scope.user_id)
        return or_(cls.status == APPROVED, cls.author_id == scope.user_id,
                   cls.panel_id.in_(chaired))
