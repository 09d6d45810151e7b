"""Forgotten passwords: the request page answers the same for any address, the emailed link
works once and expires, and a reset ends every session and API token of the account."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from qa_app.api.models import ApiToken
from qa_app.audit_log import AuditLogEntry
from qa_app.auth.link_models import AccountLink
from qa_app.auth.models import User, UserSession
from qa_app.extensions import db
from qa_app.mail.models import OutboxMessage
from qa_app.timeutil import utcnow
from qa_app.transactions import commit_point
from tests import factories as make

NEW_PASSWORD = "seven quiet lanterns"
LINK = re.compile(r"https?://\S+(/reset-password/\S+)")


def _csrf(client, path: str) -> str:
    return make.csrf_token(client, path)


def _ask(client, email: str):
    return client.post("/forgotten-password",
                       data={"email": email, "csrf_token": _csrf(client, "/forgotten-password")})


def _answer_words(response, email: str) -> str:
    """The page as a person reads it, with the address they typed taken out."""
    text = response.get_data(as_text=True).replace(email, "EMAIL")
    text = re.sub(r'value="[^"]*"', "", text)
    return re.sub(r'nonce="[^"]*"', "", text)


def _set(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"csrf_token": _csrf(client, path),
                                   "new_password": password, "confirm_password": password})


def test_the_sign_in_page_links_to_the_request_page(client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/forgotten-password">Forgotten your password?</a>' in page


def test_the_request_page_answers_the_same_for_unknown_addresses(app: Flask) -> None:
    person = make.on(app).user("auditor", make.on(app).agency().name)
    known = _ask(app.test_client(), person.email)
    unknown = _ask(app.test_client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert _answer_words(known, person.email) == _answer_words(unknown, "nobody@example.org")
    assert "Check your email" in known.get_data(as_text=True)
    with app.app_context():
        sent = db.session.execute(select(OutboxMessage.to)).scalars().all()
    assert sent == [person.email]


def test_the_answer_takes_about_the_same_time_either_way(app: Flask, mail_to_smtp) -> None:
    import time

    person = make.on(app).user("auditor", make.on(app).agency().name)
    took = {}
    for email in (person.email, "nobody@example.org"):
        client = app.test_client()
        token = _csrf(client, "/forgotten-password")
        started = time.monotonic()
        client.post("/forgotten-password", data={"email": email, "csrf_token": token})
        took[email] = time.monotonic() - started
    mail_to_smtp.wait_for(1)
    assert all(0.5 <= seconds < 1.5 for seconds in took.values()), took
    assert abs(took[person.email] - took["nobody@example.org"]) < 0.3, took


def test_a_reset_link_arrives_and_sets_a_new_password(app: Flask, client, mail_to_smtp) -> None:
    person = make.on(app).user("qi_manager")
    _ask(client, person.email.upper())
    [received] = mail_to_smtp.wait_for(1)
    assert received["To"] == person.email
    assert received["Subject"] == "Reset your password for EHCP quality assurance"
    path = LINK.search(received.get_content()).group(1)
    page = client.get(path).get_data(as_text=True)
    assert "Choose a new password" in page and person.email in page
    response = _set(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert person.email in client.get("/").get_data(as_text=True)
    assert client.get(path).status_code == 410

    fresh = app.test_client()
    assert make.sign_in(fresh, person.email, NEW_PASSWORD).status_code == 302
    wrong = make.sign_in(app.test_client(), person.email)  # the old password
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)


def test_a_reset_ends_other_sessions_and_api_tokens(app: Flask) -> None:
    person = make.on(app).user("qi_manager")
    elsewhere = make.signed_in(app, person.email)
    assert elsewhere.get("/").status_code == 200
    with app.app_context():
        from qa_app.api.tokens import create_token

        _row, secret = create_token(db.session.get(User, person.id), "Power BI")
        commit_point()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/agencies", headers=headers).status_code == 200

    client = app.test_client()
    _ask(client, person.email)
    with app.app_context():
        path = LINK.search(db.session.execute(select(OutboxMessage.body)).scalar_one()).group(1)
    assert _set(client, path).status_code == 302

    assert elsewhere.get("/").status_code == 302  # sent to sign in
    assert api.get("/api/v1/agencies", headers=headers).status_code == 401
    with app.app_context():
        sessions = db.session.execute(
            select(UserSession).where(UserSession.user_id == person.id)).scalars().all()
        assert len(sessions) == 1  # only the one the reset just started
        token = db.session.execute(select(ApiToken)).scalar_one()
        assert token.revoked_at is not None


def test_used_replaced_and_expired_links_are_refused(app: Flask, client) -> None:
    person = make.on(app).user("qi_manager")
    _ask(client, person.email)
    _ask(client, person.email)
    with app.app_context():
        first, second = [LINK.search(b).group(1) for b in db.session.execute(
            select(OutboxMessage.body).order_by(OutboxMessage.id)).scalars()]
    replaced = client.get(first)
    assert replaced.status_code == 410
    assert "Password reset links work once, for 1 hour" in replaced.get_data(as_text=True)
    with app.app_context():
        live = db.session.execute(
            select(AccountLink).where(AccountLink.used_at.is_(None))).scalar_one()
        live.expires_at = utcnow() - timedelta(seconds=1)
        commit_point()
    assert client.get(second).status_code == 410
    assert client.get("/reset-password/made-up-token").status_code == 410


def test_a_deactivated_account_gets_no_link(app: Flask, client) -> None:
    person = make.on(app).user("qi_manager")
    with app.app_context():
        db.session.get(User, person.id).active = False
        commit_point()
    assert "Check your email" in _ask(client, person.email).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 0


def test_requests_are_rate_limited_per_address_typed(app: Flask) -> None:
    client = app.test_client()
    answers = [_ask(client, "someone@example.org").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert _ask(client, "other@example.org").status_code == 200


def test_requests_and_resets_are_in_the_audit_log(app: Flask, client) -> None:
    person = make.on(app).user("qi_manager")
    _ask(client, person.email)
    _ask(client, "nobody@example.org")
    with app.app_context():
        path = LINK.search(db.session.execute(select(OutboxMessage.body)).scalar_one()).group(1)
    _set(client, path)
    with app.app_context():
        rows = db.session.execute(
            select(AuditLogEntry.action, AuditLogEntry.record_id)
            .where(AuditLogEntry.action.like("user.password_reset%"))
            .order_by(AuditLogEntry.id)).all()
    assert [tuple(r) for r in rows] == [
        ("user.password_reset_request", str(person.id)),
        ("user.password_reset_request", "unknown"),
        ("user.password_reset", str(person.id)),
    ]


def test_a_reset_also_stops_a_waiting_invitation(app: Flask, client) -> None:
    from qa_app.auth.invitations import invite

    with app.app_context():
        invite("late.joiner@example.org", "qi_manager", None, None)
        commit_point()
    _ask(client, "late.joiner@example.org")
    with app.app_context():
        invitation, reset = db.session.execute(
            select(OutboxMessage.body).order_by(OutboxMessage.id)).scalars().all()
    assert _set(client, LINK.search(reset).group(1)).status_code == 302
    invitation_path = re.search(r"https?://\S+(/invitation/\S+)", invitation).group(1)
    assert app.test_client().get(invitation_path).status_code == 410
