"""API tokens expire, are revoked with the owner's sessions, need the password again to be
made, and record when they were last used."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from qa_app.api.models import ApiToken
from qa_app.auth.models import User, UserSession
from qa_app.extensions import db
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.factories import PASSWORD, csrf_token, sign_in

NEW_PASSWORD = "a different long passphrase"


def _create(client, password: str = PASSWORD, name: str = "Power BI"):
    token = csrf_token(client, "/account/api-tokens/")
    return client.post("/account/api-tokens/", data={"csrf_token": token, "name": name,
                                                     "password": password})


def _token(client) -> str:
    page = _create(client).get_data(as_text=True)
    match = re.search(r"(eqa_[A-Za-z0-9_-]{20,})", page)
    assert match, page
    return match.group(1)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _count_tokens(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ApiToken))


def test_a_token_needs_the_password_again(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    wrong = _create(client, password="not my password").get_data(as_text=True)
    assert "Your password is not correct" in wrong and "eqa_" not in wrong.split("Your tokens")[0]
    assert "There is a problem" in wrong
    empty = _create(client, password="").get_data(as_text=True)
    assert "Enter your password" in empty
    assert _count_tokens(app) == 0
    assert re.search(r"eqa_[A-Za-z0-9_-]{20,}", _create(client).get_data(as_text=True))
    assert _count_tokens(app) == 1


def test_a_token_expires_after_the_set_number_of_days(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    token = _token(client)
    expected = (utcnow() + timedelta(days=90)).strftime("%d/%m/%Y")
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    assert "A token works for 90 days" in page and expected in page
    api = app.test_client()
    assert api.get("/api/v1/cycles", headers=_auth(token)).status_code == 200
    with app.app_context():
        row = db.session.execute(select(ApiToken)).scalar_one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = api.get("/api/v1/cycles", headers=_auth(token))
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "token_expired"
    assert "expired" in body["message"] and "Create a new token" in body["message"]
    assert "Expired" in client.get("/account/api-tokens/").get_data(as_text=True)


def test_the_lifetime_is_a_setting(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    app.config["API_TOKEN_DAYS"] = 7
    try:
        _token(client)
        page = client.get("/account/api-tokens/").get_data(as_text=True)
    finally:
        app.config["API_TOKEN_DAYS"] = 90
    assert "A token works for 7 days" in page
    with app.app_context():
        row = db.session.execute(select(ApiToken)).scalar_one()
        assert row.expires_at - row.created_at == timedelta(days=7)


def test_changing_the_password_revokes_every_token(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    first, second = _token(client), _token(client)
    api = app.test_client()
    assert api.get("/api/v1/cycles", headers=_auth(first)).status_code == 200
    response = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": PASSWORD,
        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    for token in (first, second):
        assert api.get("/api/v1/cycles", headers=_auth(token)).status_code == 401
    assert client.get("/account/api-tokens/").get_data(as_text=True).count("Revoked ") == 2


def test_deactivating_a_person_revokes_their_tokens_and_sessions(app, client):
    from qa_app.auth.operations import deactivate_user

    manager = make.on(app).user("qi_manager")
    admin = make.on(app).user("admin")
    sign_in(client, manager.email)
    token = _token(client)
    with app.app_context():
        deactivate_user(db.session.get(User, manager.id), actor_id=admin.id)
        db.session.commit()
        row = db.session.execute(select(ApiToken)).scalar_one()
        assert row.revoked_at is not None
        sessions = db.session.scalar(select(func.count()).select_from(UserSession)
                                     .where(UserSession.user_id == manager.id))
        assert sessions == 0
    assert app.test_client().get("/api/v1/cycles", headers=_auth(token)).status_code == 401
    assert client.get("/rates").status_code == 302  # the browser session ended too


def test_token_use_is_recorded_and_shown(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    token = _token(client)
    assert "Never" in client.get("/account/api-tokens/").get_data(as_text=True)
    assert app.test_client().get("/api/v1/agencies", headers=_auth(token)).status_code == 200
    with app.app_context():
        used = db.session.execute(select(ApiToken)).scalar_one().last_used_at
    assert used is not None and utcnow() - used < timedelta(minutes=1)
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    assert used.strftime("%d/%m/%Y %H:%M") in page and "Never" not in page


def test_checking_a_token_does_not_commit_by_itself(app):
    """The request commits the last-used time once, at its end: checking a token inside a
    request that then fails leaves nothing written."""
    from qa_app.api.tokens import create_token, user_for_token

    manager = make.on(app).user("qi_manager")
    with app.app_context():
        _, token = create_token(db.session.get(User, manager.id), "Excel")
        db.session.commit()
    with app.test_request_context("/api/v1/cycles"):
        assert user_for_token(token) is not None
        db.session.rollback()
    with app.app_context():
        assert db.session.execute(select(ApiToken)).scalar_one().last_used_at is None
