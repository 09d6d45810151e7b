"""Reads over the register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.register.models import Advice, Agency


def overdue_advice_by_agency(as_of: date) -> dict[str, int]:
    """Advice past its due date and not yet received, without a statutory exception."""
    rows = db.session.execute(
        select(Agency.name, func.count(Advice.id))
        .join(Advice, Advice.agency_id == Agency.id)
        .where(
            Advice.received_date.is_(None),
            Advice.due_date < as_of,
            Advice.exception.is_(None),
        )
        .group_by(Agency.name)
        .order_by(Agency.name)
    ).all()
    return {name: count for name, count in rows}


@dataclass(frozen=True)
class RecordedGrade:
    """A plan's final grade with what was recorded about the plan when it was finalised."""

    cycle: str
    academic_year: str
    grade: str
    good_or_better: bool
    nc_year: int | None
    plan_kind: str | None
    agency: str


def plan_final_grades(plan_id: int) -> list[RecordedGrade]:
    """The final grades the viewer may see for a plan, oldest first."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade

    rows = db.session.execute(
        select(FinalGrade, Cycle.name, Agency.name)
        .outerjoin(Cycle, Cycle.id == FinalGrade.cycle_id)
        .join(Agency, Agency.id == FinalGrade.agency_id)
        .where(FinalGrade.plan_id == plan_id)
        .order_by(FinalGrade.audit_date, FinalGrade.id)
    ).all()
    out = []
    for final, cycle, agency in rows:
        scale = {s["value"]: s["label"] for s in final.rubric_version.body.get("scale", [])}
        out.append(RecordedGrade(
            cycle or "Imported, no cycle", final.academic_year,
            scale.get(final.grade, str(final.grade)), final.good_or_better, final.nc_year,
            final.plan_kind, agency))
    return out
