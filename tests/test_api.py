"""The read-only JSON API: tokens, scoping, pagination, revocation and the OpenAPI document."""

from __future__ import annotations

import re

from qa_app.extensions import db
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
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    make.on(app).year_rates(None, health.id, psychology.id)
    manager = make.on(app).user("qi_manager")
    lead = make.on(app).user("agency_lead", health.name)

    manager_token = _token(app, client, manager.email)
    data = client.get("/api/v1/rates", headers=_auth(manager_token)).get_json()
    assert data["total"] == 3
    assert {r["agency"] for r in data["data"]} == {None, health.name, psychology.name}

    lead_token = _token(app, app.test_client(), lead.email)
    data = app.test_client().get("/api/v1/rates", headers=_auth(lead_token)).get_json()
    assert [(r["agency_id"], r["good"]) for r in data["data"]] == [(health.id, 8)]
    agencies = app.test_client().get("/api/v1/agencies", headers=_auth(lead_token)).get_json()
    assert [a["name"] for a in agencies["data"]] == [health.name]
    other = app.test_client().get(f"/api/v1/rates?agency_id={psychology.id}",
                                  headers=_auth(lead_token)).get_json()
    assert other["data"] == []


def test_pagination_and_bad_parameters(app, client):
    for index in range(5):
        make.on(app).agency(f"School {index}", "setting")
    manager = make.on(app).user("qi_manager")
    token = _token(app, client, manager.email)
    first = client.get("/api/v1/agencies?per_page=2", headers=_auth(token)).get_json()
    assert len(first["data"]) == 2 and first["total"] == 5 and first["next"]
    second = client.get(first["next"], headers=_auth(token)).get_json()
    assert second["page"] == 2 and second["data"][0] != first["data"][0]
    bad = client.get("/api/v1/agencies?per_page=0", headers=_auth(token))
    assert bad.status_code == 400 and "per_page" in bad.get_json()["message"]
    assert client.get("/api/v1/rates?period_kind=week", headers=_auth(token)).status_code == 400


def test_revoked_token_stops_working(app, client):
    manager = make.on(app).user("qi_manager")
    token = _token(app, client, manager.email)
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

    manager = make.on(app).user("qi_manager")
    token = _token(app, client, manager.email)
    with app.app_context():
        stored = db.session.execute(select(ApiToken)).scalar_one()
        assert token not in (stored.token_hash, stored.hint) and len(stored.token_hash) == 64
    assert token not in client.get("/account/api-tokens/").get_data(as_text=True)


def test_cannot_revoke_someone_elses_token(app, client):
    manager = make.on(app).user("qi_manager")
    other = make.on(app).user("admin")
    token = _token(app, client, manager.email)
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    token_id = re.search(r"/account/api-tokens/(\d+)/revoke", page).group(1)
    intruder = app.test_client()
    sign_in(intruder, other.email)
    response = intruder.post(f"/account/api-tokens/{token_id}/revoke",
                             data={"csrf_token": csrf_token(intruder, "/account/api-tokens/")})
    assert response.status_code == 404
    assert app.test_client().get("/api/v1/cycles", headers=_auth(token)).status_code == 200


def test_targets_endpoint_lists_targets_by_year(app, client):
    manager = make.on(app).user("qi_manager")
    token = _token(app, client, manager.email)
    data = client.get("/api/v1/targets", headers=_auth(token)).get_json()
    assert {"measure": "plans_good_or_better", "scope": "all", "academic_year": "2025/26",
            "target": 80} in data["data"]
    assert data["advice_deadline_days"] == 42
