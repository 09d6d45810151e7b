"""Audit cycles and their reproducible samples."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.audits.subjects import ONE_SUBJECT, once_per
from qa_app.extensions import db
from qa_app.timeutil import utcnow


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
