"""Record on a final grade what its figures depend on about its subject.

A plan's year group and kind, and a piece of advice's agency, type and assured grade, are
copied onto the final grade when it is first written. The aggregation counts these
recorded values, so a later register refresh (every year group up by one in September, a
plan's kind or owner corrected) never rewrites a figure already reported. Filled in on
insert whatever path writes the grade: moderation, the historic import or the demo.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.register.models import Advice, Plan


def subject_attributes(conn: Connection, plan_id: int | None,
                       advice_id: int | None) -> dict[str, Any]:
    """The recorded columns' values for a subject, read from the register as it is now."""
    if plan_id is not None:
        row = conn.execute(
            select(Plan.agency_id, Plan.nc_year, Plan.plan_kind).where(Plan.id == plan_id)
        ).one()
        return {"agency_id": row.agency_id, "nc_year": row.nc_year,
                "plan_kind": row.plan_kind, "advice_type": None, "assured_grade": None}
    row = conn.execute(
        select(Advice.agency_id, Advice.advice_type, Advice.agency_grade)
        .where(Advice.id == advice_id)
    ).one()
    return {"agency_id": row.agency_id, "nc_year": None, "plan_kind": None,
            "advice_type": row.advice_type, "assured_grade": row.agency_grade}


@event.listens_for(FinalGrade, "before_insert")
def _record_subject(_mapper: Any, conn: Connection, grade: FinalGrade) -> None:
    if grade.agency_id is not None:
        return
    for name, value in subject_attributes(conn, grade.plan_id, grade.advice_id).items():
        setattr(grade, name, value)
