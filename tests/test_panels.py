"""Panels and assignment: two auditors per subject, never the writer's agency, load balanced."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from tests import factories as make
from tests.factories import audits_of, csrf_token, log_entries, sign_in

# --- assignment rules -----------------------------------------------------------------------


def _agency_of(app: Flask, user_id: int) -> int:
    from qa_app.auth.models import User

    with app.app_context():
        return db.session.get(User, user_id).agency_id


def test_every_subject_gets_two_auditors_from_other_agencies(app):
    world = make.on(app).panel_world(plans=3)
    make.on(app).panel(world)
    audits = audits_of(app)
    by_subject: dict[tuple, list[dict]] = {}
    for audit in audits:
        by_subject.setdefault((audit["plan_id"], audit["advice_id"]), []).append(audit)
    assert len(by_subject) == 3 + 6
    with app.app_context():
        writers = {("plan", p.id): p.agency_id for p in db.session.scalars(select(Plan))}
        writers.update({("advice", a.id): a.agency_id for a in db.session.scalars(select(Advice))})
        advice_types = {a.id: a.advice_type for a in db.session.scalars(select(Advice))}
    for (plan_id, advice_id), pair in by_subject.items():
        assert len(pair) == 2
        assert len({a["auditor_id"] for a in pair}) == 2
        writer = writers[("plan", plan_id) if plan_id else ("advice", advice_id)]
        assert all(_agency_of(app, a["auditor_id"]) != writer for a in pair)
        assert all(a["status"] == "assigned" for a in pair)
        expected = "ehcp-plan" if plan_id else {
            "health": "advice-health", "educational_psychology": "advice-educational-psychology",
        }[advice_types[advice_id]]
        assert {a["rubric"] for a in pair} == {expected}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Audit).where(
            Audit.panel_id.is_(None))) == 0
        assert {a.cycle_id for a in db.session.scalars(select(Audit))} == {world.cycle_id}


def test_assignment_balances_load_and_is_deterministic(app):
    members = ["ep1", "ep2", "health1", "health2", "social1"]
    world = make.on(app).panel_world(plans=10, advice=False)
    panel_id = make.on(app).panel(world, members=members).id
    first = {(a["plan_id"], a["auditor_id"]) for a in audits_of(app)}
    loads = Counter(a["auditor_id"] for a in audits_of(app))
    assert sum(loads.values()) == 20
    assert max(loads.values()) - min(loads.values()) <= 1
    assert set(loads) == {world.users[m] for m in members}

    from qa_app.audits.panels.assignment import assign_panel

    with app.app_context():
        db.session.execute(delete(Audit))
        assign_panel(db.session.get(Panel, panel_id))
        db.session.commit()
    assert {(a["plan_id"], a["auditor_id"]) for a in audits_of(app)} == first


def test_the_pair_on_a_subject_comes_from_different_agencies_when_possible(app):
    world = make.on(app).panel_world(plans=4, advice=False)
    make.on(app).panel(world, members=["ep1", "ep2", "health1", "health2"])
    pairs: dict[int, set[int]] = {}
    for audit in audits_of(app):
        pairs.setdefault(audit["plan_id"], set()).add(_agency_of(app, audit["auditor_id"]))
    assert all(len(agencies) == 2 for agencies in pairs.values())


def test_running_assignment_again_adds_nothing(app):
    from qa_app.audits.panels.assignment import assign_panel

    world = make.on(app).panel_world(plans=2)
    panel_id = make.on(app).panel(world).id
    before = audits_of(app)
    with app.app_context():
        result = assign_panel(db.session.get(Panel, panel_id))
        db.session.commit()
        assert result.created == [] and result.already_assigned == 6
    assert audits_of(app) == before


def test_assignment_is_refused_whole_when_a_subject_lacks_eligible_auditors(app):
    from qa_app.audits.errors import PanelError
    from qa_app.audits.panels.assignment import assign_panel

    world = make.on(app).panel_world(plans=2)
    panel_id = make.on(app).panel(world, members=["ep1", "health1"], assign=False).id
    with app.app_context():
        with pytest.raises(PanelError, match="Not enough auditors from other agencies"):
            assign_panel(db.session.get(Panel, panel_id))
        db.session.rollback()
    assert audits_of(app) == []


def test_assignment_needs_a_sample_and_an_open_cycle(app):
    from qa_app.audits.errors import PanelError
    from qa_app.audits.panels.assignment import assign_panel

    world = make.on(app).panel_world(plans=1, advice=False)
    panel_id = make.on(app).panel(world, assign=False).id
    with app.app_context():
        db.session.execute(delete(SampleItem))
        db.session.execute(delete(Sample))
        db.session.commit()
        with pytest.raises(PanelError, match="has no sample yet"):
            assign_panel(db.session.get(Panel, panel_id))
        db.session.rollback()
        db.session.get(Cycle, world.cycle_id).status = "closed"
        db.session.commit()
        with pytest.raises(PanelError, match="is closed"):
            assign_panel(db.session.get(Panel, panel_id))


def test_panel_creation_rules(app):
    from qa_app.audits.errors import PanelError
    from qa_app.audits.panels.operations import create_panel

    world = make.on(app).panel_world(plans=1, advice=False)
    u = world.users
    with app.app_context():
        cases = [
            (dict(chair_id=u["manager"], auditor_ids=[u["ep1"], u["health1"]]),
             "cannot be the chair"),
            (dict(chair_id=u["chair"], auditor_ids=[u["ep1"], u["chair"]]), "cannot be an auditor"),
            (dict(chair_id=u["chair"], auditor_ids=[u["ep1"]]), "at least two auditors"),
            (dict(chair_id=u["chair"], auditor_ids=[u["ep1"], u["ep2"]]), "at least two agencies"),
        ]
        for kwargs, message in cases:
            with pytest.raises(PanelError, match=message):
                create_panel(cycle_id=world.cycle_id, name="P", **kwargs)
        create_panel(cycle_id=world.cycle_id, name="P", chair_id=u["chair"],
                     auditor_ids=[u["ep1"], u["health1"]])
        with pytest.raises(PanelError, match="already has a panel called"):
            create_panel(cycle_id=world.cycle_id, name="p", chair_id=u["chair"],
                         auditor_ids=[u["ep1"], u["health1"]])


def test_reassignment_enforces_the_same_rules(app):
    from qa_app.audits.errors import PanelError
    from qa_app.audits.panels.assignment import reassign

    world = make.on(app).panel_world(plans=1, advice=False)
    make.on(app).panel(world, members=["ep1", "health1", "social1", "casework1"])
    audits = audits_of(app)
    assert {a["auditor_id"] for a in audits} <= {world.users[k] for k in ("ep1", "health1",
                                                                          "social1")}
    target = audits[0]
    other = audits[1]
    free = ({world.users[k] for k in ("ep1", "health1", "social1")}
            - {target["auditor_id"], other["auditor_id"]}).pop()
    with app.app_context():
        audit = db.session.get(Audit, target["id"])
        for bad in (world.users["casework1"], other["auditor_id"], world.users["ep2"]):
            with pytest.raises(PanelError, match="Choose an auditor on this panel"):
                reassign(audit, bad)
        reassign(audit, free, actor_id=world.users["manager"])
        db.session.commit()
    assert audits_of(app)[0]["auditor_id"] == free
    entry = log_entries(app, "audit.reassign")[-1]
    assert entry.changes["auditor_id"] == [target["auditor_id"], free]
    assert entry.user_id == world.users["manager"]


def test_assignment_and_panel_changes_are_logged(app):
    world = make.on(app).panel_world(plans=1)
    make.on(app).panel(world)
    assert len(log_entries(app, "panel.create")) == 1
    assigned = log_entries(app, "audit.assign")
    assert len(assigned) == 6
    assert {e.record_id for e in assigned} == {str(a["id"]) for a in audits_of(app)}
    assert log_entries(app, "panel.assign")[0].changes["created"] == 6


# --- the manager's pages and the command line -----------------------------------------------


def test_manager_creates_a_panel_assigns_and_reassigns_in_the_browser(app, client):
    world = make.on(app).panel_world(plans=2)
    sign_in(client, world.emails["manager"])
    page = client.get("/panels/")
    assert page.status_code == 200 and "No panels yet" in page.get_data(as_text=True)

    token = csrf_token(client, "/panels/new")
    empty = client.post("/panels/new", data={"csrf_token": token})
    body = empty.get_data(as_text=True)
    assert empty.status_code == 400
    assert "govuk-error-summary" in body and "Choose a cycle" in body
    assert "Choose at least two auditors" in body

    one_agency = client.post("/panels/new", data={
        "csrf_token": token, "cycle_id": world.cycle_id, "name": "Autumn panel",
        "chair_id": world.users["chair"], "auditor_ids": [world.users["ep1"], world.users["ep2"]],
    })
    assert one_agency.status_code == 400
    assert "at least two agencies" in one_agency.get_data(as_text=True)

    made = client.post("/panels/new", data={
        "csrf_token": token, "cycle_id": world.cycle_id, "name": "Autumn panel",
        "chair_id": world.users["chair"],
        "auditor_ids": [world.users[k] for k in ("ep1", "ep2", "health1", "social1")],
        "meeting_date": ["12", "12", "2025"],
    })
    assert made.status_code == 302
    panel_url = made.headers["Location"]
    with app.app_context():
        panel = db.session.scalar(select(Panel))
        assert panel.meeting_date == date(2025, 12, 12) and len(panel.members) == 4

    show = client.get(panel_url).get_data(as_text=True)
    assert "6 subjects; 6 still need two auditors" in show
    assigned = client.post(f"{panel_url}/assign", data={"csrf_token": token})
    assert assigned.status_code == 302
    show = client.get(panel_url).get_data(as_text=True)
    assert "12 audits assigned" in show
    assert "6 subjects; 0 still need two auditors" in show
    loads = Counter(a["auditor_id"] for a in audits_of(app))
    assert sum(loads.values()) == 12

    target = next(a for a in audits_of(app) if a["advice_id"])
    reassign_url = f"{panel_url}/audits/{target['id']}/reassign"
    form = client.get(reassign_url).get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', form)}
    assert target["auditor_id"] not in offered and offered
    forged = client.post(reassign_url, data={"csrf_token": token,
                                             "auditor_id": world.users["casework1"]})
    assert forged.status_code == 400
    assert audits_of(app, id=target["id"])[0]["auditor_id"] == target["auditor_id"]
    choice = sorted(offered)[0]
    moved = client.post(reassign_url, data={"csrf_token": token, "auditor_id": choice})
    assert moved.status_code == 302
    assert audits_of(app, id=target["id"])[0]["auditor_id"] == choice


def test_manager_adds_and_removes_members(app, client):
    world = make.on(app).panel_world(plans=1, advice=False)
    panel_id = make.on(app).panel(world, members=["ep1", "health1"], assign=False).id
    sign_in(client, world.emails["manager"])
    token = csrf_token(client, f"/panels/{panel_id}")
    added = client.post(f"/panels/{panel_id}/members",
                        data={"csrf_token": token, "user_id": world.users["social1"]})
    assert added.status_code == 302
    refused = client.post(f"/panels/{panel_id}/members",
                          data={"csrf_token": token, "user_id": world.users["chair"]})
    assert refused.status_code == 400
    client.post(f"/panels/{panel_id}/assign", data={"csrf_token": token})
    busy = audits_of(app)[0]["auditor_id"]
    blocked = client.post(f"/panels/{panel_id}/members/{busy}/remove",
                          data={"csrf_token": token})
    assert blocked.status_code == 400
    assert "reassign them first" in blocked.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(Panel, panel_id).members) == 3


@pytest.mark.parametrize("role", ["auditor", "panel_chair", "agency_lead"])
def test_panel_pages_are_for_managers_only(app, client, role):
    world = make.on(app).panel_world(plans=1, advice=False)
    panel_id = make.on(app).panel(world).id
    email = {"auditor": world.emails["ep1"], "panel_chair": world.emails["chair"]}.get(role)
    if email is None:
        email = make.on(app).user("agency_lead", "SEND Casework Team").email
    sign_in(client, email)
    for path in ("/panels/", "/panels/new", f"/panels/{panel_id}"):
        assert client.get(path).status_code == 404


def test_cli_creates_a_panel_and_assigns_the_sample(app, runner):
    world = make.on(app).panel_world(plans=2)
    args = ["panels", "create", "--cycle", "Autumn term 2025", "--name", "CLI panel",
            "--chair", world.emails["chair"], "--meeting-date", "2025-12-12"]
    for key in ("ep1", "health1", "social1"):
        args += ["--auditor", world.emails[key]]
    result = runner.invoke(args)
    assert result.exit_code == 0, result.output
    panel_id = int(re.search(r"Created panel (\d+)", result.output).group(1))
    result = runner.invoke(["panels", "assign", "--panel", str(panel_id)])
    assert result.exit_code == 0, result.output
    assert "Assigned 12 audits" in result.output
    assert "ep1@example.org" in result.output
    bad = runner.invoke(["panels", "create", "--cycle", "No such", "--name", "x", "--chair",
                         world.emails["chair"], "--auditor", world.emails["ep1"]])
    assert bad.exit_code != 0 and "No cycle called 'No such'" in bad.output
    missing = runner.invoke(["panels", "assign", "--panel", "999"])
    assert missing.exit_code != 0 and "No panel with id 999" in missing.output
