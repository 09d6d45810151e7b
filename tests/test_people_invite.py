"""Inviting a person from the Users pages: the answers are checked on a page of their own,
the invitation is sent only from there, the person shows as invited, and it can be sent
again; bad answers change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.mail.models import OutboxMessage
from tests import factories as make
from tests.factories import csrf_token, sign_in


def _text(response) -> str:
    return response.get_data(as_text=True)


def _invite(client, **data: str):
    token = csrf_token(client, "/users/invite")
    return client.post("/users/invite", data={"csrf_token": token, **data})


def _outbox(app, to: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.to == to)
                                  .order_by(OutboxMessage.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def _count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


ANSWERS = {"email": "New.Lead@Example.org", "name": "Nia Lead", "role": "agency_lead"}


def test_an_invitation_is_checked_then_sent_and_shows_as_invited(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    admin = make.on(app).user("admin")
    sign_in(client, admin.email)
    users = _count_users(app)

    check = _invite(client, **ANSWERS, agency=str(health.id))
    page = _text(check)
    assert check.status_code == 200
    assert "Check your answers before sending the invitation" in page
    for words in ("new.lead@example.org", "Nia Lead", "Agency lead", "Community Paediatrics"):
        assert words in page
    assert _count_users(app) == users and _outbox(app, "new.lead@example.org") == []

    sent = _invite(client, **ANSWERS, agency=str(health.id), confirmed="yes")
    assert sent.status_code == 302
    with app.app_context():
        person = db.session.execute(select(User).where(
            User.email == "new.lead@example.org")).scalar_one()
        assert (person.display_name, person.role, person.agency_id) == (
            "Nia Lead", "agency_lead", health.id)
        person_id = person.id
    assert sent.headers["Location"].endswith(f"/users/{person_id}/invited")
    assert "Invitation sent" in _text(client.get(sent.headers["Location"]))
    [message] = _outbox(app, "new.lead@example.org")
    assert message.kind == "invitation"

    listed = _text(client.get("/users?status=invited"))
    assert "new.lead@example.org" in listed and "Invited" in listed
    assert "No lead for Community Paediatrics" in _text(client.get("/users"))

    own_page = _text(client.get(f"/users/{person_id}"))
    assert "Resend invitation" in own_page
    resent = client.post(f"/users/{person_id}/resend-invitation",
                         data={"csrf_token": csrf_token(client, f"/users/{person_id}")})
    assert resent.status_code == 302
    assert len(_outbox(app, "new.lead@example.org")) == 2


def test_change_the_answers_returns_to_the_form_with_them(app, client):
    admin = make.on(app).user("admin")
    sign_in(client, admin.email)
    back = _invite(client, **{**ANSWERS, "role": "qi_manager"}, agency="", action="change")
    page = _text(back)
    assert "Invite a user" in page and 'value="New.Lead@Example.org"' in page
    assert _outbox(app, "new.lead@example.org") == []


def test_bad_or_forged_invitations_send_nothing(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    admin = make.on(app).user("admin")
    taken = make.on(app).user("qi_manager")
    sign_in(client, admin.email)
    users = _count_users(app)
    cases = [
        ({**ANSWERS, "email": "not-an-email", "agency": str(health.id)}, "right form"),
        ({**ANSWERS, "name": "", "agency": str(health.id)}, "Enter their full name"),
        ({**ANSWERS, "role": "emperor", "agency": str(health.id)}, "Choose a role"),
        ({**ANSWERS, "role": "auditor", "agency": ""}, "Choose the agency of this auditor"),
        ({**ANSWERS, "agency": "424242"}, "Choose an agency from the list"),
        ({**ANSWERS, "email": taken.email, "agency": str(health.id)}, "already has an account"),
    ]
    for data, message in cases:
        for confirmed in ("", "yes"):
            response = _invite(client, **data, confirmed=confirmed)
            assert response.status_code == 400, data
            assert message in _text(response), data
    assert _count_users(app) == users
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_an_active_person_has_no_invitation_to_resend(app, client):
    admin = make.on(app).user("admin")
    manager = make.on(app).user("qi_manager")
    sign_in(client, admin.email)
    assert "Resend invitation" not in _text(client.get(f"/users/{manager.id}"))
    response = client.post(f"/users/{manager.id}/resend-invitation",
                           data={"csrf_token": csrf_token(client, "/users")})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert client.get(f"/users/{manager.id}/invited").status_code == 302
