"""CSV and XLSX downloads: rates, audits and advice timeliness, pseudonymous references only."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import aliased

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.cells import safe_cell, safe_row
from qa_app.extensions import db
from qa_app.register.models import ADVICE_EXCEPTION_LABELS, Advice, Agency, Plan
from qa_app.reporting.labels import (
    breakdown_label,
    measure_title,
    percent_figure,
    scope_label,
    status_words,
)
from qa_app.reporting.models import AggregationRun
from qa_app.standards.models import RubricVersion
from qa_app.standards.titles import criterion_title, rubric_title

CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(*parts: str | None) -> str:
    """A download's name from what it holds: "rates-plans-good-or-better-2025-26"."""
    words = "-".join(p for p in parts if p)
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-") or "export"


def download(name: str, fmt: str, headers: Sequence[str],
             rows: Iterable[Sequence[object]]) -> Response:
    if fmt == "xlsx":
        return Response(_xlsx(name, headers, rows), mimetype=XLSX_MIME, headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return Response(_csv(headers, rows), mimetype=CSV_MIME, headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})


def _csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(safe_row(headers))
    for row in rows:
        writer.writerow([safe_cell(_text(v)) for v in row])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _text(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def _xlsx(name: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    sheet.append(safe_row(headers))
    for row in rows:
        sheet.append(safe_row(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RATE_HEADERS = ["Period", "Measure", "Which records", "Group", "Agency", "Records counted",
                "Good or better", "Rate (%)", "Lower 95% limit (%)", "Upper 95% limit (%)",
                "Target (%)", "Status", "Weighted rate (%)", "Weighted lower 95% limit (%)",
                "Weighted upper 95% limit (%)", "measure_code", "scope_code", "breakdown_code"]
"""Headers in words for people; the last three columns keep the codes for machines. The
weighted columns are filled only on a cycle's partnership all-plans row when its sample took
its strata unequally (see reporting/weighting.py); the status then follows them."""


def rate_rows(period: str, rates: Iterable) -> Iterator[list[object]]:
    for r in rates:
        yield [period, measure_title(r.measure), scope_label(r.scope),
               breakdown_label(r.breakdown) if r.breakdown else "All",
               r.agency or "Whole partnership", r.n,
               r.good, percent_figure(r.rate, r.target), percent_figure(r.low),
               percent_figure(r.high), r.target, status_words(r.rag, r.target),
               percent_figure(r.weighted_rate, r.target), percent_figure(r.weighted_low),
               percent_figure(r.weighted_high), r.measure, r.scope, r.breakdown]


AGREEMENT_HEADERS = ["Period", "Practice standard", "Criterion", "Pairs of grades",
                     "Same grade", "Same grade (%)", "Weighted kappa", "Gwet's AC1",
                     "rubric_id", "criterion_id"]
"""Headers in words; the last two columns keep the codes for machines."""


def agreement_rows(rows: Sequence) -> Iterator[list[object]]:
    """Agreement between two panel auditors per criterion: kappa and Gwet's AC1 side by side
    (AC1 holds up when nearly every grade is the same, where kappa collapses). The period is
    the cycle's name, or the academic year when the row counts every cycle of it."""
    runs = {a.run_id for a in rows}
    periods = dict(db.session.execute(
        select(AggregationRun.id, db.func.coalesce(Cycle.name, AggregationRun.period_key))
        .outerjoin(Cycle, db.and_(AggregationRun.period_kind == "cycle",
                                  db.cast(Cycle.id, db.String) == AggregationRun.period_key))
        .where(AggregationRun.id.in_(runs))
    ).all()) if runs else {}
    for a in rows:
        yield [periods.get(a.run_id, ""), rubric_title(a.rubric_id),
               criterion_title(a.criterion_id, a.rubric_id), a.pairs, a.agreed,
               percent_figure(a.exact_rate), _rounded(a.kappa), _rounded(a.ac1),
               a.rubric_id, a.criterion_id]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


AUDIT_HEADERS = ["Reference", "Plan or advice", "Plan reference", "Advice type", "Agency",
                 "Cycle", "Academic year", "Audit date", "Final grade", "Good or better",
                 "How the grade was reached", "grade_value", "advice_type_code",
                 "method_code"]
"""Headers in words; the last three columns keep the grade's value and the codes."""


def audit_rows(year: str) -> Iterator[list[object]]:
    """Final grades of a year; the request's scoping limits an agency lead to their agency."""
    advice_plan = aliased(Plan)
    query = (
        select(FinalGrade, Plan.ref, Advice.ref, Advice.advice_type, advice_plan.ref,
               Agency.name, Cycle.name, RubricVersion.body)
        .outerjoin(Plan, Plan.id == FinalGrade.plan_id)
        .outerjoin(Advice, Advice.id == FinalGrade.advice_id)
        .outerjoin(advice_plan, advice_plan.id == Advice.plan_id)
        .outerjoin(Agency, Agency.id == db.func.coalesce(Advice.agency_id, Plan.agency_id))
        .outerjoin(Cycle, Cycle.id == FinalGrade.cycle_id)
        .outerjoin(RubricVersion, RubricVersion.id == FinalGrade.rubric_version_id)
        .where(FinalGrade.academic_year == year)
        .order_by(FinalGrade.audit_date, FinalGrade.id)
    )
    for grade, plan_ref, advice_ref, advice_type, advice_plan_ref, agency, cycle, body in (
            db.session.execute(query.execution_options(yield_per=1000))):
        subject = "Plan" if plan_ref else "Advice"
        yield [plan_ref or advice_ref, subject, plan_ref or advice_plan_ref,
               advice_type_words(advice_type), agency, cycle or "", grade.academic_year,
               grade.audit_date, grade_label(body, grade.grade),
               "Yes" if grade.good_or_better else "No",
               METHOD_WORDS.get(grade.method, grade.method), grade.grade, advice_type or "",
               grade.method]


METHOD_WORDS = {"agreed": "Both auditors agreed", "moderated": "Decided by the panel chair",
                "imported": "Imported from earlier records"}


def advice_type_words(advice_type: str | None) -> str:
    return scope_label(f"advice_type:{advice_type}") if advice_type else ""


def grade_label(body: dict | None, value: int | None) -> str:
    """The grade's label on its rubric's scale, e.g. "Good"; the value where it has none."""
    for level in (body or {}).get("scale") or []:
        if isinstance(level, dict) and level.get("value") == value and level.get("label"):
            return str(level["label"])
    return "" if value is None else str(value)


TIMELINESS_HEADERS = ["Advice reference", "Plan reference", "Agency", "Advice type",
                      "Requested", "Due", "Received", "Days late", "On time",
                      "Statutory exception", "advice_type_code", "exception_code"]
"""Headers in words; the last two columns keep the codes."""


def timeliness_rows(start: date, end: date) -> Iterator[list[object]]:
    """Advice due in the period; the request's scoping limits an agency lead to theirs."""
    query = (
        select(Advice, Plan.ref, Agency.name)
        .join(Plan, Plan.id == Advice.plan_id)
        .join(Agency, Agency.id == Advice.agency_id)
        .where(Advice.due_date >= start, Advice.due_date <= end)
        .order_by(Advice.due_date, Advice.ref)
    )
    for advice, plan_ref, agency in db.session.execute(query.execution_options(yield_per=1000)):
        late = advice.days_late
        if advice.exception:
            on_time = "Statutory exception"
        elif advice.received_date is None:
            on_time = "Not received"
        else:
            on_time = "Yes" if late is not None and late <= 0 else "No"
        exception = advice.exception or ""
        yield [advice.ref, plan_ref, agency, advice_type_words(advice.advice_type),
               advice.requested_date, advice.due_date, advice.received_date, late, on_time,
               ADVICE_EXCEPTION_LABELS.get(exception, exception), advice.advice_type, exception]
