"""Identifying data is refused whatever its column is called, and wherever a value holds an
NHS number or a postcode; a refused file writes nothing."""

from __future__ import annotations

import pytest

from qa_app.register.importing.identifying import identifying_kind, valid_nhs_number
from tests import factories as make
from tests.factories.imports import (
    ADVICE_HEADER,
    PLAN_HEADER,
    counts,
    csv_bytes,
    errors_of,
    run,
    xlsx_bytes,
)

CASEWORK = "SEND Casework Team"
DISGUISED = ["ChildName", "PupilName", "YPName", "Born", "BirthDt", "NHSRef", "Address1",
             "Street", "Post_Code_Home", "CYP_Forename", "childFullName", "NHSNo", "DOB2",
             "Home Address Line 2", "YoungPersonName", "HouseNumber"]
HARMLESS = ["SettingName", "AgencyName", "Agency code", "NHS trust", "NHSTrustName",
            "caseworker", "auditor_email_address", "EmailAddress", "PlanRefOld", "Reviewer",
            "Named worker"]
VALID_NHS = "943 476 5919"  # 9x10 + 4x9 + 3x8 + 4x7 + 7x6 + 6x5 + 5x4 + 9x3 + 1x2 = 299 -> 9


@pytest.fixture()
def casework(app):
    return make.on(app).agency(CASEWORK, "local_authority")


def rows_with(extra: str, value: str = "x") -> list[list[object]]:
    return [[*PLAN_HEADER, extra],
            ["EHCP-001", CASEWORK, "5", "new", "01/09/2025", "", "Oak Primary", value],
            ["EHCP-002", CASEWORK, "9", "new", "01/09/2025", "", "", value]]


@pytest.mark.parametrize("column", DISGUISED)
def test_disguised_identifying_columns_are_refused(app, casework, column):
    report = run(app, "plans", csv_bytes(rows_with(column)))
    assert errors_of(report) == [(None, column)]
    assert "does not store" in report.errors[0].reason
    assert counts(app)["plans"] == 0


@pytest.mark.parametrize("column", ["ChildName", "PupilName", "YPName", "Post_Code_Home"])
def test_a_mapping_cannot_route_a_name_column_into_a_stored_field(app, casework, column):
    header = [*PLAN_HEADER[:6], column]
    rows = [header, ["EHCP-001", CASEWORK, "5", "new", "01/09/2025", "", "Alex Example"]]
    report = run(app, "plans", csv_bytes(rows), mapping=f"setting: {column}\n".encode())
    assert errors_of(report) == [(None, column)]
    assert counts(app)["plans"] == 0


@pytest.mark.parametrize("column", HARMLESS)
def test_ordinary_columns_are_still_accepted(app, casework, column):
    assert identifying_kind(column) is None
    assert run(app, "plans", csv_bytes(rows_with(column))).ok


def test_the_nhs_check_digit_is_what_decides():
    assert valid_nhs_number("9434765919")
    assert not valid_nhs_number("9434765918")  # wrong check digit
    assert not valid_nhs_number("1234567890")  # remainder gives 10: never issued
    assert not valid_nhs_number("９４３４７６５９１９")  # full-width digits


@pytest.mark.parametrize("value, kind", [
    (VALID_NHS, "an NHS number"), ("9434765919", "an NHS number"),
    (f"Oak Primary (ref {VALID_NHS.replace(' ', '-')})", "an NHS number"),
    ("Oak Primary, EX1 1AA", "a postcode"), ("lives near sw1a1aa", "a postcode"),
    ("Riverside M1 1AE campus", "a postcode"),
])
def test_a_value_holding_an_nhs_number_or_postcode_is_refused_with_row_and_column(
        app, casework, value, kind):
    rows = rows_with("notes")
    rows[2][6] = value
    for data, name in ((csv_bytes(rows), "export.csv"), (xlsx_bytes(rows), "export.xlsx")):
        report = run(app, "plans", data, name=name)
        assert errors_of(report) == [(3, "setting")], name
        assert f"this looks like {kind}" in report.errors[0].reason
        assert counts(app)["plans"] == 0


def test_a_mapped_free_text_column_is_checked_too(app, casework):
    header = [*PLAN_HEADER[:6], "School attended"]
    rows = [header, ["EHCP-001", CASEWORK, "5", "new", "01/09/2025", "", "Oak Primary EX4 4QJ"]]
    report = run(app, "plans", csv_bytes(rows), mapping=b"setting: School attended\n")
    assert errors_of(report) == [(2, "School attended")]
    assert counts(app)["plans"] == 0


def test_advice_notes_are_checked(app, casework):
    health = make.on(app).agency("Community Paediatrics", "health")
    plan = make.on(app).plan(casework.id, ref="EHCP-001")
    rows = [ADVICE_HEADER,
            ["ADV-1", plan.ref, health.name, "health", "01/09/2025", "", "", "",
             ""],
            ["ADV-2", plan.ref, health.name, "health", "01/09/2025", "", "",
             "missed_appointment", f"Parent asked us to use NHS number {VALID_NHS}"]]
    report = run(app, "advice", csv_bytes(rows))
    assert (3, "exception_note") in errors_of(report)
    assert counts(app)["advice"] == 0


def test_numbers_that_fail_the_check_and_ordinary_text_pass(app, casework):
    rows = rows_with("notes")
    rows[1][6] = "Oak Primary 9434765918"
    rows[2][6] = "Year 5 class 2B, room 12"
    assert run(app, "plans", csv_bytes(rows)).ok


def test_notes_with_ordinals_are_not_taken_for_postcodes(app, casework):
    rows = rows_with("notes")
    rows[1][6] = "Y10 2nd site"
    rows[2][6] = "Room B12 3rd floor, EP visit wk3 1st Sept"
    assert run(app, "plans", csv_bytes(rows)).ok
    rows[2][6] = "moved to sw1a 2ab"
    report = run(app, "plans", csv_bytes(rows))
    assert not report.ok and (3, "setting") in errors_of(report)
