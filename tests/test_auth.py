"""Signing in and out, wrong passwords, rate limits, sessions ended on the server."""

from __future__ import annotations

from http.cookies import SimpleCookie

from sqlalchemy import func, select

from qa_app.extensions import db
from tests import factories as make
from tests.factories import PASSWORD, csrf_token, sign_in


def test_sign_in_and_see_home(app, client):
    lead_agency = make.on(app).agency("Educational Psychology Service", "education")
    lead = make.on(app).user("agency_lead", lead_agency.name)
    response = sign_in(client, lead.email)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Signed in as agency lead for Educational Psychology Service" in page


def test_sign_in_form_posts_email_and_password_fields(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/plans")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_wrong_password_and_unknown_email_get_the_same_generic_message(app, client):
    known = make.on(app).user("admin")
    wrong_password = sign_in(client, known.email, "not the password at all").get_data(as_text=True)
    unknown_email = sign_in(client, "nobody@example.org").get_data(as_text=True)
    message = "Enter a correct email address and password"
    assert message in wrong_password and message in unknown_email
    assert "There is a problem" in wrong_password
    assert "nobody@example.org" not in unknown_email.split("<form")[0]


def test_sign_in_attempts_are_rate_limited(app, client):
    known = make.on(app).user("admin")
    statuses = [sign_in(client, known.email, "wrong password!!").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert sign_in(client, known.email).status_code == 429


def test_session_cookie_is_httponly_and_samesite(app, client):
    known = make.on(app).user("admin")
    response = sign_in(client, known.email)
    cookie = SimpleCookie(response.headers["Set-Cookie"])["session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_sign_out_ends_the_session_on_the_server(app, client):
    known = make.on(app).user("qi_manager")
    sign_in(client, known.email)
    stolen = client.get_cookie("session").value
    token = csrf_token(client, "/")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/plans")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_password_change_ends_old_sessions(app, client):
    known = make.on(app).user("qi_manager")
    sign_in(client, known.email)
    other_device = app.test_client()
    sign_in(other_device, known.email)
    old_cookie = client.get_cookie("session").value
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "a much better passphrase",
            "confirm_password": "a much better passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/plans").status_code == 200
    assert other_device.get("/plans").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/plans").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, known.email, "a much better passphrase").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(app, client):
    known = make.on(app).user("qi_manager")
    sign_in(client, known.email)
    token = csrf_token(client, "/account/password")
    page = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": "wrong wrong wrong",
              "new_password": "another long passphrase", "confirm_password":
              "another long passphrase"},
    ).get_data(as_text=True)
    assert "Your current password is not correct" in page
    assert sign_in(app.test_client(), known.email).status_code == 302


def test_forged_post_without_csrf_token_is_refused_and_changes_nothing(app, client):
    known = make.on(app).user("qi_manager")
    sign_in(client, known.email)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "forged passphrase!",
              "confirm_password": "forged passphrase!"},
    )
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    assert sign_in(app.test_client(), known.email).status_code == 302


def test_sign_in_is_recorded_in_the_audit_log(app, client):
    from qa_app.audit_log import AuditLogEntry

    known = make.on(app).user("admin")
    sign_in(client, known.email)
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(AuditLogEntry).where(
                AuditLogEntry.action == "user.sign_in", AuditLogEntry.record_id == str(known.id)
            )
        )
    assert count == 1


def test_open_redirect_after_sign_in_is_refused(app, client):
    known = make.on(app).user("admin")
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in?next=//evil.example/x",
                           data={"email": known.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
