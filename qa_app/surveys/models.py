"""Survey versions, the links that open them, and the answers given through them.

Nothing here can identify a person: a family's link points at a plan by its pseudonymous
reference and a practitioner's link at an agency; the product keeps no names, email
addresses, network addresses or times of day, only the date an answer was sent. A link's
secret is never stored, only its SHA-256 hash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

FAMILY = "family"
PRACTITIONER = "practitioner"


class SurveyVersion(db.Model):
    """One version of a survey file; an answer keeps the version it was given against."""

    __tablename__ = "survey_versions"
    __table_args__ = (
        UniqueConstraint("survey_id", "version"),
        CheckConstraint(f"audience IN ('{FAMILY}', '{PRACTITIONER}')",
                        name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(20))
    respondent: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyRun(db.Model):
    """A practitioner survey asked for one term, with the date of training it is compared
    against (answers sent before it, and on or after it)."""

    __tablename__ = "survey_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    survey_id: Mapped[str] = mapped_column(String(60))
    closes_on: Mapped[date]
    training_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SurveyLink(db.Model):
    """A secret link: a family's (one plan in a cycle's sample, answered once) or an agency's
    (one practitioner run, answered by any of its staff until it expires)."""

    __tablename__ = "survey_links"
    __table_args__ = (
        CheckConstraint(f"audience IN ('{FAMILY}', '{PRACTITIONER}')",
                        name="audience_known"),
        CheckConstraint(
            f"(audience = '{FAMILY}' AND cycle_id IS NOT NULL AND plan_id IS NOT NULL)"
            f" OR (audience = '{PRACTITIONER}' AND run_id IS NOT NULL)",
            name="points_somewhere",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_runs.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    """The plan's agency when the link was made, or the practitioners' agency."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    """A family link: when it was answered. Replaced links expire instead."""


class SurveyResponse(db.Model):
    """One completed survey: which version, through which link, on which day. No more."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("survey_links.id", ondelete="CASCADE"), index=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    submitted_on: Mapped[date]

    link: Mapped[SurveyLink] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()
    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan")


class SurveyAnswer(db.Model):
    """One answer: a point on the question's scale, or free text (seen only by managers)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint("(value IS NULL) <> (text IS NULL)", name="one_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[int | None]
    good_or_better: Mapped[bool | None]
    """Fixed when answered, from the version's scale: a later version cannot move it."""
    text: Mapped[str | None] = mapped_column(Text)
    quotable: Mapped[bool] = mapped_column(default=False)
    """The manager judged this free text safe to quote, without attribution, in a brief."""

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
