"""An agency's challenge to a final grade, and the chair's outcome.

The grade before the challenge and, when it was changed, the grade after are kept on the
challenge, so the story reads the same however the grade moves later."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.panels.models import Panel
    from qa_app.auth.access import Scope
    from qa_app.auth.models import User
    from qa_app.register.models import Agency

OPEN, UPHELD, CHANGED = "open", "upheld", "changed"
STATUSES = (OPEN, UPHELD, CHANGED)
STATUS_WORDS = {OPEN: "Waiting for the chair", UPHELD: "Upheld: grade stands",
                CHANGED: "Grade changed"}
ONLY_OPEN = text("status = 'open'")


class GradeChallenge(db.Model):
    __tablename__ = "grade_challenges"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'upheld', 'changed')", name="status_known"),
        Index("uq_grade_challenges_open", "final_grade_id", unique=True,
              sqlite_where=ONLY_OPEN, postgresql_where=ONLY_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    final_grade_id: Mapped[int] = mapped_column(
        ForeignKey("final_grades.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    grade_before: Mapped[int]
    criteria_before: Mapped[dict[str, int]] = mapped_column(JSON)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    grade_after: Mapped[int | None]
    criteria_after: Mapped[dict[str, int] | None] = mapped_column(JSON)

    final_grade: Mapped[FinalGrade] = relationship()
    agency: Mapped[Agency] = relationship()
    panel: Mapped[Panel] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.agency_id == scope.agency_id

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        """A chair sees the challenges to the grades of the panels they chair."""
        from qa_app.audits.panels.models import Panel

        return cls.panel_id.in_(select(Panel.id).where(Panel.chair_id == scope.user_id))

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]
