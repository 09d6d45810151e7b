"""Audits and their per-criterion scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.audits.subjects import ONE_SUBJECT, of_agency
from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.auth.access import Scope
    from qa_app.auth.models import User
    from qa_app.register.models import Advice, Plan
    from qa_app.standards.models import RubricVersion


class Audit(db.Model):
    """One auditor's scoring of one plan or advice against one exact rubric version."""

    __tablename__ = "audits"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        CheckConstraint("status IN ('assigned', 'draft', 'submitted')", name="status_known"),
        CheckConstraint("source IN ('panel', 'import')", name="source_known"),
        CheckConstraint(
            "override_grade IS NULL OR override_reason IS NOT NULL", name="override_has_reason"
        ),
        Index("ix_audits_cycle_subject", "cycle_id", "plan_id", "advice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    advice_id: Mapped[int | None] = mapped_column(ForeignKey("advice.id"), index=True)
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    status: Mapped[str] = mapped_column(String(10), default="assigned")
    source: Mapped[str] = mapped_column(String(10), default="panel")
    audit_date: Mapped[date | None]
    computed_grade: Mapped[int | None]
    override_grade: Mapped[int | None]
    override_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}

    cycle: Mapped[Cycle | None] = relationship()
    plan: Mapped[Plan | None] = relationship()
    advice: Mapped[Advice | None] = relationship()
    auditor: Mapped[User | None] = relationship()
    rubric_version: Mapped[RubricVersion] = relationship()
    scores: Mapped[list[AuditScore]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="AuditScore.id"
    )

    @property
    def overall_grade(self) -> int | None:
        return self.override_grade if self.override_grade is not None else self.computed_grade

    @property
    def in_closed_cycle(self) -> bool:
        return self.cycle is not None and self.cycle.status == "closed"

    @classmethod
    def assigned_plans(cls, user_id: int) -> Select[tuple[int | None]]:
        return select(cls.plan_id).where(cls.auditor_id == user_id, cls.plan_id.is_not(None))

    @classmethod
    def assigned_advice(cls, user_id: int) -> Select[tuple[int | None]]:
        return select(cls.advice_id).where(cls.auditor_id == user_id, cls.advice_id.is_not(None))

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return of_agency(cls, scope.agency_id)

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        return cls.auditor_id == scope.user_id

    @classmethod
    def chair_sees(cls, scope: Scope) -> Any:
        """Chairs see the audits of the panels they chair, not other panels' work."""
        from qa_app.audits.panels.models import Panel

        return cls.panel_id.in_(select(Panel.id).where(Panel.chair_id == scope.user_id))


class AuditScore(db.Model):
    """A grade for one criterion; a NULL grade records "not applicable"."""

    __tablename__ = "audit_scores"
    __table_args__ = (UniqueConstraint("audit_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    criterion_id: Mapped[str] = mapped_column(String(80))
    grade: Mapped[int | None]
    evidence: Mapped[str | None] = mapped_column(Text)

    audit: Mapped[Audit] = relationship(back_populates="scores")
