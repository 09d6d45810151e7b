"""A historic audit that names a cycle belongs to that cycle: its year, and dates within it."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.standards.rubric import load_rubric
from tests import factories as make
from tests.factories import csrf_token, sign_in
from tests.factories.imports import counts, csv_bytes, errors_of, run

FIELDS = ["subject_ref", "rubric_id", "rubric_version", "audit_date", "cycle", "auditor_email"]
SUMMER = "Summer term 2025"


@pytest.fixture()
def world(app):
    """A summer cycle that runs on into September: it started in academic year 2024/25."""
    make.on(app).shipped_rubrics()
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    make.on(app).plan(casework.id, "EHCP-Y5", nc_year=5)
    make.on(app).plan(casework.id, "EHCP-Y10", nc_year=10)
    with app.app_context():
        db.session.add(Cycle(name=SUMMER, start_date=date(2025, 6, 2),
                             end_date=date(2025, 9, 30), academic_year="2024/25"))
        db.session.commit()


def rows(app, *audits: tuple[str, str, str]) -> bytes:
    """(plan reference, audit date, cycle) per row, each graded good on child voice."""
    criteria = [c.id for c in load_rubric(Path(app.config["RUBRICS_DIR"]) / "ehcp-plan.yaml")
                .criteria]
    header = [*FIELDS, *criteria, "overall", "override_reason"]
    table = [header]
    for ref, day, cycle in audits:
        values = {"subject_ref": ref, "rubric_id": "ehcp-plan", "audit_date": day,
                  "cycle": cycle, "child_voice": "Good"}
        table.append([values.get(name, "") for name in header])
    return csv_bytes(table)


def stored_years(app) -> list[tuple[date, str]]:
    with app.app_context():
        return list(db.session.execute(
            select(FinalGrade.audit_date, FinalGrade.academic_year).order_by(FinalGrade.id)
        ).all())


def test_an_audit_in_a_cycle_counts_in_the_cycles_academic_year(app, world):
    data = rows(app, ("EHCP-Y5", "15/09/2025", SUMMER), ("EHCP-Y10", "15/09/2025", ""))
    report = run(app, "audits", data)
    assert report.ok, report.sorted_errors()
    assert stored_years(app) == [(date(2025, 9, 15), "2024/25"), (date(2025, 9, 15), "2025/26")]


@pytest.mark.parametrize("day", ["30/05/2025", "01/10/2025"])
def test_a_date_outside_its_cycle_is_a_row_error_and_nothing_is_written(app, world, day):
    data = rows(app, ("EHCP-Y10", "10/07/2025", SUMMER), ("EHCP-Y5", day, SUMMER))
    before = counts(app)
    report = run(app, "audits", data)
    assert errors_of(report) == [(3, "audit_date")]
    reason = report.errors[0].reason
    assert f"{day} is outside cycle '{SUMMER}' (02/06/2025 to 30/09/2025)" in reason
    assert counts(app) == before


def test_the_first_and_last_days_of_the_cycle_are_inside_it(app, world):
    data = rows(app, ("EHCP-Y5", "02/06/2025", SUMMER), ("EHCP-Y10", "30/09/2025", SUMMER))
    assert run(app, "audits", data).ok
    assert [year for _, year in stored_years(app)] == ["2024/25", "2024/25"]


def test_the_command_names_the_row_and_column_and_imports_nothing(app, world, runner,
                                                                   tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(rows(app, ("EHCP-Y5", "01/10/2025", SUMMER)))
    before = counts(app)
    result = runner.invoke(["import", "audits", str(path)])
    assert result.exit_code == 1
    assert "row 2: audit_date: 01/10/2025 is outside cycle 'Summer term 2025'" in result.output
    assert counts(app) == before


def test_the_import_page_lists_the_out_of_cycle_row(app, client, world):
    sign_in(client, make.on(app).user("qi_manager").email)
    before = counts(app)
    form = {"kind": "audits", "csrf_token": csrf_token(client, "/imports/"),
            "file": (io.BytesIO(rows(app, ("EHCP-Y5", "01/10/2025", SUMMER))), "audits.csv")}
    response = client.post("/imports/", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    body = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert re.search(r">2</td> ?<td class=\"govuk-table__cell\">audit_date<", body)
    assert "01/10/2025 is outside cycle &#39;Summer term 2025&#39;" in body
    assert counts(app) == before
