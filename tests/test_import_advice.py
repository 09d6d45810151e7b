"""Importing the advice log: due dates, statutory exceptions, grades, and every bad row at once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from qa_app.extensions import db
from qa_app.register.models import Advice
from tests import factories as make
from tests.factories.imports import ADVICE_HEADER, counts, csv_bytes, errors_of, run, xlsx_bytes

HEALTH = "Community Paediatrics"
EPS = "Educational Psychology Service"


@pytest.fixture()
def register(app):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    make.on(app).agency(HEALTH, "health")
    make.on(app).agency(EPS, "education")
    return {ref: make.on(app).plan(casework.id, ref) for ref in ("EHCP-1", "EHCP-2")}


def good_rows() -> list[list[object]]:
    return [
        ADVICE_HEADER,
        ["ADV-1", "EHCP-1", HEALTH, "health", "01/09/2025", "10/10/2025", "Good", "", ""],
        ["ADV-2", "EHCP-1", EPS, "Educational psychology", "2025-09-01", "", "2", "", ""],
        ["ADV-3", "EHCP-2", HEALTH, "health", "08/09/2025", "", "",
         "Missed appointment", "Two appointments were missed"],
        ["ADV-4", "EHCP-2", EPS, "educational_psychology", "08/09/2025", "", "",
         "away_from_area", "Family away for six weeks"],
    ]


def advice(app) -> dict[str, Advice]:
    with app.app_context():
        rows = db.session.execute(select(Advice)).scalars().all()
        db.session.expunge_all()
        return {row.ref: row for row in rows}


def test_imports_advice_with_due_dates_grades_and_exceptions(app, register):
    report = run(app, "advice", csv_bytes(good_rows()))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    stored = advice(app)
    first = stored["ADV-1"]
    assert first.plan_id == register["EHCP-1"].id
    assert first.requested_date == date(2025, 9, 1)
    assert first.due_date == date(2025, 9, 1) + timedelta(days=42)
    assert first.received_date == date(2025, 10, 10) and first.agency_grade == 3
    assert stored["ADV-2"].advice_type == "educational_psychology"
    assert stored["ADV-2"].agency_grade == 2
    assert stored["ADV-3"].exception == "missed_appointment"
    assert stored["ADV-3"].exception_note == "Two appointments were missed"
    assert stored["ADV-4"].exception == "away_from_area"


def test_exception_can_be_given_as_its_label(app, register):
    rows = good_rows()[:2]
    rows[1][7:9] = ["Child or family away from the area for 4 weeks or more", "Abroad"]
    assert run(app, "advice", csv_bytes(rows)).ok
    assert advice(app)["ADV-1"].exception == "away_from_area"


def test_due_date_follows_the_configured_advice_deadline(app, register, tmp_path,
                                                         monkeypatch):
    source = Path(app.config["RUBRICS_DIR"]) / "targets.yaml"
    text = source.read_text().replace("advice_deadline_days: 42", "advice_deadline_days: 30")
    (tmp_path / "targets.yaml").write_text(text)
    monkeypatch.setitem(app.config, "RUBRICS_DIR", tmp_path)
    assert run(app, "advice", csv_bytes(good_rows()[:2])).ok
    assert advice(app)["ADV-1"].due_date == date(2025, 10, 1)


def test_reimport_is_idempotent_and_updates_changed_rows(app, register):
    run(app, "advice", csv_bytes(good_rows()))
    again = run(app, "advice", csv_bytes(good_rows(), delimiter=";", bom=True, crlf=True))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    rows = good_rows()
    rows[2][5] = "20/10/2025"
    third = run(app, "advice", xlsx_bytes(rows), "advice.xlsx")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 3)
    stored = advice(app)
    assert len(stored) == 4 and stored["ADV-2"].received_date == date(2025, 10, 20)


BAD_CASES = [
    (["A9", "EHCP-404", HEALTH, "health", "01/09/2025", "", "", "", ""], "plan_ref",
     "no plan with reference 'EHCP-404'"),
    (["A9", "EHCP-1", "Paediatrics", "health", "01/09/2025", "", "", "", ""], "agency",
     "unknown agency"),
    (["A9", "EHCP-1", HEALTH, "speech", "01/09/2025", "", "", "", ""], "advice_type",
     "unknown advice_type 'speech'"),
    (["A9", "EHCP-1", HEALTH, "health", "", "", "", "", ""], "requested_date",
     "requested_date is required"),
    (["A9", "EHCP-1", HEALTH, "health", "1st Sept", "", "", "", ""], "requested_date",
     "is not a date"),
    (["A9", "EHCP-1", HEALTH, "health", "01/09/2025", "31/08/2025", "", "", ""],
     "received_date", "received before it was requested"),
    (["A9", "EHCP-1", HEALTH, "health", "01/09/2025", "", "", "illness", "Poorly"],
     "exception", "unknown statutory exception 'illness'"),
    (["A9", "EHCP-1", HEALTH, "health", "01/09/2025", "", "", "missed_appointment", ""],
     "exception_note", "needs the reason"),
    (["A9", "EHCP-1", HEALTH, "health", "01/09/2025", "", "", "", "A note"],
     "exception", "no statutory exception"),
    (["A9", "EHCP-1", HEALTH, "health", "01/09/2025", "", "Great", "", ""], "agency_grade",
     "not a grade on the scale"),
    (["ADV-1", "EHCP-1", HEALTH, "health", "01/09/2025", "", "", "", ""], "advice_ref",
     "also on row 2"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_CASES,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(BAD_CASES)])
def test_each_bad_value_is_reported_and_nothing_is_written(app, register, row, column, reason):
    before = counts(app)
    report = run(app, "advice", csv_bytes([*good_rows(), row]))
    assert errors_of(report) == [(6, column)]
    assert reason in report.errors[0].reason
    assert counts(app) == before


def test_all_problems_of_all_rows_are_listed_together(app, register):
    rows = [*good_rows(),
            ["A9", "EHCP-404", "Nobody", "speech", "01/09/2025", "01/08/2025", "", "x", ""],
            ["A10", "EHCP-405", HEALTH, "health", "01/09/2025", "", "", "", ""]]
    report = run(app, "advice", csv_bytes(rows))
    assert errors_of(report) == [(6, "advice_type"), (6, "agency"), (6, "exception"),
                                 (6, "plan_ref"), (6, "received_date"), (7, "plan_ref")]
    assert counts(app)["advice"] == 0


def test_missing_required_column_names_it(app, register):
    rows = [[c for i, c in enumerate(r) if i != 4] for r in good_rows()]
    report = run(app, "advice", csv_bytes(rows))
    assert errors_of(report) == [(None, "requested_date")]


def test_identifying_columns_are_refused(app, register):
    rows = [[*r, ""] for r in good_rows()]
    rows[0][-1] = "Child's date of birth"
    report = run(app, "advice", csv_bytes(rows))
    assert "does not store" in report.errors[0].reason
    assert counts(app)["advice"] == 0


def test_advice_types_are_those_of_the_loaded_rubrics(app, register, tmp_path):
    from qa_app.standards.operations import load_rubric_files

    make.on(app).shipped_rubrics()
    speech = (Path(app.config["RUBRICS_DIR"]) / "advice-health.yaml").read_text()
    speech = speech.replace("id: advice-health", "id: advice-speech").replace(
        "advice_types: [health]", "advice_types: [speech_and_language]")
    (tmp_path / "advice-speech.yaml").write_text(speech)
    with app.app_context():
        load_rubric_files([tmp_path / "advice-speech.yaml"])
        db.session.commit()
    rows = [*good_rows(),
            ["ADV-5", "EHCP-1", HEALTH, "Speech and language", "01/09/2025", "", "Good", "", ""]]
    report = run(app, "advice", csv_bytes(rows))
    assert report.ok, report.errors
    assert advice(app)["ADV-5"].advice_type == "speech_and_language"


def test_agency_grade_reads_the_advice_rubric_scale(app, register):
    make.on(app).shipped_rubrics()
    rows = good_rows()[:3]
    rows[1][6], rows[2][6] = "outstanding", "Requires improvement"
    assert run(app, "advice", csv_bytes(rows)).ok
    stored = advice(app)
    assert (stored["ADV-1"].agency_grade, stored["ADV-2"].agency_grade) == (4, 2)


def test_command_lists_every_bad_row(app, register, runner, tmp_path):
    path = tmp_path / "advice.xlsx"
    path.write_bytes(xlsx_bytes([*good_rows(),
                                 ["A9", "EHCP-404", HEALTH, "health", date(2025, 9, 1), None,
                                  None, None, None]]))
    result = runner.invoke(["import", "advice", str(path)])
    assert result.exit_code == 1
    assert "row 6: plan_ref: no plan with reference 'EHCP-404'" in result.output
    assert "Traceback" not in result.output
    path.write_bytes(xlsx_bytes(good_rows()))
    result = runner.invoke(["import", "advice", str(path)])
    assert result.exit_code == 0 and "4 created" in result.output


def _deactivate(app, name: str) -> None:
    from qa_app.register.models import Agency

    with app.app_context():
        db.session.execute(update(Agency).where(Agency.name == name).values(active=False))
        db.session.commit()


def test_new_advice_from_an_inactive_agency_is_a_row_error_and_its_old_advice_stays(
        app, register):
    assert run(app, "advice", csv_bytes(good_rows())).ok
    _deactivate(app, HEALTH)
    before = counts(app)
    rows = [*good_rows(),
            ["ADV-5", "EHCP-2", "community paediatrics", "health", "01/10/2025", "", "", "", ""]]
    report = run(app, "advice", csv_bytes(rows))
    assert [error.line() for error in report.sorted_errors()] == [
        "row 6: agency: agency 'Community Paediatrics' is no longer active; reactivate it on "
        "the Agencies page or correct the row"]
    assert counts(app) == before and "ADV-5" not in advice(app)
    rows[1][5] = "12/10/2025"  # ADV-1, already Community Paediatrics's, may still change
    report = run(app, "advice", csv_bytes(rows[:-1]))
    assert report.ok, report.errors
    assert advice(app)["ADV-1"].received_date == date(2025, 10, 12)


def test_advice_agencies_match_in_any_capitals_and_spacing(app, register):
    rows = good_rows()
    rows[1][2] = " COMMUNITY  paediatrics"
    report = run(app, "advice", csv_bytes(rows))
    assert report.ok, report.errors
    stored = advice(app)
    assert stored["ADV-1"].agency_id == stored["ADV-3"].agency_id
