"""The upload page: managers only, every bad row in a table, forged posts and huge files refused."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from tests import factories as make
from tests.factories import csrf_token, sign_in
from tests.factories.imports import PLAN_HEADER, counts, csv_bytes, xlsx_bytes

CASEWORK = "SEND Casework Team"
ROWS = [PLAN_HEADER, ["EHCP-1", CASEWORK, "5", "new", "01/09/2025", "", ""],
        ["EHCP-2", CASEWORK, "9", "annual_review", "", "", ""]]


@pytest.fixture()
def manager(app, client):
    make.on(app).agency(CASEWORK, "local_authority")
    person = make.on(app).user("qi_manager")
    sign_in(client, person.email)
    return person


def post(client, data: bytes | None, name: str = "register.csv", kind: str = "plans",
         token: str | None = None, mapping: bytes | None = None):
    form: dict[str, object] = {"kind": kind}
    form["csrf_token"] = token if token is not None else csrf_token(client, "/imports/")
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    if mapping is not None:
        form["mapping"] = (io.BytesIO(mapping), "mapping.yaml")
    return client.post("/imports/", data=form, content_type="multipart/form-data")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_manager_sees_the_upload_form(app, client, manager):
    page = client.get("/imports/")
    assert page.status_code == 200
    body = text_of(page)
    assert "<h1 class=\"govuk-heading-l\">Import a spreadsheet</h1>" in body
    assert 'enctype="multipart/form-data"' in body
    for choice in ("EHCP register (plans)", "Advice log", "Historic audits"):
        assert choice in body
    assert 'href="/sections/register" aria-current="true"' in body  # in the Register section


def test_admin_may_import_too(app, client):
    make.on(app).agency(CASEWORK, "local_authority")
    sign_in(client, make.on(app).user("admin").email)
    assert client.get("/imports/").status_code == 200


@pytest.mark.parametrize("role", ["agency_lead", "auditor", "panel_chair"])
def test_other_roles_get_not_found(app, client, role):
    agency = make.on(app).agency("Community Paediatrics", "health")
    person = make.on(app).user(role, agency.name if role != "panel_chair" else None)
    sign_in(client, person.email)
    assert client.get("/imports/").status_code == 404
    token = csrf_token(client, "/account/password")
    response = post(client, csv_bytes(ROWS), token=token)
    assert response.status_code == 404
    assert counts(app)["plans"] == 0


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    response = client.get("/imports/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_good_file_is_imported_and_summarised(app, client, manager):
    response = post(client, csv_bytes(ROWS, bom=True, crlf=True, delimiter=";"))
    assert response.status_code == 200
    body = text_of(response)
    assert "Import complete" in body
    assert re.search(r"Created</th> ?<td [^>]*>2<", body)
    assert counts(app)["plans"] == 2
    again = text_of(post(client, xlsx_bytes(ROWS), "register.xlsx"))
    assert re.search(r"Unchanged</th> ?<td [^>]*>2<", again)
    with app.app_context():
        entries = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "import.plans")).scalars().all()
        assert [e.user_id for e in entries] == [manager.id, manager.id]


def test_bad_rows_are_listed_with_an_error_summary_and_nothing_is_written(app, client, manager):
    rows = [*ROWS, ["EHCP-3", "Nowhere", "5", "new", "", "", ""],
            ["EHCP-4", CASEWORK, "x", "new", "31/02/2025", "", ""]]
    before = counts(app)
    response = post(client, csv_bytes(rows))
    assert response.status_code == 400
    body = text_of(response)
    assert "govuk-error-summary" in body and "There is a problem" in body
    assert "register.csv has 3 problems in 2 rows, so nothing was imported" in body
    assert "Problems in register.csv" in body
    for row, column in (("4", "agency"), ("5", "nc_year"), ("5", "request_date")):
        assert re.search(rf">{row}</td> ?<td class=\"govuk-table__cell\">{column}<", body)
    assert "unknown agency &#39;Nowhere&#39;" in body
    assert counts(app) == before


def test_identifying_columns_are_refused_on_the_page(app, client, manager):
    rows = [[*r, ""] for r in ROWS]
    rows[0][-1] = "Child name"
    response = post(client, csv_bytes(rows))
    assert response.status_code == 400
    body = text_of(response)
    assert "Whole file" in body and "Child name" in body and "does not store" in body
    assert counts(app)["plans"] == 0


def test_missing_file_and_kind_are_form_errors(app, client, manager):
    response = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    body = text_of(response)
    assert "Choose what you are importing" in body
    assert "Choose the CSV or XLSX file to import" in body


def test_mapping_file_upload(app, client, manager):
    rows = [["Ref", *PLAN_HEADER[1:]], *ROWS[1:]]
    response = post(client, csv_bytes(rows), mapping=b"plan_ref: Ref\n")
    assert response.status_code == 200, text_of(response)
    assert counts(app)["plans"] == 2


def test_a_forged_post_without_csrf_token_is_refused(app, client, manager):
    response = client.post("/imports/", data={"kind": "plans",
                                              "file": (io.BytesIO(csv_bytes(ROWS)), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Your form could not be sent" in text_of(response)
    assert counts(app)["plans"] == 0


def test_an_upload_over_the_size_limit_gets_a_govuk_page(app, client, manager, monkeypatch):
    token = csrf_token(client, "/imports/")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    big = csv_bytes(ROWS) + b"x" * (2 * 1024 * 1024)
    response = post(client, big, token=token)
    assert response.status_code == 413
    body = text_of(response)
    assert "The file is too large" in body and "up to 1 MB" in body
    assert "govuk-header" in body or "govuk-service-navigation" in body
    assert counts(app)["plans"] == 0


def test_audits_can_be_uploaded_as_xlsx(app, client, manager):

    make.on(app).shipped_rubrics()
    post(client, csv_bytes(ROWS))
    header = ["subject_ref", "rubric_id", "audit_date", "child_voice", "aspirations"]
    rows = [header, ["EHCP-1", "ehcp-plan", "01/10/2025", "Good", "Outstanding"]]
    response = post(client, xlsx_bytes(rows), "history.xlsx", kind="audits")
    assert response.status_code == 200, text_of(response)
    assert counts(app)["final_grades"] == 1


def test_a_large_upload_spooled_to_disk_is_imported(app, client, manager, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 20_000)  # in the request, not a job
    rows = [PLAN_HEADER, *([f"EHCP-{i:06d}", CASEWORK, str(i % 15), "new", "01/09/2025",
                            "05/01/2026", "Riverside Academy"] for i in range(15_000))]
    data = csv_bytes(rows, crlf=True)
    assert len(data) > 700 * 1024
    response = post(client, data)
    assert response.status_code == 200, text_of(response)[:500]
    assert counts(app)["plans"] == 15_000
