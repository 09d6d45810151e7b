"""Audit cycles, samples, panels, auditors' scores and the panel's final grades."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.models import User
    from qa_app.register.models import Advice, Plan
    from qa_app.standards.models import RubricVersion

ONE_SUBJECT = "(plan_id IS NULL) <> (advice_id IS NULL)"


def once_per(table: str, parent: str, subject: str) -> Index:
    """A plan (or advice) appears at most once per parent. A unique key over (parent, plan,
    advice) would not do it: one of plan and advice is always NULL, and NULLs never clash.
    Rows without a parent (historic imports without a cycle) are left free."""
    only = text(f"{parent} IS NOT NULL AND {subject}_id IS NOT NULL")
    return Index(f"uq_{table}_{parent}_{subject}", parent, f"{subject}_id", unique=True,
                 sqlite_where=only, postgresql_where=only)


class Cycle(db.Model):
    __tablename__ = "cycles"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    academic_year: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sample(db.Model):
    """A reproducible draw: the seed and parameters are stored beside the chosen items."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), unique=True)
    seed: Mapped[int]
    size: Mapped[int]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[SampleItem]] = relationship(
        back_populates="sample", cascade="all, delete-orphan"
    )


class SampleItem(db.Model):
    __tablename__ = "sample_items"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        once_per("sample_items", "sample_id", "plan"),
        once_per("sample_items", "sample_id", "advice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    advice_id: Mapped[int | None] = mapped_column(ForeignKey("advice.id"))
    stratum: Mapped[str] = mapped_column(String(60))

    sample: Mapped[Sample] = relationship(back_populates="items")


class Panel(db.Model):
    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    meeting_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    chair: Mapped[User] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )


class PanelMember(db.Model):
    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


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
    # recorded (see audits/recorded.py): a later register refresh changes none of them.
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


