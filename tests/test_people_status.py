"""Deactivating and reactivating people, and the rule that the partnership always keeps an
active administrator, including two administrators removing each other at the same moment."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from qa_app.api.models import ApiToken
from qa_app.audit_log import AuditLogEntry
from qa_app.auth.models import User, UserSession
from qa_app.auth.operations import UserError, change_role, deactivate_user
from qa_app.extensions import db
from tests import factories as make
from tests.factories import PASSWORD, csrf_token, sign_in, signed_in


def _text(response) -> str:
    return response.get_data(as_text=True)


def _active(app, user_id: int) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).active


def _role(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).role


def _confirm(client, path: str):
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def _api_token(client) -> str:
    token = csrf_token(client, "/account/api-tokens/")
    page = _text(client.post("/account/api-tokens/", data={
        "csrf_token": token, "name": "Power BI", "password": PASSWORD}))
    match = re.search(r"(eqa_[A-Za-z0-9_-]{20,})", page)
    assert match
    return match.group(1)


def _active_admins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User).where(
            User.role == "admin", User.active.is_(True)))


def test_deactivation_is_checked_then_ends_sessions_and_api_keys_and_stops_sign_in(app, client):
    admin = make.on(app).user("admin")
    manager = make.on(app).person("qi_manager", name="Mo Manager")
    theirs = signed_in(app, manager.email)
    key = _api_token(theirs)
    assert app.test_client().get("/api/v1/cycles",
                                 headers={"Authorization": f"Bearer {key}"}).status_code == 200
    sign_in(client, admin.email)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditLogEntry).where(
            AuditLogEntry.record_type == "user", AuditLogEntry.record_id == str(manager.id)))

    check = client.get(f"/users/{manager.id}/deactivate")
    assert "Deactivate Mo Manager?" in _text(check) and _active(app, manager.id)

    done = _confirm(client, f"/users/{manager.id}/deactivate")
    assert done.status_code == 302 and not _active(app, manager.id)
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == manager.id))
        assert db.session.execute(select(ApiToken)).scalar_one().revoked_at is not None
        after = db.session.scalar(select(func.count()).select_from(AuditLogEntry).where(
            AuditLogEntry.record_type == "user", AuditLogEntry.record_id == str(manager.id)))
    assert after > before  # their history is kept, with the deactivation added
    assert theirs.get("/").status_code == 302
    assert app.test_client().get("/api/v1/cycles",
                                 headers={"Authorization": f"Bearer {key}"}).status_code == 401
    fresh = app.test_client()
    sign_in(fresh, manager.email)
    assert fresh.get("/").status_code == 302  # cannot sign in
    page = _text(client.get(f"/users/{manager.id}"))
    assert "Deactivated" in page and "Account deactivated" in page and "Reactivate" in page
    again = _confirm(client, f"/users/{manager.id}/deactivate")
    assert again.status_code == 400 and "already deactivated" in _text(again)


def test_reactivation_lets_them_sign_in_again(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    admin = make.on(app).user("admin")
    auditor = make.on(app).user("auditor", health.name)
    sign_in(client, admin.email)
    _confirm(client, f"/users/{auditor.id}/deactivate")
    assert "Reactivate" in _text(client.get(f"/users/{auditor.id}/reactivate"))
    assert _confirm(client, f"/users/{auditor.id}/reactivate").status_code == 302
    assert _active(app, auditor.id)
    theirs = signed_in(app, auditor.email)
    assert theirs.get("/").status_code == 200
    assert "Account reactivated" in _text(client.get(f"/users/{auditor.id}"))
    again = _confirm(client, f"/users/{auditor.id}/reactivate")
    assert again.status_code == 400 and "already active" in _text(again)


def test_the_last_admin_cannot_be_deactivated_or_demoted_even_by_themselves(app, client):
    admin = make.on(app).person("admin", name="Ada Admin")
    sign_in(client, admin.email)
    token = csrf_token(client, f"/users/{admin.id}/change")
    for confirmed in ("", "yes"):
        refused = client.post(f"/users/{admin.id}/change", data={
            "csrf_token": token, "role": "qi_manager", "agency": "", "confirmed": confirmed})
        assert refused.status_code == 400
        assert "the only active administrator" in _text(refused)
    assert _role(app, admin.id) == "admin"
    own = _confirm(client, f"/users/{admin.id}/deactivate")
    assert own.status_code == 400 and "your own account" in _text(own)
    with app.app_context():  # the command line or any other caller meets the same rule
        with pytest.raises(UserError, match="only active administrator"):
            deactivate_user(db.session.get(User, admin.id))
        with pytest.raises(UserError, match="only active administrator"):
            change_role(db.session.get(User, admin.id), "panel_chair", None)
        db.session.rollback()
    assert _active(app, admin.id) and _role(app, admin.id) == "admin"


def test_an_admin_may_step_down_while_another_admin_remains(app, client):
    first = make.on(app).person("admin", name="Ada Admin")
    second = make.on(app).person("admin", name="Bo Admin")
    sign_in(client, first.email)
    token = csrf_token(client, f"/users/{first.id}/change")
    stepped = client.post(f"/users/{first.id}/change", data={
        "csrf_token": token, "role": "qi_manager", "agency": "", "confirmed": "yes"})
    assert stepped.status_code == 302 and _role(app, first.id) == "qi_manager"
    assert client.get("/users").status_code in {302, 404}  # signed out, then not an admin
    other = signed_in(app, second.email)
    refused = other.post(f"/users/{second.id}/change", data={
        "csrf_token": csrf_token(other, "/users"), "role": "panel_chair", "agency": "",
        "confirmed": "yes"})
    assert refused.status_code == 400 and _role(app, second.id) == "admin"


def test_a_deactivated_admin_does_not_count_as_the_admin_left(app, client):
    first = make.on(app).person("admin")
    second = make.on(app).person("admin")
    third = make.on(app).person("admin")
    sign_in(client, first.email)
    assert _confirm(client, f"/users/{second.id}/deactivate").status_code == 302
    assert _confirm(client, f"/users/{third.id}/deactivate").status_code == 302
    demote = client.post(f"/users/{first.id}/change", data={
        "csrf_token": csrf_token(client, "/users"), "role": "qi_manager", "agency": "",
        "confirmed": "yes"})
    assert demote.status_code == 400 and _active_admins(app) == 1


def test_two_admins_deactivating_each_other_at_once_leave_one_admin(app):
    """The first change holds its transaction open while the second starts; the second must
    wait for it and then be refused, whatever the database."""
    first = make.on(app).person("admin")
    second = make.on(app).person("admin")
    holding = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def deactivate_second() -> None:
        with app.app_context():
            deactivate_user(db.session.get(User, second.id), actor_id=first.id)
            holding.set()
            release.wait(10)
            db.session.commit()
            outcome["first"] = "done"

    def deactivate_first() -> None:
        with app.app_context():
            try:
                deactivate_user(db.session.get(User, first.id), actor_id=second.id)
                db.session.commit()
                outcome["second"] = "done"
            except UserError as exc:
                db.session.rollback()
                outcome["second"] = str(exc)

    one = threading.Thread(target=deactivate_second)
    one.start()
    assert holding.wait(10)
    two = threading.Thread(target=deactivate_first)
    two.start()
    two.join(0.5)  # the second is now waiting on the first's lock
    release.set()
    one.join(15)
    two.join(15)
    assert outcome["first"] == "done"
    assert "only active administrator" in str(outcome["second"])
    assert _active_admins(app) == 1 and _active(app, first.id)
