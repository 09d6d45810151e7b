"""Agencies run by an administrator: add, rename, change type, deactivate and reactivate,
each through a check page and into the audit log; duplicate names refused in any capitals;
forged posts and other roles change nothing; the manager is told of agencies with letters
and nobody to answer them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.letters.models import Letter, LetterResponse
from qa_app.register.models import Agency
from tests import factories as make
from tests.factories import csrf_token, log_entries, sign_in


@pytest.fixture()
def admin(app: Flask, client: FlaskClient) -> str:
    email = make.on(app).user("admin").email
    sign_in(client, email)
    return email


def agencies(app: Flask) -> dict[str, tuple[str, bool]]:
    with app.app_context():
        return {a.name: (a.type, a.active) for a in db.session.execute(select(Agency)).scalars()}


def agency_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.execute(select(Agency.id).where(Agency.name == name)).scalar_one()


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def post(client: FlaskClient, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_adding_an_agency_shows_a_check_page_then_adds_and_logs_it(app, client, admin):
    form = post(client, "/admin/agencies/new", name="  Speech and  Language Therapy ",
                type="health")
    assert form.status_code == 200
    assert "Add this agency?" in text(form)
    assert "Speech and Language Therapy Type Health" in text(form)
    assert agencies(app) == {}, "nothing is stored before the check page is confirmed"

    done = post(client, "/admin/agencies/new", name="Speech and Language Therapy",
                type="health", confirmed="yes")
    assert done.status_code == 302
    assert agencies(app) == {"Speech and Language Therapy": ("health", True)}
    [entry] = log_entries(app, "agency.create")
    assert entry.changes == {"name": "Speech and Language Therapy", "type": "health"}
    page = client.get(done.headers["Location"])
    assert "Speech and Language Therapy added." in text(page)
    assert "has no active agency lead" in text(page)


@pytest.mark.parametrize("name", ["send casework team", "SEND CASEWORK TEAM",
                                  " SEND  Casework Team"])
def test_a_name_already_used_in_any_capitals_is_refused(app, client, admin, name):
    make.on(app).agency("SEND Casework Team", "local_authority")
    for confirmed in ("", "yes"):
        refused = post(client, "/admin/agencies/new", name=name, type="education",
                       confirmed=confirmed)
        assert refused.status_code == 400
        assert "There is already an agency called SEND Casework Team" in text(refused)
        assert "There is a problem" in text(refused)
    assert agencies(app) == {"SEND Casework Team": ("local_authority", True)}
    assert log_entries(app, "agency.create") == []


def test_renaming_to_another_agencys_name_in_other_capitals_or_spacing_is_refused(
        app, client, admin):
    make.on(app).agency("École du Parc", "setting")
    health = make.on(app).agency("Community Paediatrics", "health")
    path = f"/admin/agencies/{health.id}/name"
    for name in ("  ÉCOLE  du parc ", "école du parc"):
        for confirmed in ("", "yes"):
            refused = post(client, path, name=name, confirmed=confirmed)
            assert refused.status_code == 400
            assert "There is already an agency called École du Parc" in text(refused)
    assert "Community Paediatrics" in agencies(app)
    assert log_entries(app, "agency.rename") == []


def test_renaming_needs_the_check_page_and_keeps_the_old_name_in_the_log(app, client, admin):
    health = make.on(app).agency("Community Paediatrics", "health")
    make.on(app).agency("Educational Psychology Service", "education")
    path = f"/admin/agencies/{health.id}/name"
    check = post(client, path, name="Community Paediatrics (NHS trust)")
    assert "Name now Community Paediatrics New name Community Paediatrics (NHS trust)" in text(
        check)
    assert "Community Paediatrics" in agencies(app)

    taken = post(client, path, name="educational psychology service", confirmed="yes")
    assert taken.status_code == 400
    assert "There is already an agency called Educational Psychology Service" in text(taken)

    assert post(client, path, name="Community Paediatrics (NHS trust)",
                confirmed="yes").status_code == 302
    assert agencies(app)["Community Paediatrics (NHS trust)"] == ("health", True)
    [entry] = log_entries(app, "agency.rename")
    assert entry.changes == {"name": ["Community Paediatrics",
                                      "Community Paediatrics (NHS trust)"]}
    # changing only the capitals of its own name is allowed
    assert post(client, path, name="COMMUNITY PAEDIATRICS (NHS TRUST)",
                confirmed="yes").status_code == 302
    assert "COMMUNITY PAEDIATRICS (NHS TRUST)" in agencies(app)


def test_changing_the_type_needs_the_check_page_and_is_logged(app, client, admin):
    school = make.on(app).agency("Oak Primary", "education")
    path = f"/admin/agencies/{school.id}/type"
    check = post(client, path, type="setting")
    assert "Type now Education New type School or other setting" in text(check)
    assert agencies(app)["Oak Primary"] == ("education", True)
    bad = post(client, path, type="council", confirmed="yes")
    assert bad.status_code == 400 and "Choose the type of agency" in text(bad)
    assert post(client, path, type="setting", confirmed="yes").status_code == 302
    assert agencies(app)["Oak Primary"] == ("setting", True)
    [entry] = log_entries(app, "agency.change_type")
    assert entry.changes == {"type": ["Education", "School or other setting"]}


def test_deactivating_and_reactivating_go_through_their_check_pages(app, client, admin):
    gone = make.on(app).agency("Closed Service", "health")
    make.on(app).user("auditor", "Closed Service")
    check = client.get(f"/admin/agencies/{gone.id}/deactivate")
    assert "1 active account belongs to this agency and can still sign in" in text(check)
    assert "Its plans, advice, audits, figures and letters are all kept" in text(check)

    unconfirmed = post(client, f"/admin/agencies/{gone.id}/deactivate")
    assert unconfirmed.status_code == 400
    assert agencies(app)["Closed Service"] == ("health", True)

    assert post(client, f"/admin/agencies/{gone.id}/deactivate",
                confirmed="yes").status_code == 302
    assert agencies(app)["Closed Service"] == ("health", False)
    listing = text(client.get("/admin/agencies/"))
    assert "Closed Service Health Inactive" in listing
    assert "no agency lead" not in listing, "an inactive agency needs no lead"

    assert post(client, f"/admin/agencies/{gone.id}/reactivate",
                confirmed="yes").status_code == 302
    assert agencies(app)["Closed Service"] == ("health", True)
    assert [e.changes for e in log_entries(app, "agency.deactivate")] == [
        {"active": [True, False]}]
    assert [e.changes for e in log_entries(app, "agency.reactivate")] == [
        {"active": [False, True]}]


def _issued_letter(agency_id: int, *, due: date, sent: bool = False) -> Letter:
    cycle = make.cycle(f"Cycle {agency_id}-{due}", status="closed")
    letter = Letter(agency_id=agency_id, cycle_id=cycle.id, version=1, status="issued",
                    reference=f"QA-{agency_id}-{cycle.id}", pdf=b"%PDF-1.4", sha256="0" * 64,
                    letter_date=due - timedelta(days=28), issued_at=datetime(2026, 1, 1))
    db.session.add(letter)
    db.session.flush()
    db.session.add(LetterResponse(letter_id=letter.id, due_date=due,
                                  submitted_at=datetime(2026, 1, 2) if sent else None))
    db.session.flush()
    return letter


def test_deactivation_is_refused_while_a_letter_waits_or_an_open_cycle_samples_it(
        app, client, admin):
    with app.app_context():
        waiting = make.agency("Waiting Service", "health")
        _issued_letter(waiting.id, due=date(2026, 1, 30))
        sampled = make.agency("Sampled Service", "local_authority")
        plan = make.plan(sampled.id)
        make.sampled_cycle([plan.id], [], name="Spring term 2026")
        db.session.commit()
        ids = {"Waiting Service": waiting.id, "Sampled Service": sampled.id}
    reasons = {
        "Waiting Service": "1 letter to Waiting Service is waiting for the agency's response",
        "Sampled Service": "Spring term 2026 is open and its sample holds plans or advice from "
                           "Sampled Service. Close the cycle first.",
    }
    for name, reason in reasons.items():
        path = f"/admin/agencies/{ids[name]}/deactivate"
        assert reason in text(client.get(f"/admin/agencies/{ids[name]}"))
        assert reason in text(client.get(path))
        forced = post(client, path, confirmed="yes")
        assert forced.status_code == 400 and reason in text(forced)
        assert agencies(app)[name][1] is True
    assert log_entries(app, "agency.deactivate") == []


def test_an_agencys_page_lists_its_leads_and_other_people(app, client, admin):
    health = make.on(app).agency("Community Paediatrics", "health")
    lead = make.on(app).user("agency_lead", "Community Paediatrics")
    auditor = make.on(app).user("auditor", "Community Paediatrics")
    make.on(app).user("agency_lead", make.on(app).agency("Another Service").name)
    page = client.get(f"/admin/agencies/{health.id}").get_data(as_text=True)
    leads, others = page.split("Other people", 1)
    assert lead.email in leads and auditor.email not in leads
    assert auditor.email in others and "Auditor" in others
    assert "no active agency lead" not in page
    listing = text(client.get("/admin/agencies/"))
    assert "Community Paediatrics Health Active 1" in listing


def test_forged_and_unknown_posts_change_nothing(app, client, admin):
    agency = make.on(app).agency("Community Paediatrics", "health")
    token = csrf_token(client, "/admin/agencies/new")
    without_token = client.post(f"/admin/agencies/{agency.id}/name",
                                data={"name": "Hijacked", "confirmed": "yes"})
    assert without_token.status_code == 400
    assert client.post("/admin/agencies/999999/name", data={
        "csrf_token": token, "name": "Hijacked", "confirmed": "yes"}).status_code == 404
    blank = post(client, f"/admin/agencies/{agency.id}/name", name=" ", confirmed="yes")
    assert blank.status_code == 400 and "Enter the agency's name" in text(blank)
    long = post(client, "/admin/agencies/new", name="x" * 201, type="health", confirmed="yes")
    assert long.status_code == 400
    assert agencies(app) == {"Community Paediatrics": ("health", True)}
    assert [e.action for e in log_entries(app) if e.action.startswith("agency.")] == []


@pytest.mark.parametrize("role", ["qi_manager", "panel_chair", "auditor", "agency_lead"])
def test_only_an_administrator_may_change_agencies(app, client, role):
    """The QI manager reads the agencies (leads, plans owned) but changes nothing; the other
    roles do not see the pages at all."""
    agency = make.on(app).agency("Community Paediatrics", "health")
    email = make.on(app).user(role, agency.name if role in ("auditor", "agency_lead") else None
                              ).email
    sign_in(client, email)
    readable = role == "qi_manager"
    for path in ("/admin/agencies/", f"/admin/agencies/{agency.id}"):
        page = client.get(path)
        assert page.status_code == (200 if readable else 404)
        if readable:
            assert b"Deactivate agency" not in page.data
            assert b"Add an agency" not in page.data
    for path in ("/admin/agencies/new", f"/admin/agencies/{agency.id}/deactivate",
                 f"/admin/agencies/{agency.id}/name"):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"name": "Renamed", "confirmed": "yes"}).status_code in (
            400, 404)
    assert client.get("/agencies").status_code == (301 if readable else 404)
    assert agencies(app) == {"Community Paediatrics": ("health", True)}


def test_the_manager_home_lists_agencies_with_letters_and_no_lead(app, client):
    with app.app_context():
        led = make.agency("Led Service", "health")
        make.user("agency_lead", led.name)
        orphan = make.agency("Orphan Service", "education")
        gone_lead = make.person("agency_lead", orphan.id)
        gone_lead.active = False
        quiet = make.agency("Quiet Service", "social_care")  # no letters: not listed
        for agency in (led, orphan):
            _issued_letter(agency.id, due=date(2026, 1, 30))
        _issued_letter(orphan.id, due=date(2025, 12, 1), sent=True)
        manager = make.user("qi_manager").email
        db.session.commit()
        del quiet
    sign_in(client, manager)
    page = client.get("/").get_data(as_text=True)
    block = page.split('data-testid="agencies-without-lead"', 1)[1].split("</dl>", 1)[0]
    assert "Orphan Service" in block
    assert "2 issued letters, 1 waiting for a response" in unescape(block)
    assert "Led Service" not in block and "Quiet Service" not in block
