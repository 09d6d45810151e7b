"""Statutory exceptions to the 20-week time limit on plans: the page, the import, the figures."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.reporting.models import RateSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.queries import current_run
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import csrf_token, sign_in
from tests.factories.imports import PLAN_HEADER, csv_bytes, errors_of, run

CASEWORK = "SEND Casework Team"
HEADER = [*PLAN_HEADER, "exception", "exception_note"]
AWAY = "Child, young person or family away from the area for 4 weeks or more"


def _plan(app):
    casework = make.on(app).agency(CASEWORK, "local_authority")
    return casework, make.on(app).plan(casework.id)


def stored_plan(app, plan_id: int) -> Plan:
    with app.app_context():
        row = db.session.get(Plan, plan_id)
        db.session.expunge(row)
        return row


def test_manager_records_an_exception_after_checking_it(app, client):
    _, plan = _plan(app)
    sign_in(client, make.on(app).user("qi_manager").email)
    path = f"/plans/{plan.id}/exception"
    answers = {"csrf_token": csrf_token(client, path), "exception": "away_from_area",
               "exception_note": "Family abroad for five weeks"}
    check = client.post(path, data=answers)
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and "Check the statutory exception before saving" in html
    assert AWAY in html and "Family abroad for five weeks" in html and "Change" in html
    assert stored_plan(app, plan.id).exception is None  # nothing saved before confirming
    saved = client.post(path, data={**answers, "confirmed": "yes"})
    assert saved.status_code == 302
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert AWAY in page and "Family abroad for five weeks" in page
    row = stored_plan(app, plan.id)
    assert (row.exception, row.exception_note) == ("away_from_area",
                                                   "Family abroad for five weeks")
    with app.app_context():
        entry = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "plan.exception")).scalar_one()
        assert entry.changes["after"]["exception"] == "away_from_area"
        assert entry.changes["before"]["exception"] is None
    client.post(path, data={"csrf_token": answers["csrf_token"], "exception": "",
                            "exception_note": "", "confirmed": "yes"})
    assert stored_plan(app, plan.id).exception is None


def test_a_missing_reason_or_unknown_exception_is_refused(app, client):
    _, plan = _plan(app)
    sign_in(client, make.on(app).user("admin").email)
    path = f"/plans/{plan.id}/exception"
    token = csrf_token(client, path)
    page = client.post(path, data={"csrf_token": token, "exception": "school_closure",
                                   "exception_note": "  ", "confirmed": "yes"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert "Give the reason the exception applies" in html
    bad = client.post(path, data={"csrf_token": token, "exception": "on_holiday",
                                  "exception_note": "x", "confirmed": "yes"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    assert stored_plan(app, plan.id).exception is None


def test_others_cannot_change_the_exception(app, client):
    casework, plan = _plan(app)
    sign_in(client, make.on(app).user("agency_lead", casework.name).email)
    assert "the statutory exception" not in client.get(f"/plans/{plan.id}").get_data(
        as_text=True)
    path = f"/plans/{plan.id}/exception"
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/account/password")
    response = client.post(path, data={"csrf_token": token, "exception": "away_from_area",
                                       "exception_note": "x", "confirmed": "yes"})
    assert response.status_code == 404
    assert stored_plan(app, plan.id).exception is None


def test_the_import_reads_exceptions_and_reports_bad_ones(app):
    make.on(app).agency(CASEWORK, "local_authority")
    rows = [HEADER,
            ["P1", CASEWORK, 5, "new", "01/09/2025", "05/03/2026", "", "school_closure",
             "Advice asked of the school in the summer closure"],
            ["P2", CASEWORK, 6, "new", "01/09/2025", "05/03/2026", "", AWAY.upper(),
             "Family abroad"],
            ["P3", CASEWORK, 7, "new", "01/09/2025", "05/01/2026", "", "", ""]]
    report = run(app, "plans", csv_bytes(rows))
    assert report.ok, report.errors
    with app.app_context():
        got = {p.ref: (p.exception, p.exception_note) for p in db.session.scalars(select(Plan))}
    assert got == {"P1": ("school_closure", "Advice asked of the school in the summer closure"),
                   "P2": ("away_from_area", "Family abroad"), "P3": (None, None)}
    bad = run(app, "plans", csv_bytes([
        HEADER,
        ["P1", CASEWORK, 5, "new", "01/09/2025", "05/03/2026", "", "", ""],
        ["P4", CASEWORK, 5, "new", "", "", "", "on holiday", "Away"],
        ["P5", CASEWORK, 5, "new", "", "", "", "school_closure", ""],
        ["P6", CASEWORK, 5, "new", "", "", "", "", "A note with no exception"],
    ]))
    assert errors_of(bad) == [(3, "exception"), (4, "exception_note"), (5, "exception")]
    assert "unknown statutory exception 'on holiday'" in bad.errors[0].reason
    with app.app_context():  # nothing written: P1 keeps its exception, P4-P6 do not exist
        assert db.session.scalars(select(Plan.exception).where(Plan.ref == "P1")).one()
        assert db.session.scalar(select(db.func.count()).select_from(Plan)) == 3


def test_the_20_week_measure_is_reported_with_and_without_exceptions(app, client):
    with app.app_context():
        la = build.agency(CASEWORK, "local_authority").id
        cases = [  # (days from request to issue, exception)
            (120, None), (140, None), (141, None), (150, "exceptional_circumstances"),
            (100, "away_from_area"), (200, None)]
        for days, exception in cases:
            issued = date(2025, 12, 1)
            build.plan(la, kind="new", requested=date.fromordinal(issued.toordinal() - days),
                       issued=issued, exception=exception)
        build.plan(la, kind="new", requested=None, issued=date(2025, 12, 2),
                   exception="school_closure")
        db.session.commit()
        run_aggregation(year="2025/26", as_of=date(2026, 6, 1))
        db.session.commit()
        run_row = current_run("academic_year", "2025/26")
        got = {r.scope: (r.n, r.good, r.excluded) for r in db.session.scalars(
            select(RateSnapshot).where(RateSnapshot.run_id == run_row.id,
                                       RateSnapshot.measure == "plans_issued_in_20_weeks",
                                       RateSnapshot.agency_id.is_(None)))}
    including = (6, sum(d <= 140 for d, _ in cases), 1)
    excluding = (4, sum(d <= 140 for d, e in cases if e is None), 3)
    assert got == {"all": including, "excluding_exceptions": excluding}
    sign_in(client, make.on(app).user("qi_manager").email)
    html = client.get("/rates?year=2025/26&measure=plans_issued_in_20_weeks").get_data(
        as_text=True)
    assert "Including statutory exceptions" in html
    assert "Excluding statutory exceptions" in html
