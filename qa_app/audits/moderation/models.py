"""The panel's final grades, overall and per criterion: the input to every rate."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.audits.subjects import ONE_SUBJECT, of_agency, once_per
from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.access import Scope
    from qa_app.register.models import Advice, Plan
    from qa_app.standards.models import RubricVersion


class FinalGrade(db.Model):
    """The panel's agreed grade for a subject in a cycle, the input to every rate."""

    __tablename__ = "final_grades"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        CheckConstraint("method IN ('agreed', 'moderated', 'imported')", name="method_known"),
        once_per("final_grades", "cycle_id", "plan"),
        once_per("final_grades", "cycle_id", "advice"),
        Index("ix_final_grades_year", "academic_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    advice_id: Mapped[int | None] = mapped_column(ForeignKey("advice.id"), index=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    academic_year: Mapped[str] = mapped_column(String(7))
    audit_date: Mapped[date]
    grade: Mapped[int]
    good_or_better: Mapped[bool]
    method: Mapped[str] = mapped_column(String(10))
    # What the figures depend on about the subject, as it was when the grade was first
    # recorded (see moderation/recorded.py): a later register refresh changes none of them.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    nc_year: Mapped[int | None]
    plan_kind: Mapped[str | None] = mapped_column(String(20))
    advice_type: Mapped[str | None] = mapped_column(String(40))
    assured_grade: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan | None] = relationship()
    advice: Mapped[Advice | None] = relationship()
    rubric_version: Mapped[RubricVersion] = relationship()
    criteria: Mapped[list[FinalCriterionGrade]] = relationship(
        back_populates="final_grade", cascade="all, delete-orphan"
    )

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return of_agency(cls, scope.agency_id)

    @property
    def locked(self) -> bool:
        return self.finalised_at is not None


class FinalCriterionGrade(db.Model):
    """Per-criterion final grades, so criterion rates and child voice are plain GROUP BYs."""

    __tablename__ = "final_criterion_grades"
    __table_args__ = (UniqueConstraint("final_grade_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    final_grade_id: Mapped[int] = mapped_column(
        ForeignKey("final_grades.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[str] = mapped_column(String(80), index=True)
    grade: Mapped[int]
    good_or_better: Mapped[bool]

    final_grade: Mapped[FinalGrade] = relationship(back_populates="criteria")
