"""The same visibility rules on every page: agency leads and auditors see their own agency's
figures only, and never the partnership's agreement between auditors."""

from __future__ import annotations

from datetime import date

import pytest

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.reporting.models import (
    AggregationRun,
    AgreementSnapshot,
    ImprovementAction,
    RateSnapshot,
)
from tests import factories as make
from tests.factories import sign_in

RUBRIC = "visibility-plan-standard"
RUBRIC_TITLE = "Visibility plan standard"  # pages show a title, never the id
"""A rubric id that appears only in the agreement table, so its presence is unambiguous."""


@pytest.fixture()
def world(app):
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    with app.app_context():
        cycle = Cycle(name="Autumn term 2025", start_date=date(2025, 9, 1),
                      end_date=date(2025, 12, 19), academic_year="2025/26", status="closed")
        db.session.add(cycle)
        db.session.flush()
        for kind, key in (("academic_year", "2025/26"), ("cycle", str(cycle.id))):
            run = AggregationRun(period_kind=kind, period_key=key, inputs_hash=kind * 4)
            db.session.add(run)
            db.session.flush()
            for agency_id, n, good in ((None, 40, 30), (health.id, 17, 9),
                                       (psychology.id, 23, 21)):
                for measure in ("plans_good_or_better", "advice_good_or_better"):
                    db.session.add(RateSnapshot(
                        run_id=run.id, measure=measure, scope="all", breakdown="",
                        agency_id=agency_id, n=n, good=good, rate=100 * good / n,
                        ci_low=10.0, ci_high=95.0, target=80.0, rag="red"))
            db.session.add(AgreementSnapshot(run_id=run.id, rubric_id=RUBRIC,
                                             criterion_id="child_voice", pairs=12, agreed=8,
                                             exact_rate=66.7, kappa=0.41, ac1=0.62))
        actions = {}
        for agency_id in (health.id, psychology.id):
            action = ImprovementAction(agency_id=agency_id, measure="advice_on_time",
                                       scope="consistently_late", academic_year="2025/26",
                                       reason="Advice late in two cycles running.")
            db.session.add(action)
            db.session.flush()
            actions[agency_id] = action.id
        db.session.commit()
        cycle_id = cycle.id
    return {"health": health, "psychology": psychology, "cycle": cycle_id, "actions": actions}


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_manager_sees_the_agreement_table_on_the_dashboard(app, client, world):
    sign_in(client, make.on(app).user("qi_manager").email)
    page = _text(client, f"/dashboard/?year=2025/26&cycle={world['cycle']}")
    assert RUBRIC_TITLE in page and RUBRIC not in page and "0.41" in page
    export = _text(client, f"/dashboard/export/agreement.csv?year=2025/26&cycle={world['cycle']}")
    assert RUBRIC in export


def test_an_agency_lead_sees_no_agreement_table_anywhere(app, client, world):
    lead = make.on(app).user("agency_lead", world["health"].name)
    sign_in(client, lead.email)
    for path in ("/dashboard/", f"/dashboard/?year=2025/26&cycle={world['cycle']}",
                 f"/rates?cycle={world['cycle']}"):
        page = _text(client, path)
        assert RUBRIC_TITLE not in page and RUBRIC not in page, path
        assert "0.41" not in page and "How often the two auditors gave the same grade" \
            not in page, path
        assert "Community Paediatrics" in page
    export = _text(client, f"/dashboard/export/agreement.csv?year=2025/26&cycle={world['cycle']}")
    assert RUBRIC not in export


def test_an_auditor_cannot_open_another_agencys_improvement_action(app, client, world):
    auditor = make.on(app).user("auditor", world["health"].name)
    sign_in(client, auditor.email)
    other = client.get(f"/rates/actions/{world['actions'][world['psychology'].id]}")
    assert other.status_code == 404
    own = client.get(f"/rates/actions/{world['actions'][world['health'].id]}",
                     follow_redirects=True)
    assert own.status_code == 200 and "Community Paediatrics" in own.get_data(as_text=True)
    listing = _text(client, "/rates")
    assert "Educational Psychology Service" not in listing


def test_an_auditor_sees_only_their_own_agencys_rates(app, client, world):
    auditor = make.on(app).user("auditor", world["health"].name)
    sign_in(client, auditor.email)
    for path in ("/rates", f"/rates?cycle={world['cycle']}",
                 f"/rates?year=2025/26&agency={world['psychology'].id}"):
        page = _text(client, path)  # another agency asked for is ignored, as for leads
        assert "Educational Psychology Service" not in page, path
        assert "Partnership (all agencies)" not in page, path
        # 9 of 17 is the auditor's own agency's figure: 52.9%
        assert "52.9%" in page, path
        assert "91.3%" not in page and "75.0%" not in page, path
    # how consistently auditors grade is theirs to see: it is nobody's agency figure
    assert RUBRIC_TITLE in _text(client, f"/rates?cycle={world['cycle']}")


def test_the_api_gives_an_auditor_their_own_agencys_rates_only(app, client, world):
    from qa_app.api.tokens import create_token
    from qa_app.auth.models import User

    auditor = make.on(app).user("auditor", world["health"].name)
    with app.app_context():
        _, token = create_token(db.session.get(User, auditor.id), "Reports")
        db.session.commit()
    data = client.get("/api/v1/rates?per_page=500",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    agencies = {row["agency_id"] for row in data["data"]}
    assert agencies == {world["health"].id}
    assert data["total"] == 4  # two measures, two periods, one agency
