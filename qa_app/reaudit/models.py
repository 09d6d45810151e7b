"""Plans and advice marked to be amended and audited again, beside the next random sample."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Text, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.audits.subjects import ONE_SUBJECT, of_agency
from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.auth.access import Scope


class ReauditMark(db.Model):
    """One below-standard final grade marked "amend and re-audit": the agency records when
    the work was amended, and the next sample drawn after that takes it as a re-audit place
    (a sample item in the `reaudit` stratum), beside the random sample. A mark withdrawn
    before any sample took it stays as a row (so the grade is not marked again behind the
    manager's back) and is reused if the manager marks the grade again."""

    __tablename__ = "reaudit_marks"
    __table_args__ = (CheckConstraint(ONE_SUBJECT, name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    final_grade_id: Mapped[int] = mapped_column(
        ForeignKey("final_grades.id", ondelete="CASCADE"), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    advice_id: Mapped[int | None] = mapped_column(ForeignKey("advice.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    """The agency the marked grade counted for. Who amends the work is its current owner
    (the register can move a plan or advice to another agency): see `lead_sees`."""
    from_cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amended_on: Mapped[date | None]
    amended_at: Mapped[datetime | None]
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    included_cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="SET NULL"), index=True)
    included_at: Mapped[datetime | None]
    drawn_at_random: Mapped[bool] = mapped_column(default=False)
    """The random draw chose the subject anyway: it counts in the random rates as drawn."""
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    final_grade: Mapped[FinalGrade] = relationship()

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        """Marks of work the lead's agency owns now (the plan's owner, the advice's agency,
        as the register says today), unless withdrawn."""
        return and_(of_agency(cls, scope.agency_id), cls.withdrawn_at.is_(None))
