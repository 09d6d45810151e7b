"""The Users pages: an administrator lists, filters and searches people, reads one person's
page and history, and changes a role or agency through a check step; the person's sessions
end so the new role applies at once; forged posts change nothing; others get 404."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from qa_app.auth.models import User, UserSession
from qa_app.extensions import db
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.factories import csrf_token, sign_in, signed_in


def _text(response) -> str:
    return response.get_data(as_text=True)


def _user(app, user_id: int) -> User:
    with app.app_context():
        row = db.session.get(User, user_id)
        db.session.expunge(row)
        return row


def _sessions(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession)
                                 .where(UserSession.user_id == user_id))


def _post_change(client, user_id: int, **data: str):
    token = csrf_token(client, f"/users/{user_id}/change")
    return client.post(f"/users/{user_id}/change", data={"csrf_token": token, **data})


def _rows(page: str) -> list[str]:
    """The people listed in the table, by email, in order."""
    return re.findall(r'<span class="govuk-body-s">([^<]+@[^<]+)</span>', page)


def test_the_list_filters_searches_and_shows_last_sign_in_in_words(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    schools = make.on(app).agency("Inclusion Service", "education")
    admin = make.on(app).person("admin", name="Ada Admin", email="ada@example.org")
    make.on(app).person("auditor", health.id, name="Bea Auditor", email="bea@example.org")
    lead = make.on(app).person("agency_lead", health.id, name="Cai Lead", email="cai@example.org")
    gone = make.on(app).person("auditor", schools.id, name="Dee Gone", email="dee@example.org")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.get(User, lead.id).last_login_at = utcnow() - timedelta(days=40)
        db.session.commit()
    sign_in(client, admin.email)

    everyone = _text(client.get("/users"))
    assert _rows(everyone) == ["ada@example.org", "bea@example.org", "cai@example.org",
                               "dee@example.org"]
    with app.app_context():
        when = db.session.get(User, lead.id).last_login_at
    assert f"{when.day} {when:%B %Y}" in everyone  # UTC noon-ish; UK day is the same day
    assert "Today" in everyone  # the admin signed in just now
    assert "Never" in everyone
    assert _rows(_text(client.get("/users?role=auditor"))) == ["bea@example.org",
                                                               "dee@example.org"]
    assert _rows(_text(client.get(f"/users?agency={health.id}"))) == [
        "bea@example.org", "cai@example.org"]
    assert _rows(_text(client.get("/users?status=deactivated"))) == ["dee@example.org"]
    assert _rows(_text(client.get("/users?status=active&role=auditor"))) == ["bea@example.org"]
    assert _rows(_text(client.get("/users?q=LEAD"))) == ["cai@example.org"]
    assert _rows(_text(client.get("/users?q=bea%40"))) == ["bea@example.org"]
    assert _rows(_text(client.get("/users?q=%25"))) == []  # a wildcard is a plain character
    bad = client.get("/users?role=emperor")
    assert bad.status_code == 400 and "Choose a role from the list" in _text(bad)


def test_the_list_pages_through_many_users(app, client):
    admin = make.on(app).person("admin", email="aaa-admin@example.org", name="Aaa Admin")
    for n in range(30):
        make.on(app).person("qi_manager", email=f"m{n:02d}@example.org", name=f"Manager {n:02d}")
    sign_in(client, admin.email)
    first = _text(client.get("/users"))
    second = _text(client.get("/users?page=2"))
    assert len(_rows(first)) == 25 and len(_rows(second)) == 6
    assert set(_rows(first)).isdisjoint(_rows(second))
    assert "31 users; page 1 of 2" in first
    assert client.get("/users?page=x").status_code == 404


def test_an_agency_with_no_active_lead_is_flagged(app, client):
    led = make.on(app).agency("Educational Psychology Service", "education")
    leaderless = make.on(app).agency("Children's Social Care", "social_care")
    lapsed = make.on(app).agency("Community Paediatrics", "health")
    make.on(app).person("agency_lead", led.id)
    old_lead = make.on(app).person("agency_lead", lapsed.id)
    with app.app_context():
        db.session.get(User, old_lead.id).active = False
        db.session.commit()
    admin = make.on(app).person("admin")
    sign_in(client, admin.email)
    page = _text(client.get("/users")).replace("&#39;", "'")
    assert "No lead for Children's Social Care" in page
    assert "No lead for Community Paediatrics" in page
    assert "No lead for Educational Psychology Service" not in page
    assert leaderless.name in page


def test_a_persons_page_shows_their_account_and_its_history(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    admin = make.on(app).user("admin")
    auditor = make.on(app).user("auditor", health.name)
    sign_in(client, admin.email)
    page = _text(client.get(f"/users/{auditor.id}"))
    for words in ("Auditor", "Community Paediatrics", "Active", "Never", "Today",
                  "Account created"):
        assert words in page
    history = page.split('<h2 class="govuk-heading-m">History</h2>')[1]
    assert "Account created" in history
    assert client.get("/users/999999").status_code == 404


def test_a_role_change_is_shown_for_checking_then_saved_and_ends_their_sessions(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    schools = make.on(app).agency("Inclusion Service", "education")
    admin = make.on(app).user("admin")
    auditor = make.on(app).person("auditor", health.id, name="Bea Auditor")
    theirs = signed_in(app, auditor.email)
    assert theirs.get("/").status_code == 200
    sign_in(client, admin.email)

    check = _post_change(client, auditor.id, role="agency_lead", agency=str(schools.id))
    page = _text(check)
    assert check.status_code == 200 and "Check the change before saving it" in page
    assert "Auditor" in page and "Agency lead" in page and "Inclusion Service" in page
    assert _user(app, auditor.id).role == "auditor"  # nothing saved yet
    assert _sessions(app, auditor.id) == 1

    saved = _post_change(client, auditor.id, role="agency_lead", agency=str(schools.id),
                         confirmed="yes")
    assert saved.status_code == 302
    after = _user(app, auditor.id)
    assert (after.role, after.agency_id) == ("agency_lead", schools.id)
    assert _sessions(app, auditor.id) == 0
    assert theirs.get("/").status_code == 302  # signed out: the new role applies at once
    history = _text(client.get(f"/users/{auditor.id}"))
    assert "Role or agency changed" in history
    assert "Auditor → Agency lead" in history
    assert "Community Paediatrics → Inclusion Service" in history


def test_change_it_returns_to_the_form_without_saving(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    admin = make.on(app).user("admin")
    auditor = make.on(app).person("auditor", health.id)
    sign_in(client, admin.email)
    back = _post_change(client, auditor.id, role="agency_lead", agency=str(health.id),
                        action="change")
    assert "Change role or agency" in _text(back)
    assert _user(app, auditor.id).role == "auditor"


def test_forged_changes_leave_the_person_as_they_were(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    admin = make.on(app).user("admin")
    auditor = make.on(app).person("auditor", health.id)
    manager = make.on(app).person("qi_manager")
    sign_in(client, admin.email)
    cases = [
        (auditor.id, {"role": "emperor", "agency": str(health.id)}, "Choose a role from the list"),
        (manager.id, {"role": "auditor", "agency": ""}, "Choose the agency of this auditor"),
        (auditor.id, {"role": "auditor", "agency": "999999"}, "Choose an agency from the list"),
        (auditor.id, {"role": "auditor", "agency": "x'; drop"}, "Choose an agency from the list"),
        (auditor.id, {"role": "auditor", "agency": str(health.id)}, "nothing to change"),
    ]
    for user_id, data, message in cases:
        for confirmed in ("", "yes"):
            response = _post_change(client, user_id, **data, confirmed=confirmed)
            assert response.status_code == 400, data
            assert message in _text(response), data
    assert (_user(app, auditor.id).role, _user(app, auditor.id).agency_id) == ("auditor",
                                                                              health.id)
    assert (_user(app, manager.id).role, _user(app, manager.id).agency_id) == ("qi_manager",
                                                                              None)
    token = csrf_token(client, f"/users/{auditor.id}/change")
    for path in ("/users/999999/change", "/users/999999/deactivate",
                 "/users/999999/reactivate"):
        assert client.post(path, data={"csrf_token": token, "role": "admin",
                                       "confirmed": "yes"}).status_code == 404
    assert client.post(f"/users/{auditor.id}/change", data={
        "role": "admin", "confirmed": "yes"}).status_code == 400  # no CSRF token
    assert _user(app, auditor.id).role == "auditor"
    with app.app_context():
        from qa_app.audit_log import AuditLogEntry

        assert not db.session.scalar(select(func.count()).select_from(AuditLogEntry).where(
            AuditLogEntry.action == "user.change_role"))


def test_only_administrators_reach_the_users_pages(app, client):
    health = make.on(app).agency("Community Paediatrics", "health")
    target = make.on(app).person("auditor", health.id)
    paths = ["/users", f"/users/{target.id}", f"/users/{target.id}/change",
             f"/users/{target.id}/deactivate", f"/users/{target.id}/reactivate",
             "/users/invite", f"/users/{target.id}/invited"]
    assert client.get("/users").status_code == 302  # signed out: to the sign-in page
    for role, agency in (("qi_manager", None), ("panel_chair", None),
                         ("auditor", health.name), ("agency_lead", health.name)):
        other = signed_in(app, make.on(app).user(role, agency).email)
        for path in paths:
            assert other.get(path).status_code == 404, (role, path)
        token = csrf_token(other, "/")
        assert other.post(f"/users/{target.id}/deactivate",
                          data={"csrf_token": token}).status_code == 404
        assert other.post(f"/users/{target.id}/change", data={
            "csrf_token": token, "role": "admin", "confirmed": "yes"}).status_code == 404
        nav = _text(other.get("/")) + _text(other.get("/sections/administration"))
        assert 'href="/users"' not in nav
    admin = signed_in(app, make.on(app).user("admin").email)
    assert 'href="/users"' in _text(admin.get("/sections/administration"))
    assert _user(app, target.id).active
