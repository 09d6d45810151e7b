"""The partnership board's exceptions report for a cycle, and the commentary it asks of the
accountable agencies."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.auth.access import Scope
    from qa_app.register.models import Agency


class BoardReport(db.Model):
    """One cycle's report to the partnership board on the date it meets.

    Commentary is open until the board date or until the report is made final, whichever is
    first. Making it final (from its check page) stores what it says in `content`, so the
    report presented never changes afterwards, whatever happens to the figures.
    """

    __tablename__ = "board_reports"
    __table_args__ = (
        UniqueConstraint("cycle_id"),
        CheckConstraint("status IN ('collecting', 'final')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    board_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="collecting")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    cycle: Mapped[Cycle] = relationship()
    requests: Mapped[list[CommentaryRequest]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True,
        order_by="CommentaryRequest.id")

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    def commentary_open(self, today: date) -> bool:
        """Commentary may be recorded up to the day before the board meets, until final."""
        return not self.is_final and today < self.board_date

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        """A lead sees the reports that ask her agency for commentary, and no others."""
        asked = select(CommentaryRequest.report_id).where(
            CommentaryRequest.agency_id == scope.agency_id)
        return cls.id.in_(asked)


class CommentaryRequest(db.Model):
    """The report asks an accountable agency to explain one exception (a measure below
    target, or worse than last cycle); the agency's lead writes the commentary."""

    __tablename__ = "board_commentary_requests"
    __table_args__ = (UniqueConstraint("report_id", "agency_id", "measure", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("board_reports.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    measure: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(60), default="all")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    commentary: Mapped[str | None] = mapped_column(Text)
    commented_at: Mapped[datetime | None]
    commented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    report: Mapped[BoardReport] = relationship(back_populates="requests")
    agency: Mapped[Agency] = relationship()

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.agency_id == scope.agency_id
