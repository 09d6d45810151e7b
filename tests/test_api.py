"""The read-only JSON API: tokens, scoping, pagination, revocation and the OpenAPI document."""

from __future__ import annotations

import re

from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun, RateSnapshot
from tests import factories as make
from tests.factories import PASSWORD, csrf_token, sign_in


def _token(app, client, email: str) -> str:
    sign_in(client, email)
    token = csrf_token(client, "/account/api-tokens/")
    page = client.post("/account/api-tokens/", data={"csrf_token": token, "name": "Power BI",
                                                     "password": PASSWORD}
                       ).get_data(as_text=True)
    match = re.search(r"(eqa_[A-Za-z0-9_-]{20,})", page)
    assert match, page
    return match.group(1)


def _rates(app, *agency_ids: int | None) -> None:
    with app.app_context():
        run = AggregationRun(period_kind="academic_year", period_key="2025/26",
                             inputs_hash="x" * 64)
        db.session.add(run)
        db.session.flush()
        for index, agency_id in enumerate(agency_ids):
            db.session.add(RateSnapshot(run_id=run.id, measure="plans_good_or_better",
                                        scope="all", breakdown="", agency_id=agency_id,
                                        n=10, good=7 + index, rate=0.7 + index / 10,
                                        ci_low=0.4, ci_high=0.9, target=80.0, rag="red"))
        db.session.commit()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/api/v1/rates" in doc["paths"]


def test_requests_without_a_valid_token_get_401_json(client):
    for headers in ({}, {"Authorization": "Bearer eqa_not-a-real-token"},
                    {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/rates", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"


def test_manager_reads_all_rates_and_a_lead_only_their_agency(app, client):
    health = make.agency(app, "Community Paediatrics", "health")
    psychology = make.agency(app, "Educational Psychology Service", "education")
    _rates(app, None, health.id, psychology.id)
    manager = make.user(app, "qi_manager")
    lead = make.user(app, "agency_lead", health.label)

    manager_token = _token(app, client, manager.label)
    data = client.get("/api/v1/rates", headers=_auth(manager_token)).get_json()
    assert data["total"] == 3
    assert {r["agency"] for r in data["data"]} == {None, health.label, psychology.label}

    lead_token = _token(app, app.test_client(), lead.label)
    data = app.test_client().get("/api/v1/rates", headers=_auth(lead_token)).get_json()
    assert [(r["agency_id"], r["good"]) for r in data["data"]] == [(health.id, 8)]
    agencies = app.test_client().get("/api/v1/agencies", headers=_auth(lead_token)).get_json()
    assert [a["name"] for a in agencies["data"]] == [health.label]
    other = app.test_client().get(f"/api/v1/rates?agency_id={psychology.id}",
                                  headers=_auth(lead_token)).get_json()
    assert other["data"] == []


def test_pagination_and_bad_parameters(app, client):
    for index in range(5):
        make.agency(app, f"School {index}", "setting")
    manager = make.user(app, "qi_manager")
    token = _token(app, client, manager.label)
    first = client.get("/api/v1/agencies?per_page=2", headers=_auth(token)).get_json()
    assert len(first["data"]) == 2 and first["total"] == 5 and first["next"]
    second = client.get(first["next"], headers=_auth(token)).get_json()
    assert second["page"] == 2 and second["data"][0] != first["data"][0]
    bad = client.get("/api/v1/agencies?per_page=0", headers=_auth(token))
    assert bad.status_code == 400 and "per_page" in bad.get_json()["message"]
    assert client.get("/api/v1/rates?period_kind=week", headers=_auth(token)).status_code == 400


def test_revoked_token_stops_working(app, client):
    manager = make.user(app, "qi_manager")
    token = _token(app, client, manager.label)
    api = app.test_client()
    assert api.get("/api/v1/cycles", headers=_auth(token)).status_code == 200
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    token_id = re.search(r"/account/api-tokens/(\d+)/revoke", page).group(1)
    response = client.post(f"/account/api-tokens/{token_id}/revoke",
                           data={"csrf_token": csrf_token(client, "/account/api-tokens/")})
    assert response.status_code == 302
    assert api.get("/api/v1/cycles", headers=_auth(token)).status_code == 401


def test_token_is_stored_hashed_and_shown_once(app, client):
    from sqlalchemy import select

    from qa_app.api.models import ApiToken

    manager = make.user(app, "qi_manager")
    token = _token(app, client, manager.label)
    with app.app_context():
        stored = db.session.execute(select(ApiToken)).scalar_one()
        assert token not in (stored.token_hash, stored.hint) and len(stored.token_hash) == 64
    assert token not in client.get("/account/api-tokens/").get_data(as_text=True)


def test_cannot_revoke_someone_elses_token(app, client):
    manager = make.user(app, "qi_manager")
    other = make.user(app, "admin")
    token = _token(app, client, manager.label)
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    token_id = re.search(r"/account/api-tokens/(\d+)/revoke", page).group(1)
    intruder = app.test_client()
    sign_in(intruder, other.label)
    response = intruder.post(f"/account/api-tokens/{token_id}/revoke",
                             data={"csrf_token": csrf_token(intruder, "/account/api-tokens/")})
    assert response.status_code == 404
    assert app.test_client().get("/api/v1/cycles", headers=_auth(token)).status_code == 200


def test_targets_endpoint_lists_targets_by_year(app, client):
    manager = make.user(app, "qi_manager")
    token = _token(app, client, manager.label)
    data = client.get("/api/v1/targets", headers=_auth(token)).get_json()
    assert {"measure": "plans_good_or_better", "scope": "all", "academic_year": "2025/26",
            "target": 80} in data["data"]
    assert data["advice_deadline_days"] == 42
