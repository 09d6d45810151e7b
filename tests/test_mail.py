"""Email: the outbox, SMTP delivery to a real server in the test process, GOV.UK Notify
delivery to a local stand-in that records what it was sent, retries, and the guard that keeps
children's references and grades out of every email."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from qa_app.extensions import db
from qa_app.mail import UnsafeEmail, link, send_email
from qa_app.mail.models import OutboxMessage
from qa_app.transactions import commit_point
from tests import factories as make
from tests.mail_server import MAIL_SETTINGS, _free_port


def _send(app: Flask, to: str = "someone@example.org", **fields: str) -> int:
    with app.app_context():
        message_id = send_email(to, "password_reset",
                                {"link": "https://qa.example.org/x", "expires": "10:00",
                                 **fields})
        commit_point()
    return message_id


def _row(app: Flask, message_id: int) -> OutboxMessage:
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        assert row is not None
        db.session.expunge(row)
        return row


@pytest.fixture()
def mail_settings(app: Flask) -> Iterator[None]:
    saved = {key: app.config.get(key) for key in (*MAIL_SETTINGS, "NOTIFY_BASE_URL",
                                                  "NOTIFY_TEMPLATE_IDS", "SERVICE_URL")}
    try:
        yield
    finally:
        app.config.update(saved)


def test_without_mail_settings_messages_stay_in_the_outbox(app: Flask, client) -> None:
    message_id = _send(app)
    row = _row(app, message_id)
    assert (row.status, row.channel, row.attempts) == ("kept", "outbox", 0)
    assert row.status_words == "Kept in the outbox, not sent"
    assert row.subject == "Reset your password for EHCP quality assurance"
    assert "https://qa.example.org/x" in row.body

    admin = make.on(app).user("admin")
    make.sign_in(client, admin.email)
    listing = client.get("/emails/").get_data(as_text=True)
    assert "someone@example.org" in listing and "Kept in the outbox, not sent" in listing
    assert "Reset your password for EHCP quality assurance" in listing
    page = client.get(f"/emails/{message_id}").get_data(as_text=True)
    assert "https://qa.example.org/x" in page
    assert client.get("/emails/999999").status_code == 404


def test_only_administrators_see_the_emails_page(app: Flask, client) -> None:
    manager = make.on(app).user("qi_manager")
    make.sign_in(client, manager.email)
    assert client.get("/emails/").status_code == 404


def test_the_emails_page_is_newest_first_and_paginated(app: Flask, client) -> None:
    ids = [_send(app, to=f"p{n}@example.org") for n in range(27)]
    admin = make.on(app).user("admin")
    make.sign_in(client, admin.email)
    first = client.get("/emails/").get_data(as_text=True)
    assert "27 emails; page 1 of 2" in first
    assert first.index("p26@example.org") < first.index("p25@example.org")
    assert "p0@example.org" not in first
    second = client.get("/emails/?page=2").get_data(as_text=True)
    assert "p0@example.org" in second and "p1@example.org" in second
    assert len(ids) == 27


def test_smtp_delivers_to_a_real_server(app: Flask, mail_to_smtp) -> None:
    message_id = _send(app)
    [received] = mail_to_smtp.wait_for(1)
    assert received["To"] == "someone@example.org"
    assert received["From"] == "qa@example.org"
    assert received["Subject"] == "Reset your password for EHCP quality assurance"
    assert "https://qa.example.org/x" in received.get_content()
    row = _row(app, message_id)
    assert (row.status, row.channel, row.attempts) == ("sent", "smtp", 1)
    assert row.sent_at is not None


def test_nothing_is_sent_when_the_change_is_rolled_back(app: Flask, mail_to_smtp) -> None:
    with app.app_context():
        send_email("someone@example.org", "password_reset", {"link": "x", "expires": "y"})
        db.session.rollback()
        commit_point()
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 0
    assert mail_to_smtp.messages == []


def test_a_failing_mail_server_is_retried_then_the_message_fails_with_a_reason(
        app: Flask, mail_to_smtp) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    mail_to_smtp.refuse_with = "451 4.3.0 Mailbox busy, try again later"
    message_id = _send(app)
    row = _row(app, message_id)
    assert mail_to_smtp.refused == 3
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error == ("Not sent after 3 attempts: the mail server at "
                         f"127.0.0.1:{mail_to_smtp.port} answered 451 4.3.0 Mailbox busy, "
                         "try again later")


def test_a_refusal_that_cannot_change_is_not_retried(app: Flask, mail_to_smtp) -> None:
    mail_to_smtp.refuse_with = "554 5.7.1 Message rejected"
    row = _row(app, _send(app))
    assert mail_to_smtp.refused == 1
    assert (row.status, row.attempts) == ("failed", 1)
    assert "answered 554 5.7.1 Message rejected" in (row.error or "")


def test_an_unreachable_mail_server_is_retried_then_fails(app: Flask, mail_settings) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_USE_TLS=False,
                      MAIL_MAX_ATTEMPTS=2, MAIL_RETRY_SECONDS=0)
    row = _row(app, _send(app))
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.error and row.error.startswith("Not sent after 2 attempts: the mail server at")
    assert "could not be reached" in row.error


class _NotifyStandIn(BaseHTTPRequestHandler):
    """Answers as GOV.UK Notify does, and keeps what it was sent."""

    received: list[dict[str, Any]]
    answer: int = 201

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.received.append({  # type: ignore[attr-defined]
            "path": self.path, "auth": self.headers.get("Authorization", ""), "json": body})
        status = self.server.answer  # type: ignore[attr-defined]
        reply = ({"id": str(uuid.uuid4()), "reference": body.get("reference"), "content": {},
                  "template": {}} if status == 201 else
                 {"status_code": status, "errors": [{"error": "BadRequestError",
                                                     "message": "Template not found"}]})
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture()
def notify(app: Flask, mail_settings) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotifyStandIn)
    server.received = []  # type: ignore[attr-defined]
    server.answer = 201  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(
        NOTIFY_API_KEY=f"test_key-{uuid.uuid4()}-{uuid.uuid4()}",
        NOTIFY_BASE_URL=f"http://127.0.0.1:{server.server_port}",
        NOTIFY_TEMPLATE_IDS={"password_reset": "f33517ff-2a88-4f6e-b855-c550268ce08a"},
        MAIL_RETRY_SECONDS=0, MAIL_MAX_ATTEMPTS=3,
    )
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_gov_uk_notify_is_sent_the_template_and_fields(app: Flask, notify) -> None:
    message_id = _send(app)
    [post] = notify.received  # type: ignore[attr-defined]
    assert post["path"] == "/v2/notifications/email"
    assert post["auth"].startswith("Bearer ")
    assert post["json"] == {
        "email_address": "someone@example.org",
        "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
        "personalisation": {"link": "https://qa.example.org/x", "expires": "10:00"},
        "reference": f"outbox-{message_id}",
    }
    row = _row(app, message_id)
    assert (row.status, row.channel) == ("sent", "notify")


def test_a_notify_refusal_is_a_readable_failure(app: Flask, notify) -> None:
    notify.answer = 400  # type: ignore[attr-defined]
    row = _row(app, _send(app))
    assert len(notify.received) == 1  # type: ignore[attr-defined]
    assert row.status == "failed"
    assert "GOV.UK Notify answered 400" in (row.error or "")
    assert "Template not found" in (row.error or "")


def test_notify_busy_is_retried(app: Flask, notify) -> None:
    notify.answer = 500  # type: ignore[attr-defined]
    row = _row(app, _send(app))
    assert len(notify.received) == 3  # type: ignore[attr-defined]
    assert (row.status, row.attempts) == ("failed", 3)


def test_a_kind_without_a_notify_template_fails_at_once(app: Flask, notify) -> None:
    app.config["NOTIFY_TEMPLATE_IDS"] = {}
    row = _row(app, _send(app))
    assert notify.received == []  # type: ignore[attr-defined]
    assert row.error == ("Not sent: NOTIFY_TEMPLATE_IDS has no template for "
                         "'password_reset' emails")


def test_links_come_from_the_service_address(app: Flask, mail_settings) -> None:
    app.config["SERVICE_URL"] = "https://qa.example.org/partnership/"
    with app.app_context():
        assert link("auth.sign_in") == "https://qa.example.org/partnership/sign-in"
    with app.test_request_context("/", base_url="http://attacker.example"):
        assert link("auth.sign_in") == "https://qa.example.org/partnership/sign-in"


def test_an_email_never_carries_a_plan_or_advice_reference(app: Flask) -> None:
    agency = make.on(app).agency("Guard Agency", "education")
    plan = make.on(app).plan(agency.id, ref="Z9-Q-4417")
    advice = make.on(app).advice(plan.id, agency.id, ref="A7-X-0001")
    with app.app_context():
        for value in (f"About {plan.ref} and more", "see EHCP-2026-0042", f"({advice.ref})",
                      "ADV-2026-0001", "z9-q-4417", "https://x.example/plans/Z9-Q-4417."):
            with pytest.raises(UnsafeEmail):
                send_email("x@example.org", "password_reset", {"link": value, "expires": "y"})
        for key in ("grade", "plan_ref", "overall_grade", "Advice reference"):
            with pytest.raises(UnsafeEmail):
                send_email("x@example.org", "password_reset",
                           {"link": "ok", "expires": "y", key: "Good"})
        assert db.session.query(OutboxMessage).count() == 0


def test_the_guard_lets_ordinary_words_through(app: Flask) -> None:
    with app.app_context():
        send_email("ehcp-qa@example.org", "password_reset",
                   {"link": "run ehcp-qa reminders send, see EHCP-QA notes", "expires": "y",
                    "preferences_link": "https://qa.example.org/account/reminders"})
        db.session.rollback()


def test_no_invitation_or_reset_email_holds_a_reference(app: Flask, client) -> None:
    from qa_app.auth.invitations import invite
    from qa_app.auth.password_reset import request_reset

    agency = make.on(app).agency("Reference Agency", "education")
    refs = []
    for _ in range(3):
        plan = make.on(app).plan(agency.id)
        refs += [plan.ref, make.on(app).advice(plan.id, agency.id).ref]
    lead = make.on(app).user("agency_lead", agency.name)
    with app.app_context():
        invite("new.lead@example.org", "agency_lead", agency.id, lead.id)
        request_reset(lead.email)
        commit_point()
        messages = db.session.query(OutboxMessage).all()
    assert len(messages) == 2
    for message in messages:
        text = f"{message.subject}\n{message.body}\n{message.fields}".lower()
        assert not [ref for ref in refs if ref.lower() in text]


def test_the_sweep_hands_over_messages_left_waiting(app: Flask) -> None:
    from datetime import timedelta

    from qa_app.mail.tasks import send_waiting
    from qa_app.timeutil import utcnow

    with app.app_context():
        old = OutboxMessage(to="a@example.org", kind="invitation", subject="s", body="b\n",
                            fields={}, created_at=utcnow() - timedelta(minutes=10))
        new = OutboxMessage(to="b@example.org", kind="invitation", subject="s", body="b\n",
                            fields={})
        db.session.add_all([old, new])
        commit_point()
        ids = old.id, new.id
        assert send_waiting() == 1
    assert _row(app, ids[0]).status == "kept"
    assert _row(app, ids[1]).status == "queued"


def test_a_server_without_starttls_is_refused_when_tls_is_asked_for(
        app: Flask, mail_to_smtp) -> None:
    app.config["MAIL_USE_TLS"] = True
    row = _row(app, _send(app))
    assert mail_to_smtp.messages == []
    assert (row.status, row.attempts) == ("failed", 1)
    assert "does not offer STARTTLS" in (row.error or "")


@pytest.fixture()
def tls_smtp_server(tmp_path) -> Iterator[tuple[Any, str]]:
    """An SMTP server that insists on STARTTLS, with a certificate made for 127.0.0.1."""
    import ssl
    import subprocess

    from tests.mail_server import SmtpServer

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer(tls_context=context)
    server.start()
    try:
        yield server, str(cert)
    finally:
        server.stop()


def test_starttls_is_used_and_the_certificate_checked(app: Flask, mail_settings,
                                                      tls_smtp_server, monkeypatch) -> None:
    server, cert = tls_smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=True,
                      MAIL_RETRY_SECONDS=0)
    untrusted = _row(app, _send(app))
    assert untrusted.status == "failed" and server.messages == []
    assert "could not be trusted over TLS" in (untrusted.error or "")

    monkeypatch.setenv("SSL_CERT_FILE", cert)  # now the certificate is trusted
    trusted = _row(app, _send(app))
    assert trusted.status == "sent", trusted.error
    [received] = server.wait_for(1)
    assert received["Subject"] == "Reset your password for EHCP quality assurance"
