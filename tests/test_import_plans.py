"""Importing the EHCP register: formats, every bad row at once, nothing half-written, re-imports."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from qa_app.register.models import Plan
from tests import factories as make
from tests.factories.imports import PLAN_HEADER, counts, csv_bytes, errors_of, run, xlsx_bytes

CASEWORK = "SEND Casework Team"


@pytest.fixture()
def casework(app):
    return make.on(app).agency(CASEWORK, "local_authority")


def good_rows() -> list[list[object]]:
    return [
        PLAN_HEADER,
        ["EHCP-001", CASEWORK, "5", "new", "01/09/2025", "05/01/2026", "Oak Primary"],
        ["EHCP-002", CASEWORK, "Year 9", "Annual review", "2025-09-02", "", ""],
        ["EHCP-003", CASEWORK, "R", "annual_review", "", "", None],
    ]


def plans(app) -> dict[str, Plan]:
    with app.app_context():
        rows = db.session.execute(select(Plan)).scalars().all()
        db.session.expunge_all()
        return {row.ref: row for row in rows}


def test_imports_a_register_with_uk_and_iso_dates(app, casework):
    report = run(app, "plans", csv_bytes(good_rows()))
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    stored = plans(app)
    first = stored["EHCP-001"]
    assert (first.agency_id, first.nc_year, first.plan_kind) == (casework.id, 5, "new")
    assert (first.request_date, first.issue_date) == (date(2025, 9, 1), date(2026, 1, 5))
    assert first.setting == "Oak Primary"
    assert stored["EHCP-002"].nc_year == 9
    assert stored["EHCP-002"].plan_kind == "annual_review"
    assert stored["EHCP-002"].request_date == date(2025, 9, 2)
    assert stored["EHCP-003"].nc_year == 0 and stored["EHCP-003"].setting is None


@pytest.mark.parametrize(
    "options",
    [{"bom": True}, {"delimiter": ";"}, {"crlf": True}, {"bom": True, "delimiter": ";",
                                                          "crlf": True}],
    ids=["bom", "semicolons", "crlf", "all-three"],
)
def test_csv_variants_from_spreadsheet_programs(app, casework, options):
    report = run(app, "plans", csv_bytes(good_rows(), **options))
    assert report.ok, report.errors
    assert report.created == 3
    assert plans(app)["EHCP-001"].request_date == date(2025, 9, 1)


def test_xlsx_with_real_date_and_number_cells(app, casework):
    rows = good_rows()
    rows[1] = ["EHCP-001", CASEWORK, 5, "new", date(2025, 9, 1), date(2026, 1, 5), "Oak"]
    rows.insert(2, [None] * 7)  # a blank row still counts in the numbering
    rows.append([4004, CASEWORK, 11.0, "new", None, None, None])
    report = run(app, "plans", xlsx_bytes(rows), "register.xlsx")
    assert report.ok, report.errors
    stored = plans(app)
    assert stored["EHCP-001"].issue_date == date(2026, 1, 5)
    assert stored["4004"].nc_year == 11
    bad = run(app, "plans", xlsx_bytes([PLAN_HEADER, [None] * 7,
                                        ["X", "Nowhere", 5, "new", None, None, None]]), "r.xlsx")
    assert errors_of(bad) == [(3, "agency")]


def test_reimport_updates_by_reference_without_duplicates(app, casework):
    run(app, "plans", csv_bytes(good_rows()))
    again = run(app, "plans", csv_bytes(good_rows()))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = good_rows()
    changed[2][2] = "10"
    changed.append(["EHCP-004", CASEWORK, "3", "new", "", "", ""])
    third = run(app, "plans", csv_bytes(changed))
    assert (third.created, third.updated, third.unchanged) == (1, 1, 2)
    stored = plans(app)
    assert len(stored) == 4 and stored["EHCP-002"].nc_year == 10


BAD_CASES = [
    (["P1", "Nowhere Team", "5", "new", "", "", ""], "agency", "unknown agency 'Nowhere Team'"),
    (["P1", CASEWORK, "5", "new", "31/02/2025", "", ""], "request_date", "not a real date"),
    (["P1", CASEWORK, "5", "new", "2025/09/01", "", ""], "request_date", "is not a date"),
    (["P1", CASEWORK, "5", "new", "01/09/25", "", ""], "request_date", "two-digit year"),
    (["P1", CASEWORK, "5", "new", "01/09/2025", "01/08/2025", ""], "issue_date",
     "issued before it was requested"),
    (["P1", CASEWORK, "5", "interim", "", "", ""], "plan_kind", "unknown plan_kind 'interim'"),
    (["P1", CASEWORK, "five", "new", "", "", ""], "nc_year", "not a national curriculum year"),
    (["P1", CASEWORK, "5.5", "new", "", "", ""], "nc_year", "not a national curriculum year"),
    (["P1", CASEWORK, "21", "new", "", "", ""], "nc_year", "outside -2 to 20"),
    (["", CASEWORK, "5", "new", "", "", ""], "plan_ref", "plan_ref is required"),
    (["P" * 65, CASEWORK, "5", "new", "", "", ""], "plan_ref", "longer than 64"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_CASES,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(BAD_CASES)])
def test_each_bad_value_is_reported_and_nothing_is_written(app, casework, row, column, reason):
    before = counts(app)
    report = run(app, "plans", csv_bytes([*good_rows(), row]))
    assert not report.ok
    assert errors_of(report) == [(5, column)]
    assert reason in report.errors[0].reason
    assert counts(app) == before


def test_every_bad_row_is_reported_at_once_with_its_spreadsheet_row(app, casework):
    rows = [*good_rows(), [], ["EHCP-001", "Nowhere", "x", "odd", "", "", ""],
            ["EHCP-009", CASEWORK, "5", "new", "99/99/2025", "", ""]]
    before = counts(app)
    report = run(app, "plans", csv_bytes(rows, crlf=True))
    assert errors_of(report) == [(6, "agency"), (6, "nc_year"), (6, "plan_kind"),
                                 (6, "plan_ref"), (7, "request_date")]
    assert "also on row 2" in report.sorted_errors()[3].reason
    assert report.bad_rows == {6, 7}
    assert counts(app) == before


def test_duplicate_reference_in_the_file(app, casework):
    rows = [*good_rows(), good_rows()[1]]
    report = run(app, "plans", csv_bytes(rows))
    assert errors_of(report) == [(5, "plan_ref")]
    assert counts(app)["plans"] == 0


def test_missing_required_columns_are_file_errors_naming_each(app, casework):
    rows = [[c for c in r[:2]] + [r[4]] for r in good_rows()]
    report = run(app, "plans", csv_bytes(rows))
    assert errors_of(report) == [(None, "nc_year"), (None, "plan_kind")]
    assert "required" in report.errors[0].reason
    assert counts(app)["plans"] == 0


@pytest.mark.parametrize(
    "column",
    ["name", "Child Name", "First name", "Surname", "child_name", "DOB", "Date of birth",
     "date_of_birth", "Address", "Home address line 1", "Postcode", "post code", "NHS number",
     "nhs_no", "NHS No."],
)
def test_columns_identifying_a_child_are_refused_before_reading_rows(app, casework, column):
    rows = [[*r, "x"] for r in good_rows()]
    rows[0][-1] = column
    report = run(app, "plans", csv_bytes(rows))
    assert [(e.row, e.column) for e in report.errors] == [(None, column)]
    assert "does not store" in report.errors[0].reason
    assert report.rows == 0
    assert counts(app)["plans"] == 0


@pytest.mark.parametrize("column", ["setting name", "agency_name", "auditor_email_address",
                                    "NHS trust", "caseworker"])
def test_harmless_columns_are_not_mistaken_for_identifying_ones(app, casework, column):
    rows = [[*r, "x"] for r in good_rows()]
    rows[0][-1] = column
    assert run(app, "plans", csv_bytes(rows)).ok


YAML_MAPPING = b"""# our field: the column in the case management export
plan_ref: EHCP Reference
agency: Case team
nc_year: NCY
plan_kind: Plan type
request_date: Date of request
"""


def test_mapping_file_renames_another_exports_columns(app, casework):
    header = ["EHCP Reference", "Case team", "NCY", "Plan type", "Date of request", "Notes"]
    rows = [header, ["E1", CASEWORK, "Y5", "New", "01/09/2025", "anything"]]
    report = run(app, "plans", csv_bytes(rows), mapping=YAML_MAPPING)
    assert report.ok, report.errors
    assert plans(app)["E1"].request_date == date(2025, 9, 1)
    csv_mapping = b"field,column\nplan_ref,EHCP Reference\nagency,Case team\nnc_year,NCY\n" \
                  b"plan_kind,Plan type\n"
    again = run(app, "plans", csv_bytes(rows), mapping=csv_mapping, mapping_name="map.csv")
    assert again.ok and again.unchanged == 1, "an absent column leaves stored values alone"
    assert plans(app)["E1"].request_date == date(2025, 9, 1)


def test_bad_mapping_files_are_clear(app, casework):
    rows = csv_bytes(good_rows())
    missing = run(app, "plans", rows, mapping=b"plan_ref: EHCP Reference\n")
    assert errors_of(missing) == [(None, "plan_ref")]
    assert "no such column" in missing.errors[0].reason
    unknown = run(app, "plans", rows, mapping=b"colour: Colour\n")
    assert "does not know" in unknown.errors[0].reason
    broken = run(app, "plans", rows, mapping=b"plan_ref: [unclosed\n")
    assert "not valid YAML" in broken.errors[0].reason
    assert counts(app)["plans"] == 0


def test_file_format_problems_are_one_clear_message(app, casework):
    cases = {
        b"": "empty",
        b"\xd0\xcf\x11\xe0rest of an old workbook": ".xls",
        "plan_ref,agency\n".encode("utf-16"): "UTF-16",
        b"plan_ref,agency,nc_year,plan_kind\nP1,Caf\xe9,5,new\n": "not UTF-8",
        b"plan_ref,agency,nc_year,plan_kind\n": "no rows",
        b"PK\x03\x04not really a zip": "cannot be opened",
    }
    for data, expected in cases.items():
        report = run(app, "plans", data, "upload.csv")
        assert not report.ok
        assert expected in report.errors[0].reason, (expected, report.errors)
    assert counts(app)["plans"] == 0


def test_row_and_size_limits(app, casework, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    report = run(app, "plans", csv_bytes(good_rows()))
    assert "more than 2 rows" in report.errors[-1].reason
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 10)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)
    report = run(app, "plans", csv_bytes(good_rows()))
    assert "the limit is" in report.errors[0].reason
    assert counts(app)["plans"] == 0


def test_one_audit_log_entry_per_import_with_counts_and_no_row_contents(app, casework):
    run(app, "plans", csv_bytes(good_rows()), "C:\\exports\\register.csv")
    with app.app_context():
        entries = db.session.execute(
            select(AuditLogEntry).where(AuditLogEntry.action == "import.plans")
        ).scalars().all()
        assert len(entries) == 1
        changes = entries[0].changes
    assert changes == {"kind": "plans", "file": "register.csv", "rows": 3, "created": 3,
                       "updated": 0, "unchanged": 0}
    assert "EHCP-001" not in str(changes) and "Oak" not in str(changes)


def test_command_prints_summary_or_every_bad_row(app, casework, runner, tmp_path):
    good = tmp_path / "register.csv"
    good.write_bytes(csv_bytes(good_rows(), bom=True, crlf=True))
    result = runner.invoke(["import", "plans", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 rows: 3 created, 0 updated, 0 unchanged" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([*good_rows(), ["EHCP-010", "Nowhere", "5", "new", "", "", ""],
                               ["EHCP-011", CASEWORK, "5", "new", "32/01/2025", "", ""]]))
    before = counts(app)
    result = runner.invoke(["import", "plans", str(bad)])
    assert result.exit_code == 1
    assert "row 5: agency: unknown agency 'Nowhere'" in result.output
    assert "row 6: request_date: '32/01/2025' is not a real date" in result.output
    assert "Nothing was imported" in result.output and "Traceback" not in result.output
    assert counts(app) == before
    mapping = tmp_path / "map.yaml"
    mapping.write_bytes(b"plan_ref: Ref\n")
    mapped = runner.invoke(["import", "plans", str(good), "--mapping", str(mapping)])
    assert mapped.exit_code == 1 and "file: plan_ref: the mapping file says" in mapped.output
    missing = runner.invoke(["import", "plans", str(tmp_path / "none.csv")])
    assert missing.exit_code != 0 and "cannot read" in missing.output
    assert "Traceback" not in missing.output


def test_check_only_lists_problems_and_writes_nothing(app, casework, runner, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(good_rows()))
    before = counts(app)
    result = runner.invoke(["import", "plans", str(path), "--check"])
    assert result.exit_code == 0, result.output
    assert "Checked 3 rows of register.csv: no problems" in result.output
    assert counts(app) == before
    path.write_bytes(csv_bytes([*good_rows(), ["X", "Nowhere", "5", "new", "", "", ""]]))
    result = runner.invoke(["import", "plans", str(path), "--check"])
    assert result.exit_code == 1 and "row 5: agency: unknown agency" in result.output


def test_a_line_break_inside_a_cell_keeps_spreadsheet_row_numbers(app, casework):
    rows = [*good_rows(), ["EHCP-005", CASEWORK, "5", "new", "", "", "Oak\nannexe"],
            ["EHCP-006", "Nowhere", "5", "new", "", "", ""]]
    report = run(app, "plans", csv_bytes(rows, crlf=True))
    assert errors_of(report) == [(6, "agency")]


def _deactivate(app, name: str) -> None:
    from qa_app.register.models import Agency

    with app.app_context():
        db.session.execute(update(Agency).where(Agency.name == name).values(active=False))
        db.session.commit()


INACTIVE = ("agency 'Old Casework Team' is no longer active; reactivate it on the Agencies "
            "page or correct the row")


def test_a_row_giving_an_inactive_agency_a_new_plan_is_a_row_error(app, casework, runner,
                                                                   tmp_path):
    make.on(app).agency("Old Casework Team", "local_authority")
    _deactivate(app, "Old Casework Team")
    run(app, "plans", csv_bytes(good_rows()))
    before, stored = counts(app), plans(app)
    rows = [*good_rows(), ["EHCP-004", "old casework team", "5", "new", "", "", ""]]
    rows[1][1] = "Old Casework Team"  # EHCP-001 would move to it
    report = run(app, "plans", csv_bytes(rows))
    assert [error.line() for error in report.sorted_errors()] == [
        f"row 2: agency: {INACTIVE}", f"row 5: agency: {INACTIVE}"]
    assert counts(app) == before
    assert plans(app)["EHCP-001"].agency_id == stored["EHCP-001"].agency_id == casework.id
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(rows))
    result = runner.invoke(["import", "plans", str(path)])
    assert result.exit_code == 1 and f"row 5: agency: {INACTIVE}" in result.output


def test_reimporting_plans_an_inactive_agency_already_holds_is_accepted(app, casework):
    """Its past work stays in the register: the September refresh must not fail on it."""
    run(app, "plans", csv_bytes(good_rows()))
    _deactivate(app, CASEWORK)
    rows = good_rows()
    rows[2][2] = "10"
    report = run(app, "plans", csv_bytes(rows))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert plans(app)["EHCP-002"].nc_year == 10


def test_agencies_match_in_any_capitals_and_spacing_without_a_new_agency(app, casework):
    from qa_app.register.models import Agency

    rows = good_rows()
    rows[1][1], rows[2][1] = "send casework team", "  SEND  Casework   TEAM "
    report = run(app, "plans", csv_bytes(rows))
    assert report.ok, report.errors
    assert {plan.agency_id for plan in plans(app).values()} == {casework.id}
    with app.app_context():
        assert list(db.session.scalars(select(Agency.name))) == [CASEWORK]


def test_two_old_agencies_differing_only_in_capitals_need_the_exact_name(app, casework):
    """Such pairs were possible before names were compared in any capitals."""
    upper = make.on(app).agency(CASEWORK.upper(), "local_authority")
    rows = [PLAN_HEADER, ["EHCP-001", CASEWORK.upper(), "5", "new", "", "", ""],
            ["EHCP-002", "send casework team", "5", "new", "", "", ""]]
    report = run(app, "plans", csv_bytes(rows))
    assert [error.line() for error in report.sorted_errors()] == [
        "row 3: agency: agency 'send casework team' could be 'SEND CASEWORK TEAM' or "
        "'SEND Casework Team': write the name exactly as listed under Agencies"]
    del rows[2]
    assert run(app, "plans", csv_bytes(rows)).ok
    assert plans(app)["EHCP-001"].agency_id == upper.id
