"""CSV and XLSX exports built in memory, and imports run against the test database.

`run` and `counts` stand where the import command does, so they take the app."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from flask import Flask
from sqlalchemy import func, select

from qa_app.extensions import db

Rows = Sequence[Sequence[object]]

PLAN_HEADER = ["plan_ref", "agency", "nc_year", "plan_kind", "request_date", "issue_date",
               "setting"]
ADVICE_HEADER = ["advice_ref", "plan_ref", "agency", "advice_type", "requested_date",
                 "received_date", "agency_grade", "exception", "exception_note"]


def csv_bytes(rows: Rows, *, delimiter: str = ",", bom: bool = False, crlf: bool = False) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: Rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(app: Flask, kind: str, data: bytes, name: str = "export.csv",
        mapping: bytes | None = None, mapping_name: str = "mapping.yaml"):
    """Import as the command does: commit when clean, roll back otherwise."""
    from qa_app.register.importing import run_import

    with app.app_context():
        report = run_import(kind, io.BytesIO(data), name,
                            mapping=io.BytesIO(mapping) if mapping is not None else None,
                            mapping_name=mapping_name)
        if report.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return report


def counts(app: Flask) -> dict[str, int]:
    """Rows in every table an import can touch, to prove a refused file changed nothing."""
    from qa_app.audit_log import AuditLogEntry
    from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
    from qa_app.audits.scoring.models import Audit, AuditScore
    from qa_app.register.models import Advice, Plan

    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Plan, Advice, Audit, AuditScore, FinalGrade, FinalCriterionGrade,
                          AuditLogEntry)
        }


def errors_of(report) -> list[tuple[int | None, str]]:
    return [(e.row, e.column) for e in report.sorted_errors()]


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")
