"""Agencies, EHC plans (by pseudonymous reference only) and each agency's advice."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, event, false, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db, sql_in
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.auth.access import Scope


class AgencyType(enum.StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    EDUCATION = "education"
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    SETTING = "setting"


class PlanKind(enum.StrEnum):
    NEW = "new"
    ANNUAL_REVIEW = "annual_review"


class AdviceException(enum.StrEnum):
    """Statutory reasons the six-week advice deadline does not apply (SEND Regs 2014 reg. 8)."""

    EXCEPTIONAL_CIRCUMSTANCES = "exceptional_circumstances"
    AWAY_FROM_AREA = "away_from_area"
    MISSED_APPOINTMENT = "missed_appointment"


ADVICE_EXCEPTION_LABELS = {
    AdviceException.EXCEPTIONAL_CIRCUMSTANCES: "Exceptional personal circumstances of the "
    "child or family",
    AdviceException.AWAY_FROM_AREA: "Child or family away from the area for 4 weeks or more",
    AdviceException.MISSED_APPOINTMENT: "Child or parent missed an appointment",
}


class PlanException(enum.StrEnum):
    """Statutory reasons the 20-week time limit for a needs assessment does not apply
    (SEND Regs 2014 reg. 13(3))."""

    SCHOOL_CLOSURE = "school_closure"
    EXCEPTIONAL_CIRCUMSTANCES = "exceptional_circumstances"
    AWAY_FROM_AREA = "away_from_area"


PLAN_EXCEPTION_LABELS = {
    PlanException.SCHOOL_CLOSURE: "Advice was asked of a school or college around a closure "
    "of 4 weeks or more",
    PlanException.EXCEPTIONAL_CIRCUMSTANCES: "Exceptional personal circumstances of the "
    "child, young person or family",
    PlanException.AWAY_FROM_AREA: "Child, young person or family away from the area for "
    "4 weeks or more",
}


class Agency(db.Model):
    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(f"type IN ({sql_in([t.value for t in AgencyType])})", name="type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Agency {self.id} {self.name!r}>"

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.id == scope.agency_id


class Plan(db.Model):
    """One EHCP. `ref` is pseudonymous; the product never stores a child's identity."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("nc_year BETWEEN -2 AND 20", name="nc_year_range"),
        CheckConstraint(f"plan_kind IN ({sql_in([k.value for k in PlanKind])})", name="kind_known"),
        CheckConstraint(
            "issue_date IS NULL OR request_date IS NULL OR issue_date >= request_date",
            name="issued_after_request",
        ),
        CheckConstraint(
            f"exception IS NULL OR exception IN ({sql_in([e.value for e in PlanException])})",
            name="exception_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    nc_year: Mapped[int]
    plan_kind: Mapped[str] = mapped_column(String(20))
    request_date: Mapped[date | None]
    issue_date: Mapped[date | None]
    setting: Mapped[str | None] = mapped_column(String(200))
    exception: Mapped[str | None] = mapped_column(String(40))
    exception_note: Mapped[str | None] = mapped_column(Text)
    # The needs assessment as recorded when the plan was a new plan with an issue date: the
    # 20-week measure counts these, so a later annual-review row cannot move it.
    assessed_as_new: Mapped[bool] = mapped_column(default=False, server_default=false())
    assessment_request_date: Mapped[date | None]
    assessment_issue_date: Mapped[date | None]
    assessment_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])
    advice: Mapped[list[Advice]] = relationship(back_populates="plan", order_by="Advice.ref")

    def record_assessment(self) -> None:
        """Keep a new, issued plan's request and issue dates as its needs assessment."""
        if self.plan_kind == PlanKind.NEW and self.issue_date is not None:
            self.assessed_as_new = True
            self.assessment_request_date = self.request_date
            self.assessment_issue_date = self.issue_date
            self.assessment_agency_id = self.agency_id

    @property
    def phase(self) -> str:
        if self.nc_year <= 0:
            return "Early years"
        if self.nc_year <= 6:
            return "Primary"
        if self.nc_year <= 11:
            return "Secondary"
        return "Post-16"

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        """A lead sees their agency's plans and the plans their agency advised on."""
        contributed = select(Advice.plan_id).where(Advice.agency_id == scope.agency_id)
        return or_(cls.agency_id == scope.agency_id, cls.id.in_(contributed))

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """An auditor sees the plans they audit and the plans of the advice they audit."""
        from qa_app.audits.scoring.models import Audit

        advice_plans = select(Advice.plan_id).where(
            Advice.id.in_(Audit.assigned_advice(scope.user_id)))
        return or_(cls.id.in_(Audit.assigned_plans(scope.user_id)), cls.id.in_(advice_plans))


@event.listens_for(Plan, "before_insert")
@event.listens_for(Plan, "before_update")
def _record_assessment(_mapper: object, _connection: object, plan: Plan) -> None:
    plan.record_assessment()


class Advice(db.Model):
    """One agency's advice for a plan, with the dates that decide whether it was on time."""

    __tablename__ = "advice"
    __table_args__ = (
        CheckConstraint("due_date >= requested_date", name="due_after_request"),
        CheckConstraint(
            "received_date IS NULL OR received_date >= requested_date",
            name="received_after_request",
        ),
        CheckConstraint(
            f"exception IS NULL OR exception IN ({sql_in([e.value for e in AdviceException])})",
            name="exception_known",
        ),
        CheckConstraint(
            "agency_grade IS NULL OR agency_grade BETWEEN 0 AND 10", name="grade_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    advice_type: Mapped[str] = mapped_column(String(40))
    requested_date: Mapped[date]
    due_date: Mapped[date]
    received_date: Mapped[date | None]
    agency_grade: Mapped[int | None]
    exception: Mapped[str | None] = mapped_column(String(40))
    exception_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="advice")
    agency: Mapped[Agency] = relationship()

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.agency_id == scope.agency_id

    @classmethod
    def auditor_sees(cls, scope: Scope) -> Any:
        """An auditor sees the advice they audit and the advice of the plans they audit."""
        from qa_app.audits.scoring.models import Audit

        return or_(cls.id.in_(Audit.assigned_advice(scope.user_id)),
                   cls.plan_id.in_(Audit.assigned_plans(scope.user_id)))

    @property
    def days_late(self) -> int | None:
        if self.received_date is None:
            return None
        return (self.received_date - self.due_date).days
