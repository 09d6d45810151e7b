"""Changing a panel's name, chair and date, and removing a panel whose audits have not begun."""

from __future__ import annotations

from flask import Flask

from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from tests import factories as make
from tests.factories import World, audits_of, csrf_token, log_entries, signed_in


def _panel(app: Flask, panel_id: int) -> Panel | None:
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        if panel is not None:
            db.session.expunge(panel)
        return panel


def test_the_manager_changes_the_chair_and_the_new_chair_moderates(app):
    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    manager = signed_in(app, world.emails["manager"])
    url = f"/panels/{panel_id}/change"
    page = manager.get(url).get_data(as_text=True)
    assert 'value="Autumn panel"' in page
    response = manager.post(url, data={
        "csrf_token": csrf_token(manager, url), "name": "Autumn panel A",
        "chair_id": str(world.users["other_chair"]), "meeting_date": ["4", "12", "2025"]})
    assert response.status_code == 302
    panel = _panel(app, panel_id)
    assert (panel.name, panel.chair_id, panel.meeting_date.isoformat()) == (
        "Autumn panel A", world.users["other_chair"], "2025-12-04")
    again = manager.get(url).get_data(as_text=True)
    assert 'value="Autumn panel A"' in again and 'value="2025"' in again
    [entry] = log_entries(app, "panel.change")
    assert entry.changes["chair_id"] == [world.users["chair"], world.users["other_chair"]]
    assert entry.changes["name"] == ["Autumn panel", "Autumn panel A"]
    new_chair = signed_in(app, world.emails["other_chair"])
    assert new_chair.get(f"/moderation/panels/{panel_id}").status_code == 200
    old_chair = signed_in(app, world.emails["chair"])
    token = csrf_token(old_chair, "/moderation/")
    refused = old_chair.post(f"/moderation/panels/{panel_id}/finalise-agreed",
                             data={"csrf_token": token})
    assert refused.status_code == 404


def test_a_bad_change_is_explained_and_changes_nothing(app):
    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    with app.app_context():
        from qa_app.audits.panels.operations import create_panel

        create_panel(cycle_id=world.cycle_id, name="Spare panel", chair_id=world.users["chair"],
                     auditor_ids=[world.users["ep1"], world.users["health1"]])
        db.session.commit()
    auditor = make.on(app).person("auditor", world.agencies["Community Paediatrics"])
    manager = signed_in(app, world.emails["manager"])
    url = f"/panels/{panel_id}/change"
    token = csrf_token(manager, url)
    clash = manager.post(url, data={"csrf_token": token, "name": "spare PANEL",
                                    "chair_id": str(world.users["chair"])})
    assert clash.status_code == 400
    assert "already has a panel called" in clash.get_data(as_text=True)
    not_a_chair = manager.post(url, data={"csrf_token": token, "name": "Autumn panel",
                                          "chair_id": str(auditor.id)})
    assert not_a_chair.status_code == 400
    assert manager.post(url, data={"name": "Forged", "chair_id": str(world.users["chair"])}
                        ).status_code == 400
    panel = _panel(app, panel_id)
    assert (panel.name, panel.chair_id) == ("Autumn panel", world.users["chair"])
    assert log_entries(app, "panel.change") == []


def _started(app: Flask, audit_id: int) -> None:
    with app.app_context():
        db.session.get(Audit, audit_id).status = "draft"
        db.session.commit()


def test_removing_a_panel_takes_its_unstarted_audits_with_it(app):
    world: World = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    assigned = audits_of(app, panel_id=panel_id)
    assert assigned
    manager = signed_in(app, world.emails["manager"])
    url = f"/panels/{panel_id}/remove"
    page = manager.get(url).get_data(as_text=True)
    assert f"its {len(assigned)} unstarted audits will be removed" in page
    response = manager.post(url, data={"csrf_token": csrf_token(manager, url)})
    assert response.status_code == 302
    assert _panel(app, panel_id) is None and audits_of(app) == []
    [entry] = log_entries(app, "panel.delete")
    assert entry.changes["unstarted_audits_removed"] == len(assigned)
    assert manager.get(f"/panels/{panel_id}").status_code == 404
    # the sample is free to go to another panel
    again = make.on(app).panel(world).id
    assert len(audits_of(app, panel_id=again)) == len(assigned)


