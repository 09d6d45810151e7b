"""Improvement actions to act on: the manager assigns an owner and a due date, the agency's
lead writes notes and asks to close, closing is confirmed only when a real recalculation
finds the figure recovered (or the manager records why it is closed anyway); bad posts
change nothing; another agency's action is not found."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.improvement import views as action_views
from qa_app.improvement.models import ImprovementNote
from qa_app.reporting.models import ImprovementAction
from qa_app.reporting.operations import run_aggregation
from tests import factories as make
from tests.factories import aggregation as build

AS_OF = date(2026, 6, 1)
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(action_views, "today", lambda: TODAY)


def aggregate(app: Flask) -> dict:
    with app.app_context():
        result = run_aggregation(as_of=AS_OF)
        db.session.commit()
        return result


@pytest.fixture()
def world(app: Flask) -> dict:
    """Two casework teams whose plans are 2 of 10 good or better in 2025/26 (red against the
    80% target), a manager, a lead for each team and a second lead for the first."""
    with app.app_context():
        rubric = build.rubric().id
        autumn = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        ids: dict = {"rubric": rubric, "cycle": autumn}
        for key, name in (("a", "North Casework"), ("b", "South Casework")):
            agency = build.agency(name, "local_authority").id
            ids[key] = agency
            ids[f"grades_{key}"] = [
                build.final_grade(rubric, grade, cycle_id=autumn,
                                  plan_id=build.plan(agency).id,
                                  criteria={"child_voice": 3}).id
                for grade in [3, 3] + [2] * 8]
            ids[f"lead_{key}"] = make.person("agency_lead", agency, f"lead-{key}@example.org",
                                             name=f"Lead of {name}").id
        ids["other_lead_a"] = make.person("agency_lead", ids["a"], "lead-a2@example.org").id
        ids["manager"] = make.person("qi_manager", None, "manager@example.org",
                                     name="Quality Manager").id
        db.session.commit()
    aggregate(app)
    with app.app_context():
        for key in ("a", "b"):
            ids[f"action_{key}"] = db.session.execute(
                select(ImprovementAction.id).where(ImprovementAction.agency_id == ids[key])
            ).scalar_one()
    return ids


def client_for(app: Flask, email: str) -> FlaskClient:
    return make.signed_in(app, email)


def post(client: FlaskClient, path: str, data: dict, form_page: str | None = None):
    token = make.csrf_token(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token})


def state(app: Flask, action_id: int) -> dict:
    with app.app_context():
        action = db.session.get(ImprovementAction, action_id)
        notes = db.session.execute(
            select(ImprovementNote.kind, ImprovementNote.text, ImprovementNote.author_id)
            .where(ImprovementNote.action_id == action_id).order_by(ImprovementNote.id)).all()
        return {"status": action.status, "owner_id": action.owner_id,
                "due_date": action.due_date, "closing_note": action.closing_note,
                "closed_by_id": action.closed_by_id,
                "close_request_note": action.close_request_note,
                "notes": [tuple(n) for n in notes]}


def events(app: Flask, action_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.execute(
            select(AuditLogEntry.action).where(AuditLogEntry.record_type == "improvement_action",
                                               AuditLogEntry.record_id == str(action_id))
            .order_by(AuditLogEntry.id)).scalars())


def regrade_all_good(app: Flask, grade_ids: list[int]) -> None:
    with app.app_context():
        for grade_id in grade_ids:
            grade = db.session.get(FinalGrade, grade_id)
            grade.grade, grade.good_or_better = 3, True
        db.session.commit()


def test_the_lifecycle_from_assignment_to_recovery(app: Flask, world: dict) -> None:
    action_id = world["action_a"]
    page = f"/improvement-actions/{action_id}"
    manager = client_for(app, "manager@example.org")
    response = post(manager, f"{page}/assign",
                    {"owner_id": str(world["lead_a"]), "due_date": ["30", "4", "2026"]}, page)
    assert response.status_code == 302
    assert state(app, action_id)["owner_id"] == world["lead_a"]
    assert state(app, action_id)["due_date"] == date(2026, 4, 30)

    lead = client_for(app, "lead-a@example.org")
    shown = lead.get(page).get_data(as_text=True)
    assert "Lead of North Casework" in shown and "30 April 2026" in shown
    assert "/rates?year=2025/26&amp;measure=plans_good_or_better" in shown
    response = post(lead, f"{page}/notes", {"text": "Casework officers retrained in March."})
    assert response.status_code == 302
    assert "Casework officers retrained in March." in lead.get(page).get_data(as_text=True)

    first = post(lead, f"{page}/close", {"note": "Every plan now checked before issue."})
    assert first.status_code == 200 and "Check before asking to close" in first.get_data(
        as_text=True)
    assert state(app, action_id)["status"] == "open"  # nothing changes before the check
    confirmed = post(lead, f"{page}/close", {"note": "Every plan now checked before issue.",
                                             "checked": "yes"}, f"{page}/close")
    assert confirmed.status_code == 302
    now = state(app, action_id)
    assert now["status"] == "closing"
    assert now["close_request_note"] == "Every plan now checked before issue."

    shown = lead.get(page).get_data(as_text=True)
    assert "It cannot be closed yet" in shown and "20.0% (2 of 10" in shown
    aggregate(app)  # still red: the request waits
    assert state(app, action_id)["status"] == "closing"

    regrade_all_good(app, world["grades_a"])
    result = aggregate(app)
    assert result["actions_closed"] == 1
    closed = state(app, action_id)
    assert closed["status"] == "closed" and closed["closed_by_id"] is None
    assert closed["closing_note"].startswith("Recovered in 2025/26: 100.0% (10 of 10")
    assert [kind for kind, _, _ in closed["notes"]] == ["note", "close_request", "closed"]
    assert events(app, action_id) == [
        "improvement_action.opened", "improvement_action.owner_assigned",
        "improvement_action.due_date_set", "improvement_action.note",
        "improvement_action.close_requested", "improvement_action.closed"]
    assert state(app, world["action_b"])["status"] == "open"  # the other team is still red


def test_the_manager_closes_with_a_reason_and_it_stays_closed(app: Flask, world: dict) -> None:
    action_id = world["action_b"]
    page = f"/improvement-actions/{action_id}"
    manager = client_for(app, "manager@example.org")
    missing = post(manager, f"{page}/close-anyway", {"reason": "  "})
    assert missing.status_code == 400
    assert "Enter why the action is closed" in missing.get_data(as_text=True)
    check = post(manager, f"{page}/close-anyway", {"reason": "Team merged into North."})
    assert "Check before closing the action" in check.get_data(as_text=True)
    assert state(app, action_id)["status"] == "open"
    done = post(manager, f"{page}/close-anyway",
                {"reason": "Team merged into North.", "checked": "yes"}, f"{page}/close-anyway")
    assert done.status_code == 302
    closed = state(app, action_id)
    assert closed["status"] == "closed" and closed["closed_by_id"] == world["manager"]
    assert closed["closing_note"] == "Team merged into North."
    assert events(app, action_id)[-1] == "improvement_action.closed_by_manager"
    aggregate(app)  # still red, but the manager's decision stands for this year
    with app.app_context():
        assert db.session.execute(select(ImprovementAction.status).where(
            ImprovementAction.agency_id == world["b"])).scalars().all() == ["closed"]
    shown = manager.get(page).get_data(as_text=True)
    assert "although the figure had not recovered" in shown


def test_a_lead_cannot_see_or_change_another_agencys_action(app: Flask, world: dict) -> None:
    other = f"/improvement-actions/{world['action_b']}"
    lead = client_for(app, "lead-a@example.org")
    assert lead.get(other).status_code == 404
    token = make.csrf_token(lead, f"/improvement-actions/{world['action_a']}")
    for path, data in ((f"{other}/notes", {"text": "x"}), (f"{other}/close", {"note": "x"}),
                       (f"{other}/assign", {"owner_id": str(world["lead_a"])}),
                       (f"{other}/close-anyway", {"reason": "x"})):
        assert lead.post(path, data={**data, "csrf_token": token}).status_code == 404
    listing = lead.get("/improvement-actions").get_data(as_text=True)
    assert "North Casework" in listing and "South Casework" not in listing
    assert state(app, world["action_b"])["notes"] == []


def test_a_lead_cannot_assign_and_an_auditor_cannot_write(app: Flask, world: dict) -> None:
    page = f"/improvement-actions/{world['action_a']}"
    lead = client_for(app, "lead-a@example.org")
    token = make.csrf_token(lead, page)
    assert lead.post(f"{page}/assign", data={"owner_id": str(world["lead_a"]),
                                             "csrf_token": token}).status_code == 404
    assert state(app, world["action_a"])["owner_id"] is None


@pytest.mark.parametrize("data, message", [
    ({"owner_id": "", "due_date": ["31", "2", "2026"]}, "Enter due date as a real date"),
    ({"owner_id": "", "due_date": ["1", "", "2026"]}, "Enter due date as a real date"),
    ({"owner_id": "999999", "due_date": ["", "", ""]}, "Not a valid choice"),
])
def test_bad_assignments_change_nothing(app: Flask, world: dict, data: dict,
                                        message: str) -> None:
    page = f"/improvement-actions/{world['action_a']}"
    manager = client_for(app, "manager@example.org")
    before = state(app, world["action_a"])
    response = post(manager, f"{page}/assign", data, page)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert state(app, world["action_a"]) == before
    assert events(app, world["action_a"]) == ["improvement_action.opened"]


def test_another_agencys_lead_cannot_be_the_owner(app: Flask, world: dict) -> None:
    page = f"/improvement-actions/{world['action_a']}"
    manager = client_for(app, "manager@example.org")
    token = make.csrf_token(manager, page)
    response = manager.post(f"{page}/assign", data={"owner_id": str(world["lead_b"]),
                                                    "csrf_token": token})
    assert response.status_code == 400
    assert state(app, world["action_a"])["owner_id"] is None


def test_empty_notes_and_forged_posts_change_nothing(app: Flask, world: dict) -> None:
    page = f"/improvement-actions/{world['action_a']}"
    lead = client_for(app, "lead-a2@example.org")  # any lead of the agency may write
    before = state(app, world["action_a"])
    empty = post(lead, f"{page}/notes", {"text": "   "}, page)
    assert empty.status_code == 400 and "Enter your note" in empty.get_data(as_text=True)
    no_note = post(lead, f"{page}/close", {"note": "", "checked": "yes"}, f"{page}/close")
    assert no_note.status_code == 400
    assert "Enter what changed" in no_note.get_data(as_text=True)
    forged = lead.post(f"{page}/close", data={"note": "Done", "checked": "yes"})  # no token
    assert forged.status_code in (400, 403)
    assert state(app, world["action_a"]) == before
    assert events(app, world["action_a"]) == ["improvement_action.opened"]


def test_the_list_filters_and_puts_overdue_first(app: Flask, world: dict) -> None:
    with app.app_context():
        db.session.get(ImprovementAction, world["action_b"]).due_date = date(2026, 3, 1)
        db.session.get(ImprovementAction, world["action_a"]).due_date = date(2026, 5, 1)
        db.session.commit()
    manager = client_for(app, "manager@example.org")
    listing = manager.get(f"/improvement-actions?agency={world['a']}").get_data(as_text=True)
    assert "North Casework" in listing and "South Casework</a>" not in listing
    overdue = manager.get("/improvement-actions?overdue=y&agency=" + str(world["b"]))
    assert "South Casework" in overdue.get_data(as_text=True)
    only_overdue = manager.get("/improvement-actions?overdue=y").get_data(as_text=True)
    assert "1 action matching the filters; 1 overdue" in only_overdue
    assert manager.get("/improvement-actions?status=nonsense").status_code == 404
    assert manager.get("/improvement-actions?agency=abc").status_code == 404
    with app.app_context():
        from qa_app.improvement.queries import action_lines
        lines = action_lines(TODAY)
        assert [line.agency_name for line in lines] == ["South Casework", "North Casework"]
        assert [line.overdue for line in lines] == [True, False]
