"""Builders for the aggregation tests: cycles, plans, advice, final grades and panel audits.

Each builder works inside the caller's app context and flushes; the caller commits.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from qa_app.audits.models import Audit, AuditScore, Cycle, FinalCriterionGrade, FinalGrade
from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, Plan
from qa_app.standards.models import RubricVersion
from qa_app.timeutil import academic_year

_seq = itertools.count(1)
GOOD = 3


def agency(name: str, type_: str = "health") -> int:
    row = Agency(name=name, type=type_)
    db.session.add(row)
    db.session.flush()
    return row.id


def rubric(rubric_id: str = "ehcp-plan", applies_to: str = "plan", good_or_better: int = GOOD
           ) -> int:
    row = RubricVersion(rubric_id=rubric_id, version="1", title=rubric_id, applies_to=applies_to,
                        content_hash="0" * 64, body={"good_or_better": good_or_better})
    db.session.add(row)
    db.session.flush()
    return row.id


def cycle(name: str, start: date, end: date) -> int:
    row = Cycle(name=name, start_date=start, end_date=end, academic_year=academic_year(start))
    db.session.add(row)
    db.session.flush()
    return row.id


def plan(agency_id: int, *, nc_year: int = 3, kind: str = "annual_review",
         requested: date | None = None, issued: date | None = None,
         exception: str | None = None) -> int:
    row = Plan(ref=f"EHCP-A-{next(_seq):05d}", agency_id=agency_id, nc_year=nc_year,
               plan_kind=kind, request_date=requested, issue_date=issued, exception=exception,
               exception_note="Given in the test" if exception else None)
    db.session.add(row)
    db.session.flush()
    return row.id


def advice(plan_id: int, agency_id: int, *, advice_type: str = "health",
           requested: date = date(2025, 9, 8), due: date | None = None,
           received: date | None = None, exception: str | None = None,
           agency_grade: int | None = None) -> int:
    row = Advice(ref=f"ADV-A-{next(_seq):05d}", plan_id=plan_id, agency_id=agency_id,
                 advice_type=advice_type, requested_date=requested,
                 due_date=due or requested + timedelta(days=42), received_date=received,
                 exception=exception, agency_grade=agency_grade)
    db.session.add(row)
    db.session.flush()
    return row.id


def final_grade(rubric_version_id: int, grade: int, *, cycle_id: int | None = None,
                year: str = "2025/26", plan_id: int | None = None, advice_id: int | None = None,
                criteria: dict[str, int] | None = None, good: bool | None = None,
                method: str = "agreed") -> int:
    """`good` defaults to grade >= 3; pass it to store data the limiting rule must correct."""
    row = FinalGrade(
        cycle_id=cycle_id, plan_id=plan_id, advice_id=advice_id,
        rubric_version_id=rubric_version_id, academic_year=year, audit_date=date(2025, 12, 1),
        grade=grade, good_or_better=grade >= GOOD if good is None else good, method=method,
        criteria=[FinalCriterionGrade(criterion_id=c, grade=g, good_or_better=g >= GOOD)
                  for c, g in (criteria or {}).items()],
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def panel_audit(rubric_version_id: int, cycle_id: int, scores: dict[str, int | None], *,
                plan_id: int | None = None, advice_id: int | None = None,
                status: str = "submitted", source: str = "panel") -> int:
    row = Audit(cycle_id=cycle_id, plan_id=plan_id, advice_id=advice_id,
                rubric_version_id=rubric_version_id, status=status, source=source,
                scores=[AuditScore(criterion_id=c, grade=g) for c, g in scores.items()])
    db.session.add(row)
    db.session.flush()
    return row.id