def test_a_panel_with_a_started_audit_cannot_be_removed(app):
    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    first = audits_of(app, panel_id=panel_id)[0]
    _started(app, first["id"])
    manager = signed_in(app, world.emails["manager"])
    url = f"/panels/{panel_id}/remove"
    page = manager.get(url).get_data(as_text=True)
    assert "cannot be removed" in page and "Remove panel" not in page
    forced = manager.post(url, data={"csrf_token": csrf_token(manager, "/panels/")})
    assert forced.status_code == 400 and "have been started" in forced.get_data(as_text=True)
    assert _panel(app, panel_id) is not None
    assert len(audits_of(app, panel_id=panel_id)) > 1 and log_entries(app, "panel.delete") == []


def test_only_staff_change_or_remove_panels(app):
    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    for who in ("chair", "ep1"):
        client = signed_in(app, world.emails[who])
        assert client.get(f"/panels/{panel_id}/change").status_code == 404
        assert client.get(f"/panels/{panel_id}/remove").status_code == 404
    manager = signed_in(app, world.emails["manager"])
    assert manager.post(f"/panels/{panel_id}/remove", data={}).status_code == 400
    assert _panel(app, panel_id) is not None


def test_the_command_line_changes_the_chair_and_removes_the_panel(app, runner):
    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    result = runner.invoke(["panels", "change", "--panel", str(panel_id), "--chair",
                            world.emails["other_chair"], "--meeting-date", "2025-12-04"])
    assert result.exit_code == 0, result.output
    assert f"chair_id: {world.users['chair']} -> {world.users['other_chair']}" in result.output
    panel = _panel(app, panel_id)
    assert (panel.name, panel.chair_id) == ("Autumn panel", world.users["other_chair"])
    assert panel.meeting_date.isoformat() == "2025-12-04"
    bad = runner.invoke(["panels", "change", "--panel", str(panel_id), "--meeting-date", "soon"])
    assert bad.exit_code != 0 and "is not a date" in bad.output
    _started(app, audits_of(app, panel_id=panel_id)[0]["id"])
    refused = runner.invoke(["panels", "remove", "--panel", str(panel_id)])
    assert refused.exit_code != 0 and "have been started" in refused.output
    with app.app_context():
        for audit in db.session.query(Audit).filter_by(panel_id=panel_id):
            audit.status = "assigned"
        db.session.commit()
    removed = runner.invoke(["panels", "remove", "--panel", str(panel_id)])
    assert removed.exit_code == 0 and "Removed panel" in removed.output
    assert _panel(app, panel_id) is None


def test_an_audit_started_while_the_panel_is_removed_keeps_everything(app, monkeypatch):
    """The removal deletes only audits still unstarted when it deletes them: one started in
    the moment after the check stops the removal, and nothing is lost."""
    from qa_app.audits.errors import PanelError
    from qa_app.audits.panels import operations as panel_changes

    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    first = audits_of(app, panel_id=panel_id)[0]
    _started(app, first["id"])
    monkeypatch.setattr(panel_changes, "started_audits", lambda panel: 0)  # checked too early
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        try:
            panel_changes.delete_panel(panel)
        except PanelError as exc:
            assert "has just started" in str(exc)
            db.session.rollback()
        else:
            raise AssertionError("the panel was removed under a started audit")
    assert _panel(app, panel_id) is not None
    assert audits_of(app, id=first["id"])[0]["status"] == "draft"
    assert log_entries(app, "panel.delete") == []


def test_a_closed_cycles_panel_cannot_change(app):
    from qa_app.audits.cycles.models import Cycle

    world = make.on(app).panel_world()
    panel_id = make.on(app).panel(world).id
    with app.app_context():
        db.session.get(Cycle, world.cycle_id).status = "closed"
        db.session.commit()
    manager = signed_in(app, world.emails["manager"])
    page = manager.get(f"/panels/{panel_id}").get_data(as_text=True)
    assert "is closed, so this panel can no longer be changed" in page
    assert "Remove this panel" not in page
    url = f"/panels/{panel_id}/change"
    refused = manager.post(url, data={"csrf_token": csrf_token(manager, url), "name": "New",
                                      "chair_id": str(world.users["other_chair"])})
    assert refused.status_code == 400 and "is closed" in refused.get_data(as_text=True)
    url = f"/panels/{panel_id}/remove"
    assert "can no longer be removed" in manager.get(url).get_data(as_text=True)
    refused = manager.post(url, data={"csrf_token": csrf_token(manager, "/panels/")})
    assert refused.status_code == 400 and "is closed" in refused.get_data(as_text=True)
    panel = _panel(app, panel_id)
    assert (panel.name, panel.chair_id) == ("Autumn panel", world.users["chair"])
