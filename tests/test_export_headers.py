"""Exports people open in a spreadsheet: header rows in words, the codes a machine needs kept
in their own columns at the end, and file names that say the measure and the period."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import sign_in

CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")


@pytest.fixture()
def manager(app, client):
    """A graded plan, a graded piece of advice, and advice due in 2025/26: one late, one on
    time, one with a statutory exception."""
    casework, health, _, cycle_id = make.on(app).dashboard_world()
    plan = make.on(app).plan(casework.id, ref="EHCP-HEAD-1")
    late = make.on(app).advice(plan.id, health.id, ref="ADV-LATE", received=date(2025, 11, 1))
    make.on(app).advice(plan.id, health.id, ref="ADV-ON-TIME", received=date(2025, 10, 1))
    make.on(app).advice(plan.id, health.id, ref="ADV-EXCEPTED",
                        exception="missed_appointment")
    with app.app_context():
        version = RubricVersion(
            rubric_id="head", version="1", title="Head", applies_to="advice",
            content_hash="3" * 64,
            body={"good_or_better": 3, "scale": [
                {"value": 1, "label": "Inadequate"}, {"value": 2, "label": "Requires improvement"},
                {"value": 3, "label": "Good"}, {"value": 4, "label": "Outstanding"}]})
        db.session.add(version)
        db.session.flush()
        db.session.add(FinalGrade(cycle_id=cycle_id, advice_id=late.id,
                                  rubric_version_id=version.id, academic_year="2025/26",
                                  audit_date=date(2025, 11, 20), grade=2,
                                  good_or_better=False, method="moderated"))
        db.session.commit()
    sign_in(client, make.on(app).user("qi_manager").email)


def _csv(client, path: str) -> tuple[str, list[dict[str, str]]]:
    response = client.get(path)
    assert response.status_code == 200, path
    name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return name, rows


def _words_then_codes(header: list[str]) -> None:
    """People's columns first, in words; machines' columns (lower-case codes) last."""
    codes = [i for i, h in enumerate(header) if CODE.match(h)]
    assert codes and codes == list(range(len(header) - len(codes), len(header))), header
    for word in header[:codes[0]]:
        assert "_" not in word and word[:1].isupper(), word


def test_final_grades_export_is_in_words_with_codes_kept(client, manager):
    name, rows = _csv(client, "/dashboard/export/audits.csv?year=2025/26")
    assert name == "final-grades-2025-26.csv"
    _words_then_codes(list(rows[0]))
    row = next(r for r in rows if r["Reference"] == "ADV-LATE")
    assert row["Plan or advice"] == "Advice" and row["Plan reference"] == "EHCP-HEAD-1"
    assert row["Advice type"] == "Health" and row["advice_type_code"] == "health"
    assert row["Final grade"] == "Requires improvement" and row["grade_value"] == "2"
    assert row["Good or better"] == "No"
    assert row["How the grade was reached"] == "Decided by the panel chair"
    assert row["method_code"] == "moderated"


def test_timeliness_export_is_in_words_with_codes_kept(client, manager):
    name, rows = _csv(client, "/dashboard/export/timeliness.csv?year=2025/26")
    assert name == "advice-timeliness-2025-26.csv"
    _words_then_codes(list(rows[0]))
    by_ref = {r["Advice reference"]: r for r in rows}
    # requested 8 September, due 42 days later on 20 October
    assert by_ref["ADV-LATE"]["Due"] == "2025-10-20" and by_ref["ADV-LATE"]["Days late"] == "12"
    assert by_ref["ADV-LATE"]["On time"] == "No" and by_ref["ADV-ON-TIME"]["On time"] == "Yes"
    excepted = by_ref["ADV-EXCEPTED"]
    assert excepted["On time"] == "Statutory exception"
    assert excepted["Statutory exception"] == "Child or parent missed an appointment"
    assert excepted["exception_code"] == "missed_appointment"
    assert excepted["Advice type"] == "Health" and excepted["advice_type_code"] == "health"


def test_spreadsheet_downloads_have_the_same_words(client, manager):
    for kind in ("audits", "timeliness", "rates"):
        response = client.get(f"/dashboard/export/{kind}.xlsx?year=2025/26")
        header = next(load_workbook(io.BytesIO(response.data)).active.iter_rows(
            values_only=True))
        _words_then_codes(list(header))


def test_no_download_is_named_for_a_chart(client, manager):
    for chart in ("headline", "agencies", "heatmap", "trend"):
        response = client.get(f"/dashboard/data/{chart}.csv?year=2025/26")
        name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"])[1]
        assert not {"heatmap", "trend", "agencies"} & set(name.split("-")), name
        assert name.endswith("-2025-26.csv"), name
