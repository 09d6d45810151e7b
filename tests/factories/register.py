"""The register: agencies, EHC plans and the advice agencies give for them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, Plan

_numbers = itertools.count(1)


def next_number() -> int:
    """Numbers for made-up names, emails and references, unique within the test session."""
    return next(_numbers)


def agency(name: str | None = None, type_: str = "health") -> Agency:
    row = Agency(name=name or f"Agency {next_number()}", type=type_)
    db.session.add(row)
    db.session.flush()
    return row


def plan(agency_id: int, ref: str | None = None, nc_year: int = 5, *, kind: str = "new",
         requested: date | None = date(2025, 9, 1), issued: date | None = date(2026, 1, 5),
         exception: str | None = None) -> Plan:
    row = Plan(
        ref=ref or f"EHCP-T-{next_number():05d}",
        agency_id=agency_id,
        nc_year=nc_year,
        plan_kind=kind,
        request_date=requested,
        issue_date=issued,
        exception=exception,
        exception_note="Given in the test" if exception else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def advice(
    plan_id: int,
    agency_id: int,
    *,
    ref: str | None = None,
    requested: date = date(2025, 9, 8),
    due: date | None = None,
    received: date | None = None,
    advice_type: str = "health",
    exception: str | None = None,
    agency_grade: int | None = None,
) -> Advice:
    row = Advice(
        ref=ref or f"ADV-T-{next_number():05d}",
        plan_id=plan_id,
        agency_id=agency_id,
        advice_type=advice_type,
        requested_date=requested,
        due_date=due or requested + timedelta(days=42),
        received_date=received,
        exception=exception,
        agency_grade=agency_grade,
    )
    db.session.add(row)
    db.session.flush()
    return row
