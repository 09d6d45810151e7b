"""A September register refresh never moves a past 20-week figure.

The register is imported, the figures worked out, then the same register comes back as it
does each September: every plan now an annual review, every year group one higher, the
issue date that of the latest amended plan and the request date gone. Every 20-week figure
must still equal a plain-Python count of the register as first imported.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.reporting.models import RateSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.queries import current_run
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in
from tests.factories.imports import PLAN_HEADER, csv_bytes, run

HEADER = [*PLAN_HEADER, "exception", "exception_note"]
CASEWORK, NORTH = "SEND Casework Team", "North Locality Team"
AS_OF = date(2026, 8, 31)
DAYS = 140
# Periods the 20-week measure is counted in: (kind, key, first day, last day).
YEARS = [("academic_year", "2024/25", date(2024, 9, 1), date(2025, 8, 31)),
         ("academic_year", "2025/26", date(2025, 9, 1), date(2026, 8, 31))]
CYCLE = ("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))


def register() -> list[list[object]]:
    """Plans issued either side of 20 weeks, in both years, with and without exceptions."""
    rows = []
    start = date(2024, 9, 2)
    for i in range(24):
        issued = start + timedelta(days=29 * i)
        weeks = (120, 140, 141, 170)[i % 4]
        requested = "" if i % 7 == 3 else (issued - timedelta(days=weeks)).strftime("%d/%m/%Y")
        kind = "annual_review" if i % 5 == 4 else "new"
        exception, note = "", ""
        if kind == "new" and i % 3 == 0:
            exception, note = ("school_closure", "Summer closure") if i % 2 else (
                "Exceptional personal circumstances of the child, young person or family",
                "Bereavement in the family")
        rows.append([f"EHCP-R-{i:03d}", CASEWORK if i % 2 else NORTH, 3 + i % 9, kind,
                     requested, issued.strftime("%d/%m/%Y"), "", exception, note])
    rows.append(["EHCP-R-900", CASEWORK, 4, "new", "01/10/2025", "", "", "", ""])  # not issued
    return rows


def september_refresh(rows: list[list[object]]) -> list[list[object]]:
    refreshed = []
    for ref, agency, year, _kind, _requested, issued, setting, _exc, _note in rows:
        later = "" if not issued else (
            date(*reversed([int(p) for p in str(issued).split("/")])) + timedelta(days=300)
        ).strftime("%d/%m/%Y")
        moved = NORTH if agency == CASEWORK else CASEWORK  # an owner corrected as well
        refreshed.append([ref, moved, int(year) + 1, "annual_review", "", later, setting,
                          "", ""])
    return refreshed


def recount(rows: list[list[object]], first: date, last: date, agencies: dict[str, int]
            ) -> dict[tuple[str, int | None], tuple[int, int, int]]:
    """{(scope, agency id or None): (n, good, excluded)} from the rows, one at a time."""
    cells: dict[tuple[str, int | None], list[int]] = {}

    def add(scope: str, agency: int, n: int, good: bool, excluded: int) -> None:
        for who in (agency, None):
            cell = cells.setdefault((scope, who), [0, 0, 0])
            cell[0] += n
            cell[1] += int(good)
            cell[2] += excluded

    for _ref, agency, _year, kind, requested, issued, _setting, exception, _note in rows:
        if kind != "new" or not issued:
            continue
        issue_day = date(*reversed([int(p) for p in str(issued).split("/")]))
        if not first <= issue_day <= last:
            continue
        if not requested:
            add("all", agencies[agency], 0, False, 1)
            add("excluding_exceptions", agencies[agency], 0, False, 1)
            continue
        request_day = date(*reversed([int(p) for p in str(requested).split("/")]))
        in_time = (issue_day - request_day).days <= DAYS
        add("all", agencies[agency], 1, in_time, 0)
        if exception:
            add("excluding_exceptions", agencies[agency], 0, False, 1)
        else:
            add("excluding_exceptions", agencies[agency], 1, in_time, 0)
    return {key: tuple(value) for key, value in cells.items()}


def stored(kind: str, key: str) -> dict[tuple[str, int | None], tuple[int, int, int]]:
    run_row = current_run(kind, key)
    assert run_row is not None
    rows = db.session.scalars(select(RateSnapshot).where(
        RateSnapshot.run_id == run_row.id, RateSnapshot.measure == "plans_issued_in_20_weeks"))
    return {(r.scope, r.agency_id): (r.n, r.good, r.excluded) for r in rows}


def aggregate_all(cycle_id: int) -> None:
    for _kind, key, _first, _last in YEARS:
        run_aggregation(year=key, as_of=AS_OF)
    run_aggregation(cycle=str(cycle_id), as_of=AS_OF)
    db.session.commit()


def test_a_september_refresh_leaves_every_past_20_week_figure_alone(app):
    with app.app_context():
        agencies = {CASEWORK: build.agency(CASEWORK, "local_authority").id,
                    NORTH: build.agency(NORTH, "local_authority").id}
        cycle_id = build.cycle(*CYCLE).id
        db.session.commit()
    original = register()
    report = run(app, "plans", csv_bytes([HEADER, *original]))
    assert report.ok, report.errors
    periods = [*YEARS, ("cycle", str(cycle_id), CYCLE[1], CYCLE[2])]
    with app.app_context():
        aggregate_all(cycle_id)
        before = {key: stored(kind, key) for kind, key, _f, _l in periods}
    for _kind, key, first, last in periods:
        expected = recount(original, first, last, agencies)
        assert before[key] == expected, key
        assert expected[("all", None)][0] > expected[("excluding_exceptions", None)][0] > 0

    report = run(app, "plans", csv_bytes([HEADER, *september_refresh(original)]))
    assert report.ok, report.errors
    assert report.updated == len(original)
    with app.app_context():
        refreshed = db.session.scalars(select(Plan).where(Plan.ref == "EHCP-R-000")).one()
        assert (refreshed.plan_kind, refreshed.nc_year) == ("annual_review", 4)
        assert refreshed.exception is not None  # an annual-review row keeps the exception
        aggregate_all(cycle_id)
        after = {key: stored(kind, key) for kind, key, _f, _l in periods}
    for _kind, key, first, last in periods:
        assert after[key] == recount(original, first, last, agencies), key


def test_a_new_row_corrects_the_recorded_dates_and_the_page_shows_both(app, client):
    with app.app_context():
        build.agency(CASEWORK, "local_authority")
        db.session.commit()
    first = [HEADER, ["EHCP-C-1", CASEWORK, 5, "new", "01/09/2025", "10/01/2026", "", "", ""]]
    assert run(app, "plans", csv_bytes(first)).ok
    corrected = [HEADER, ["EHCP-C-1", CASEWORK, 5, "new", "01/09/2025", "19/01/2026", "", "",
                          ""]]
    assert run(app, "plans", csv_bytes(corrected)).ok
    review = [HEADER, ["EHCP-C-1", CASEWORK, 6, "annual_review", "", "02/02/2027", "", "",
                       ""]]
    assert run(app, "plans", csv_bytes(review)).ok
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.ref == "EHCP-C-1")).one()
        assert plan.assessed_as_new
        assert (plan.assessment_request_date, plan.assessment_issue_date) == (
            date(2025, 9, 1), date(2026, 1, 19))
        assert (plan.request_date, plan.issue_date) == (None, date(2027, 2, 2))
        plan_id = plan.id
    sign_in(client, make.on(app).user("qi_manager").email)
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    section = page.split("Needs assessment for the 20-week measure")[1]
    assert "In the register now" in section and "Recorded for the 20-week measure" in section
    assert "Annual review" in section and "New plan" in section
    assert "02/02/2027" in section and "19/01/2026" in section and "01/09/2025" in section


def test_the_upgrade_records_existing_new_issued_plans(scratch_database_url, tmp_path):
    """Plans already in the register when the recorded columns arrive keep their 20-week
    figures: a new, issued plan is recorded by the upgrade; others are not."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from qa_app import create_app

    app = create_app({"ENV_NAME": "test", "DATABASE_URL": scratch_database_url,
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="b7e1a2c30003")
        db.session.execute(text(
            "INSERT INTO agencies (name, type, active, created_at) "
            "VALUES ('Casework', 'local_authority', :yes, :now)"), {"yes": True,
                                                                    "now": date(2025, 9, 1)})
        for ref, kind, issued in (("OLD-1", "new", date(2026, 1, 5)),
                                  ("OLD-2", "annual_review", date(2026, 1, 5)),
                                  ("OLD-3", "new", None)):
            db.session.execute(text(
                "INSERT INTO plans (ref, agency_id, nc_year, plan_kind, request_date, "
                "issue_date, created_at, updated_at) SELECT :ref, id, 5, :kind, :asked, "
                ":issued, :now, :now FROM agencies"),
                {"ref": ref, "kind": kind, "asked": date(2025, 9, 1), "issued": issued,
                 "now": date(2025, 9, 1)})
        db.session.commit()
        upgrade()
        recorded = {p.ref: (p.assessed_as_new, p.assessment_request_date,
                            p.assessment_issue_date) for p in db.session.scalars(select(Plan))}
        assert recorded == {"OLD-1": (True, date(2025, 9, 1), date(2026, 1, 5)),
                            "OLD-2": (False, None, None), "OLD-3": (False, None, None)}
        db.session.commit()
        downgrade(revision="b7e1a2c30003")
        count = db.session.execute(text("SELECT count(*) FROM plans")).scalar_one()
        assert count == 3
        db.session.remove()
        db.engine.dispose()
