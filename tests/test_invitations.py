"""Invitations: a person added by email sets their own password through a single-use,
expiring link; a resent invitation stops the old link; every step is in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.auth.invitations import invite, is_invited, resend_invitation
from qa_app.auth.link_models import AccountLink
from qa_app.auth.models import User
from qa_app.auth.operations import UserError, find_user_by_email
from qa_app.extensions import db
from qa_app.mail.models import OutboxMessage
from qa_app.timeutil import utcnow
from qa_app.transactions import commit_point
from tests import factories as make

NEW_PASSWORD = "a river of green kites"
LINK = re.compile(r"(https?://\S+/invitation/\S+)")


def _invite(app: Flask, email: str = "new.auditor@example.org", role: str = "auditor",
            by_email: str | None = None) -> int:
    agency = make.on(app).agency()
    with app.app_context():
        by = find_user_by_email(by_email) if by_email else None
        user = invite(email, role, agency.id, by.id if by else None)
        commit_point()
        return user.id


def _path(body: str) -> str:
    found = LINK.search(body)
    assert found, body
    return "/" + found.group(1).split("/", 3)[3]


def _set_password(client, path: str, password: str = NEW_PASSWORD):
    page = client.get(path)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, "new_password": password,
                                   "confirm_password": password})


def test_the_invitation_reaches_the_mail_server_and_its_link_sets_a_password(
        app: Flask, client, mail_to_smtp) -> None:
    admin = make.on(app).person("admin", name="Pat Admin")
    _invite(app, by_email=admin.email)
    [received] = mail_to_smtp.wait_for(1)
    assert received["To"] == "new.auditor@example.org"
    assert received["Subject"] == "You have been invited to EHCP quality assurance"
    body = received.get_content()
    assert "Pat Admin has invited you" in body and "as auditor" in body

    path = _path(body)
    page = client.get(path).get_data(as_text=True)
    assert "Set your password" in page and "new.auditor@example.org" in page
    response = _set_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "new.auditor@example.org" in home

    again = client.get(path)
    assert again.status_code == 410
    assert "This link no longer works" in again.get_data(as_text=True)

    other = app.test_client()
    assert make.sign_in(other, "new.auditor@example.org", NEW_PASSWORD).status_code == 302


def test_an_invited_person_cannot_sign_in_before_accepting(app: Flask, client) -> None:
    _invite(app)
    response = make.sign_in(client, "new.auditor@example.org", "!invited")
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    with app.app_context():
        user = find_user_by_email("new.auditor@example.org")
        assert user is not None and is_invited(user)


def test_the_link_is_stored_only_as_a_hash_and_expires(app: Flask, client) -> None:
    user_id = _invite(app)
    with app.app_context():
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        path = _path(message.body)
        token = path.rsplit("/", 1)[1]
        row = db.session.execute(select(AccountLink)).scalar_one()
        assert token not in row.token_hash and row.user_id == user_id
        assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
        row.expires_at = utcnow() - timedelta(seconds=1)
        commit_point()
    response = client.get(path)
    assert response.status_code == 410
    assert "Invitation links work once, for 7 days" in response.get_data(as_text=True)
    assert client.post(path, data={"new_password": NEW_PASSWORD,
                                   "confirm_password": NEW_PASSWORD}).status_code in (400, 410)


def test_a_resent_invitation_stops_the_old_link(app: Flask, client) -> None:
    admin = make.on(app).user("admin")
    user_id = _invite(app)
    with app.app_context():
        resend_invitation(db.session.get(User, user_id), admin.id)
        commit_point()
        first, second = db.session.execute(
            select(OutboxMessage.body).order_by(OutboxMessage.id)).scalars().all()
    assert client.get(_path(first)).status_code == 410
    assert _set_password(client, _path(second)).status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert not is_invited(user)
        try:
            resend_invitation(user, admin.id)
        except UserError as exc:
            assert "already set a password" in str(exc)
        else:
            raise AssertionError("a person with a password was sent an invitation")


def test_invitations_refuse_bad_details(app: Flask) -> None:
    existing = make.on(app).user("qi_manager")
    agency = make.on(app).agency()
    with app.app_context():
        for email, role, agency_id, words in (
            ("not-an-email", "auditor", agency.id, "correct format"),
            (existing.email, "qi_manager", None, "already an account"),
            ("x@example.org", "wizard", None, "Choose a role"),
            ("x@example.org", "auditor", None, "Choose the agency"),
            ("x@example.org", "auditor", 999999, "Choose an agency"),
        ):
            try:
                invite(email, role, agency_id, None)
            except UserError as exc:
                assert words in str(exc)
            else:
                raise AssertionError(f"{email} {role} was invited")
        db.session.rollback()
        assert db.session.query(OutboxMessage).count() == 0


def test_short_or_mismatched_passwords_are_refused(app: Flask, client) -> None:
    _invite(app)
    with app.app_context():
        path = _path(db.session.execute(select(OutboxMessage.body)).scalar_one())
    response = _set_password(client, path, "short")
    assert response.status_code == 200
    assert "Password must be 12 characters or more" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # still usable


def test_every_step_is_in_the_audit_log(app: Flask, client) -> None:
    admin = make.on(app).user("admin")
    user_id = _invite(app, by_email=admin.email)
    with app.app_context():
        resend_invitation(db.session.get(User, user_id), admin.id)
        commit_point()
        body = db.session.execute(select(OutboxMessage.body).order_by(
            OutboxMessage.id.desc())).scalars().first()
    _set_password(client, _path(body))
    with app.app_context():
        entries = db.session.execute(
            select(AuditLogEntry.action, AuditLogEntry.user_id)
            .where(AuditLogEntry.record_id == str(user_id)).order_by(AuditLogEntry.id)).all()
    assert [tuple(e) for e in entries] == [
        ("user.invite", admin.id), ("user.invitation_resend", admin.id),
        ("user.invitation_accept", user_id), ("user.sign_in", user_id)]


def test_the_invite_command_says_where_the_message_went(app: Flask, runner) -> None:
    make.on(app).agency("Northfield School")
    result = runner.invoke(["users", "invite", "--email", "lead@example.org",
                            "--role", "agency_lead", "--agency", "Northfield School"])
    assert result.exit_code == 0, result.output
    assert "Invited user" in result.output and "lead@example.org (agency_lead)" in result.output
    assert "kept in the outbox, not sent" in result.output
    refused = runner.invoke(["users", "invite", "--email", "x@example.org", "--role", "auditor"])
    assert refused.exit_code != 0 and "Choose the agency" in refused.output
    unknown = runner.invoke(["users", "invite", "--email", "y@example.org", "--role",
                             "auditor", "--agency", "Nowhere"])
    assert unknown.exit_code != 0 and "No agency called 'Nowhere'" in unknown.output


def test_the_invite_command_sends_through_the_mail_server(app: Flask, runner,
                                                          mail_to_smtp) -> None:
    result = runner.invoke(["users", "invite", "--email", "chair@example.org",
                            "--role", "panel_chair"])
    assert result.exit_code == 0, result.output
    assert "was sent to chair@example.org through the mail server" in result.output
    [received] = mail_to_smtp.wait_for(1)
    assert "/invitation/" in received.get_content()
