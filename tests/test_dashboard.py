"""The dashboard shows the stored snapshots, honours its URL filters, and scopes by agency."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from qa_app.audits.models import Cycle, FinalGrade
from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun, RateSnapshot
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import sign_in

HEADLINE = [("plans_good_or_better", "all"), ("plans_good_or_better", "transition_years"),
            ("advice_good_or_better", "all"), ("advice_on_time", "all"),
            ("child_voice_good_or_better", "all"), ("plans_issued_in_20_weeks", "all")]


def _world(app):
    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    psychology = make.agency(app, "Educational Psychology Service", "education")
    with app.app_context():
        cycle = Cycle(name="Autumn term 2025", start_date=date(2025, 9, 1),
                      end_date=date(2025, 12, 19), academic_year="2025/26", status="closed")
        db.session.add(cycle)
        db.session.flush()
        runs = {}
        for kind, key in (("academic_year", "2025/26"), ("cycle", str(cycle.id))):
            run = AggregationRun(period_kind=kind, period_key=key, inputs_hash=kind * 4)
            db.session.add(run)
            db.session.flush()
            runs[kind] = run.id
            for number, (measure, scope) in enumerate(HEADLINE):
                db.session.add(_snapshot(run.id, measure, scope, None, 40 + number, 31 + number))
            db.session.add(_snapshot(run.id, "advice_good_or_better", "all", health.id, 17, 9))
            db.session.add(_snapshot(run.id, "advice_good_or_better", "all", psychology.id,
                                     23, 21))
            db.session.add(_snapshot(run.id, "criterion_good_or_better", "advice", health.id,
                                     17, 5, breakdown="child_voice"))
        db.session.commit()
        return casework, health, psychology, cycle.id


def _snapshot(run_id, measure, scope, agency_id, n, good, breakdown=""):  # noqa: ANN001, ANN202
    rate = 100 * good / n
    return RateSnapshot(run_id=run_id, measure=measure, scope=scope, breakdown=breakdown,
                        agency_id=agency_id, n=n, good=good, rate=rate, ci_low=rate - 10,
                        ci_high=rate + 8, target=80.0,
                        rag="green" if rate >= 80 else "red")


def test_headline_figures_equal_the_snapshots(app, client):
    _world(app)
    manager = make.user(app, "qi_manager")
    sign_in(client, manager.label)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Where the partnership stands" in page
    for number in range(len(HEADLINE)):
        n, good = 40 + number, 31 + number
        assert f">{n}<" in page and f">{good}<" in page
        assert f"{100 * good / n:.1f}%" in page
    assert "Community Paediatrics" in page and "52.9%" in page
    assert "Below target" in page and "<svg" in page and "<title id=\"agency-chart-title\">" in page


def test_filters_in_the_url_choose_the_cycle_and_agency(app, client):
    _, health, _, cycle_id = _world(app)
    manager = make.user(app, "qi_manager")
    sign_in(client, manager.label)
    page = client.get(f"/dashboard/?year=2025/26&cycle={cycle_id}&agency={health.id}")
    text = page.get_data(as_text=True)
    assert "Autumn term 2025" in text and "Where the agency stands" in text
    ignored = client.get("/dashboard/?year=1999/00&cycle=abc&measure=nonsense")
    assert ignored.status_code == 200


def test_agency_lead_sees_only_their_agency(app, client):
    _, health, psychology, _ = _world(app)
    lead = make.user(app, "agency_lead", health.label)
    sign_in(client, lead.label)
    page = client.get(f"/dashboard/?agency={psychology.id}").get_data(as_text=True)
    assert "Community Paediatrics" in page
    assert "Educational Psychology Service" not in page
    assert "Whole partnership" not in page.split("Where the agency stands")[1].split("Exports")[0]
    data = client.get("/dashboard/data/agencies.csv").get_data(as_text=True)
    assert "Community Paediatrics" in data and "Educational Psychology" not in data


def test_auditors_cannot_open_the_dashboard(app, client):
    _, health, _, _ = _world(app)
    auditor = make.user(app, "auditor", health.label)
    sign_in(client, auditor.label)
    assert client.get("/dashboard/").status_code == 404
    assert client.get("/dashboard/export/rates.csv").status_code == 404


def test_chart_downloads_and_exports(app, client):
    _, health, _, _ = _world(app)
    manager = make.user(app, "qi_manager")
    sign_in(client, manager.label)
    rows = list(csv.reader(io.StringIO(
        client.get("/dashboard/data/headline.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["period", "measure", "scope"] and len(rows) == 1 + len(HEADLINE)
    xlsx = client.get("/dashboard/export/rates.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "period" and len(values) == 1 + len(HEADLINE) + 3
    assert client.get("/dashboard/export/nonsense.csv").status_code == 404
    assert client.get("/dashboard/data/headline.pdf").status_code == 404


def test_audit_export_is_pseudonymous_and_scoped(app, client):
    casework, health, psychology, cycle_id = _world(app)
    plan = make.plan(app, casework.id, ref="EHCP-EXPORT-1")
    own = make.advice(app, plan.id, health.id)
    other = make.advice(app, plan.id, psychology.id, advice_type="educational_psychology")
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
    lead = make.user(app, "agency_lead", health.label)
    sign_in(client, lead.label)
    text = client.get("/dashboard/export/audits.csv").get_data(as_text=True)
    assert own.label in text and other.label not in text
    assert "EHCP-EXPORT-1" in text


def test_spreadsheet_formulas_are_neutralised():
    from qa_app.dashboard.exports import safe_cell

    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("Brookside") == "Brookside" and safe_cell(3) == 3
