"""The dashboard shows the stored snapshots, honours its URL filters, and scopes by agency."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import HEADLINE, sign_in


def test_headline_figures_equal_the_snapshots(app, client):
    make.on(app).dashboard_world()
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Where the partnership stands" in page
    for number in range(len(HEADLINE)):
        n, good = 40 + number, 31 + number
        assert f">{n}<" in page and f">{good}<" in page
        assert f"{100 * good / n:.1f}%" in page
    assert "Community Paediatrics" in page and "52.9%" in page
    assert "Below target" in page and "<svg" in page and "<title id=\"agency-chart-title\">" in page


def test_filters_in_the_url_choose_the_cycle_and_agency(app, client):
    _, health, _, cycle_id = make.on(app).dashboard_world()
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    page = client.get(f"/dashboard/?year=2025/26&cycle={cycle_id}&agency={health.id}")
    text = page.get_data(as_text=True)
    assert "Autumn term 2025" in text and "Where the agency stands" in text
    ignored = client.get("/dashboard/?year=1999/00&cycle=abc&measure=nonsense")
    assert ignored.status_code == 200


def test_agency_lead_sees_only_their_agency(app, client):
    _, health, psychology, _ = make.on(app).dashboard_world()
    lead = make.on(app).user("agency_lead", health.name)
    sign_in(client, lead.email)
    page = client.get(f"/dashboard/?agency={psychology.id}").get_data(as_text=True)
    assert "Community Paediatrics" in page
    assert "Educational Psychology Service" not in page
    assert "Whole partnership" not in page.split("Where the agency stands")[1].split("Exports")[0]
    data = client.get("/dashboard/data/agencies.csv").get_data(as_text=True)
    assert "Community Paediatrics" in data and "Educational Psychology" not in data


def test_auditors_cannot_open_the_dashboard(app, client):
    _, health, _, _ = make.on(app).dashboard_world()
    auditor = make.on(app).user("auditor", health.name)
    sign_in(client, auditor.email)
    assert client.get("/dashboard/").status_code == 404
    assert client.get("/dashboard/export/rates.csv").status_code == 404


def test_chart_downloads_and_exports(app, client):
    _, health, _, _ = make.on(app).dashboard_world()
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    rows = list(csv.reader(io.StringIO(
        client.get("/dashboard/data/headline.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Period", "Measure", "Which records"] and len(rows) == 1 + len(HEADLINE)
    xlsx = client.get("/dashboard/export/rates.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Period" and len(values) == 1 + len(HEADLINE) + 3
    assert client.get("/dashboard/export/nonsense.csv").status_code == 404
    assert client.get("/dashboard/data/headline.pdf").status_code == 404


def test_audit_export_is_pseudonymous_and_scoped(app, client):
    casework, health, psychology, cycle_id = make.on(app).dashboard_world()
    plan = make.on(app).plan(casework.id, ref="EHCP-EXPORT-1")
    own = make.on(app).advice(plan.id, health.id)
    other = make.on(app).advice(plan.id, psychology.id, advice_type="educational_psychology")
    with app.app_context():
        version = RubricVersion(rubric_id="x", version="1", title="x", applies_to="advice",
                                content_hash="0" * 64, body={})
        db.session.add(version)
        db.session.flush()
        for advice_id, grade in ((own.id, 2), (other.id, 4)):
            db.session.add(FinalGrade(cycle_id=cycle_id, advice_id=advice_id,
                                      rubric_version_id=version.id, academic_year="2025/26",
                                      audit_date=date(2025, 11, 1), grade=grade,
                                      good_or_better=grade >= 3, method="agreed"))
        db.session.commit()
    lead = make.on(app).user("agency_lead", health.name)
    sign_in(client, lead.email)
    text = client.get("/dashboard/export/audits.csv").get_data(as_text=True)
    assert own.ref in text and other.ref not in text
    assert "EHCP-EXPORT-1" in text


def test_spreadsheet_formulas_are_neutralised():
    from qa_app.dashboard.exports import safe_cell

    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("Brookside") == "Brookside" and safe_cell(3) == 3


def _heat_columns(page):
    table = page.split('class="govuk-table app-heat"')[1].split("</thead>")[0]
    return [cell.split(">", 1)[1].split("<")[0]
            for cell in table.split("<th ")[2:]]


def test_heat_map_shows_the_weakest_agencies_and_links_to_all(app, client):
    agencies = make.on(app).many_agencies(15)
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    page = client.get("/dashboard/").get_data(as_text=True)
    columns = _heat_columns(page)
    # good counts are 19, 18, ... so the last agencies are the weakest
    weakest = [f"Agency {k:02d}" for k in range(14, 4, -1)]
    assert columns == ["Whole partnership", *weakest]
    assert "Show all 15 agencies" in page
    everything = client.get("/dashboard/?heat_all=1").get_data(as_text=True)
    assert _heat_columns(everything) == ["Whole partnership",
                                         *sorted(a.name for a in agencies)]
    assert "Show only the 10 weakest" in everything
    rows = list(csv.reader(io.StringIO(
        client.get("/dashboard/data/heatmap.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 1 + 15
    chosen = client.get(f"/dashboard/?agency={agencies[3].id}").get_data(as_text=True)
    assert _heat_columns(chosen) == ["Whole partnership", "Agency 03"]
    assert "Show all" not in chosen


def test_moderation_counts_come_from_the_snapshots(app, client):
    _, health, _, cycle_id = make.on(app).dashboard_world()
    with app.app_context():
        runs = {r.period_kind: r.id for r in db.session.scalars(db.select(AggregationRun))}
        for kind, (n, moderated) in (("cycle", (30, 6)), ("academic_year", (50, 9))):
            make.snapshot(runs[kind], "grades_moderated", "all", None, n, moderated)
        make.snapshot(runs["cycle"], "grades_moderated", "all", health.id, 12, 3)
        db.session.commit()
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    page = client.get("/dashboard/").get_data(as_text=True)
    section = page.split('id="agreement"')[1].split('id="letters"')[0]
    assert "Autumn term 2025" in section and ">30<" in section and "6 (20.0%)" in section
    assert "Whole year 2025/26" in section and ">50<" in section and "9 (18.0%)" in section
    lead, reader = make.on(app).user("agency_lead", health.name), app.test_client()
    sign_in(reader, lead.email)
    section = reader.get("/dashboard/").get_data(as_text=True).split('id="agreement"')[1]
    assert ">12<" in section and "3 (25.0%)" in section and ">30<" not in section


def test_open_actions_are_counted_by_measure_and_scoped(app, client):
    from qa_app.reporting.models import ImprovementAction

    agencies = make.on(app).many_agencies(8)
    with app.app_context():
        for agency in agencies:
            db.session.add(ImprovementAction(agency_id=agency.id, measure="advice_on_time",
                                             academic_year="2025/26", reason="late"))
        db.session.add(ImprovementAction(agency_id=agencies[0].id, measure="advice_on_time",
                                         academic_year="2024/25", reason="last year"))
        db.session.commit()
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    section = client.get("/dashboard/").get_data(as_text=True).split('id="actions"')[1]
    section = section.split('id="exports"')[0]
    assert "Advice received on time" in section and ">8<" in section
    assert all(f"Agency {k:02d}" in section for k in range(5))
    assert "Agency 05" not in section and "and 3 more" in section
    lead, reader = make.on(app).user("agency_lead", agencies[6].name), app.test_client()
    sign_in(reader, lead.email)
    section = reader.get("/dashboard/").get_data(as_text=True).split('id="actions"')[1]
    assert "Agency 06" in section and ">1<" in section and "Agency 00" not in section
