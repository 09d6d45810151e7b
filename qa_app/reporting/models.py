"""Rate snapshots written by the aggregation job, and the improvement actions they open."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.access import Scope

RAG_VALUES = "('green', 'amber', 'red')"


class AggregationRun(db.Model):
    """One computation of every rate for a period; identical inputs give the same run."""

    __tablename__ = "aggregation_runs"
    __table_args__ = (
        UniqueConstraint("period_kind", "period_key", "inputs_hash"),
        CheckConstraint("period_kind IN ('cycle', 'academic_year')", name="period_kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str] = mapped_column(String(40))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    targets_version: Mapped[str | None] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    as_of: Mapped[date | None]
    """The day the figures were counted as of (advice still missing after its due date is
    late from that day on); None for runs stored before it was recorded."""

    rates: Mapped[list[RateSnapshot]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )
    agreement: Mapped[list[AgreementSnapshot]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )


class RateSnapshot(db.Model):
    """One rate: percentages 0-100; `excluded` counts items left out of n by rule (such as
    advice with a statutory exception to the deadline)."""

    __tablename__ = "rate_snapshots"
    __table_args__ = (
        CheckConstraint("good >= 0 AND good <= n", name="good_within_n"),
        CheckConstraint(f"rag IS NULL OR rag IN {RAG_VALUES}", name="rag_known"),
        Index("ix_rate_snapshots_lookup", "run_id", "measure", "agency_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("aggregation_runs.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(60), default="all")
    breakdown: Mapped[str] = mapped_column(String(80), default="")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    n: Mapped[int]
    good: Mapped[int]
    excluded: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    rate: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    rag: Mapped[str | None] = mapped_column(String(5))
    weighted_rate: Mapped[float | None] = mapped_column(Float)
    """The stratum-weighted estimate and its 95% interval, set only on a cycle's partnership
    all-plans row when its sample took the strata unequally (reporting/weighting.py); the
    status then follows the weighted figure, while n and good stay the raw counts."""
    weighted_low: Mapped[float | None] = mapped_column(Float)
    weighted_high: Mapped[float | None] = mapped_column(Float)

    run: Mapped[AggregationRun] = relationship(back_populates="rates")

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.agency_id == scope.agency_id

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """Auditors, like their agency's lead, see their own agency's figures only."""
        return false() if scope.agency_id is None else cls.agency_id == scope.agency_id


class AgreementSnapshot(db.Model):
    """How often two panel auditors gave a criterion the same grade in a cycle, the
    quadratic-weighted Cohen's kappa of their grades' ranks on the rubric's scale, and
    Gwet's AC1, which stays usable when nearly every grade is the same (None when
    undefined). Computed criteria are left out: their grades always agree."""

    __tablename__ = "agreement_snapshots"
    __table_args__ = (
        CheckConstraint("agreed >= 0 AND agreed <= pairs", name="agreed_within_pairs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("aggregation_runs.id", ondelete="CASCADE"), index=True
    )
    rubric_id: Mapped[str] = mapped_column(String(80))
    criterion_id: Mapped[str] = mapped_column(String(80))
    pairs: Mapped[int]
    agreed: Mapped[int]
    exact_rate: Mapped[float | None] = mapped_column(Float)
    kappa: Mapped[float | None] = mapped_column(Float)
    ac1: Mapped[float | None] = mapped_column(Float)

    run: Mapped[AggregationRun] = relationship(back_populates="agreement")

    @classmethod
    def lead_sees(cls, _scope: Scope) -> Any:
        """Agreement is counted per cycle across every agency, so no agency's share of it can
        be shown on its own: leads never see it. Auditors do: it shows them which criteria
        panels read differently, which is their work."""
        return false()


class ImprovementAction(db.Model):
    """Opened once when an agency misses a target; owned by one of the agency's leads, due by
    a date, and closed when the figure recovers or the manager records why it is closed.

    Status: `open`, then `closing` once the owner (or the manager) asks to close it with a
    note of what changed, then `closed`. At most one action that is not closed per agency,
    measure, scope and academic year (the partial unique index)."""

    __tablename__ = "improvement_actions"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closing', 'closed')", name="status_known"),
        Index(
            "uq_improvement_actions_not_closed",
            "agency_id",
            "measure",
            "scope",
            "academic_year",
            unique=True,
            sqlite_where=text("status <> 'closed'"),
            postgresql_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    measure: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(60), default="all")
    academic_year: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(10), default="open")
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closing_note: Mapped[str | None] = mapped_column(Text)
    """Why it closed: the recovered figure, or the manager's reason for closing it anyway."""
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 index=True)
    """The agency lead who answers for it; None until the manager assigns one."""
    due_date: Mapped[date | None]
    close_requested_at: Mapped[datetime | None]
    close_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    close_request_note: Mapped[str | None] = mapped_column(Text)
    """What changed, in the words of whoever asked to close it."""
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The manager who closed it anyway; None when it closed because the figure recovered."""

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.agency_id == scope.agency_id

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """Auditors, like their agency's lead, see their own agency's figures only."""
        return false() if scope.agency_id is None else cls.agency_id == scope.agency_id


EVERY_PERIOD = "all"
"""The period kind of a recalculation request that stands for every period."""


class RecalculationRequest(db.Model):
    """A change that affects a period's figures and has not yet been counted by a run.

    Written in the same transaction as the change itself, so no change is ever missed; a run
    removes exactly the requests it could see, so one that arrives mid-run stays pending.
    Kind "all" (key "") stands for every period, as a register import affects them all.
    """

    __tablename__ = "recalculation_requests"
    __table_args__ = (
        CheckConstraint("period_kind IN ('cycle', 'academic_year', 'all')",
                        name="request_period_kind_known"),
        Index("ix_recalculation_requests_period", "period_kind", "period_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
