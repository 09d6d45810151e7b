"""Calibration rounds: one plan or advice that every taking-part auditor grades blind, and the
reference grade the panel agrees for each criterion.

These tables are the calibration's own. Nothing here is an audit or a final grade, so the
aggregation (which reads audits and final_grades only) never counts a calibration grade.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.audits.subjects import ONE_SUBJECT
from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.access import Scope
    from qa_app.auth.models import User
    from qa_app.register.models import Advice, Plan
    from qa_app.standards.models import RubricVersion


class CalibrationRound(db.Model):
    """One calibration exercise. `open` while auditors grade and the panel agrees the
    reference; `closed` once the reference is confirmed, after which nothing changes."""

    __tablename__ = "calibration_rounds"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    advice_id: Mapped[int | None] = mapped_column(ForeignKey("advice.id"), index=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[Plan | None] = relationship()
    advice: Mapped[Advice | None] = relationship()
    rubric_version: Mapped[RubricVersion] = relationship()
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    participants: Mapped[list[CalibrationParticipant]] = relationship(
        back_populates="round", cascade="all, delete-orphan",
        order_by="CalibrationParticipant.id")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @classmethod
    def lead_sees(cls, _scope: Scope) -> Any:
        """Calibration is about auditors, not agencies: leads never see it."""
        return false()

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """Only the rounds the auditor takes part in."""
        return cls.id.in_(select(CalibrationParticipant.round_id).where(
            CalibrationParticipant.auditor_id == scope.user_id))

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        return cls.chair_id == scope.user_id


class CalibrationParticipant(db.Model):
    """An auditor taking part in a round; `submitted_at` set once their grades are final."""

    __tablename__ = "calibration_participants"
    __table_args__ = (UniqueConstraint("round_id", "auditor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_rounds.id", ondelete="CASCADE"), index=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    submitted_at: Mapped[datetime | None]

    round: Mapped[CalibrationRound] = relationship(back_populates="participants")
    auditor: Mapped[User] = relationship()

    @classmethod
    def lead_sees(cls, _scope: Scope) -> Any:
        return false()

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """An auditor does not learn who else takes part."""
        return cls.auditor_id == scope.user_id

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        return cls.round_id.in_(
            select(CalibrationRound.id).where(CalibrationRound.chair_id == scope.user_id))


class CalibrationGrade(db.Model):
    """One auditor's blind grade for one criterion of a round's subject."""

    __tablename__ = "calibration_grades"
    __table_args__ = (UniqueConstraint("round_id", "auditor_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_rounds.id", ondelete="CASCADE"), index=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(80))
    grade: Mapped[int | None]
    evidence: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def lead_sees(cls, _scope: Scope) -> Any:
        return false()

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """Blind: an auditor sees their own grades only, before and after the round closes."""
        return cls.auditor_id == scope.user_id

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        """The chair sees the grades of rounds they chair, to lead the agreement (the pages
        show a chair how many gave each grade, never who)."""
        return cls.round_id.in_(
            select(CalibrationRound.id).where(CalibrationRound.chair_id == scope.user_id))


class CalibrationReference(db.Model):
    """The grade the panel agreed for one criterion: the reference auditors are compared to."""

    __tablename__ = "calibration_references"
    __table_args__ = (UniqueConstraint("round_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_rounds.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(80))
    grade: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def lead_sees(cls, _scope: Scope) -> Any:
        return false()

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """Only once the round is closed, and only for rounds the auditor took part in."""
        return cls.round_id.in_(
            select(CalibrationRound.id)
            .join(CalibrationParticipant, and_(
                CalibrationParticipant.round_id == CalibrationRound.id,
                CalibrationParticipant.auditor_id == scope.user_id))
            .where(CalibrationRound.status == "closed"))

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        return cls.round_id.in_(
            select(CalibrationRound.id).where(CalibrationRound.chair_id == scope.user_id))
