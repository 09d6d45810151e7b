"""The register and grades the aggregation tests count their figures from.

Plans here default to annual reviews with no dates (so only the tests that give dates count
towards timeliness); references are numbered apart from the register's own. Everything else
is the areas' builders, gathered so a test reads `build.plan`, `build.final_grade`, ...
"""

from __future__ import annotations

import itertools
from datetime import date

from qa_app.register.models import Advice, Plan
from tests.factories import register
from tests.factories.audits import GOOD, cycle, final_grade, panel_audit, rubric
from tests.factories.register import agency

__all__ = ["GOOD", "advice", "agency", "cycle", "final_grade", "panel_audit", "plan", "rubric"]

_numbers = itertools.count(1)


def plan(agency_id: int, *, nc_year: int = 3, kind: str = "annual_review",
         requested: date | None = None, issued: date | None = None,
         exception: str | None = None) -> Plan:
    return register.plan(agency_id, ref=f"EHCP-A-{next(_numbers):05d}", nc_year=nc_year,
                         kind=kind, requested=requested, issued=issued, exception=exception)


def advice(plan_id: int, agency_id: int, *, advice_type: str = "health",
           requested: date = date(2025, 9, 8), due: date | None = None,
           received: date | None = None, exception: str | None = None,
           agency_grade: int | None = None) -> Advice:
    return register.advice(plan_id, agency_id, ref=f"ADV-A-{next(_numbers):05d}",
                           advice_type=advice_type, requested=requested, due=due,
                           received=received, exception=exception, agency_grade=agency_grade)
