"""Auditor calibration: a round graded blind, the reference agreed through a check page, each
auditor's comparison (their own only), leniency against hand-worked numbers, forged posts
refused with nothing changed, and every step in the audit log."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qa_app.calibration.models import CalibrationGrade, CalibrationReference, CalibrationRound
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import World, csrf_token, judged_ids, log_entries, signed_in

CRITERIA = judged_ids("ehcp-plan.yaml", nc_year=9)
TAKING_PART = ("ep1", "health1", "social1")


@pytest.fixture()
def world(app: Flask) -> World:
    return make.on(app).panel_world(plans=1)


def start_round(app: Flask, world: World, manager: FlaskClient,
                auditors: tuple[str, ...] = TAKING_PART, chair: str | None = None) -> int:
    with app.app_context():
        version = db.session.scalar(select(RubricVersion.id).where(
            RubricVersion.rubric_id == "ehcp-plan"))
    token = csrf_token(manager, "/calibration/new")
    response = manager.post("/calibration/new", data={
        "csrf_token": token, "name": "Spring calibration", "subject_ref": "EHCP-W-000",
        "rubric_version_id": str(version),
        "chair_id": str(world.users[chair]) if chair else "none",
        "auditor_ids": [str(world.users[a]) for a in auditors]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def grade(client: FlaskClient, round_id: int, grades: dict[str, int], note: str = "seen",
          submit: bool = True) -> None:
    path = f"/calibration/{round_id}/grade"
    data = {"csrf_token": csrf_token(client, path), "action": "check"}
    for criterion, value in grades.items():
        data[f"grade_{criterion}"] = str(value)
        data[f"evidence_{criterion}"] = note
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    if submit:
        check = f"/calibration/{round_id}/grade/check"
        response = client.post(check, data={"csrf_token": csrf_token(client, check),
                                            "confirmed": "yes"})
        assert response.status_code == 302


def agree(client: FlaskClient, round_id: int, grades: dict[str, int], close: bool = True
          ) -> None:
    path = f"/calibration/{round_id}/reference"
    data = {"csrf_token": csrf_token(client, path)}
    data.update({f"grade_{c}": str(g) for c, g in grades.items()})
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    if close:
        check = f"/calibration/{round_id}/reference/check"
        response = client.post(check, data={"csrf_token": csrf_token(client, check),
                                            "confirmed": "yes"})
        assert response.status_code == 302


def every(value: int) -> dict[str, int]:
    return {c: value for c in CRITERIA}


def stored(app: Flask, model: type) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(model).order_by(model.id)).all()
        return [tuple(v for k, v in vars(r).items() if not k.startswith("_")) for r in rows]


def test_a_round_from_start_to_close_with_each_step_in_the_audit_log(
        app: Flask, world: World) -> None:
    manager = signed_in(app, world.emails["manager"])
    round_id = start_round(app, world, manager)
    ep1 = signed_in(app, world.emails["ep1"])
    home = ep1.get("/").get_data(as_text=True)
    assert "Calibration to score" in home and "Spring calibration" in home
    grade(ep1, round_id, every(3))
    assert "Spring calibration" not in ep1.get("/").get_data(as_text=True)
    page = manager.get(f"/calibration/{round_id}/reference/check").get_data(as_text=True)
    assert "2 auditors have not submitted" in page or "not submitted" in page
    agree(manager, round_id, every(3))
    with app.app_context():
        assert db.session.get(CalibrationRound, round_id).status == "closed"
    actions = [e.action for e in log_entries(app) if e.record_type == "calibration_round"]
    assert actions == ["calibration.create", "calibration.save_draft", "calibration.submit",
                       "calibration.reference_draft", "calibration.close"]
    log = manager.get("/audit-log/").get_data(as_text=True)
    for words in ("Calibration round started", "Calibration grades submitted",
                  "Agreed calibration grades recorded", "Calibration round checked and closed"):
        assert words in log


def test_auditors_from_the_writing_agency_are_refused(app: Flask, world: World) -> None:
    manager = signed_in(app, world.emails["manager"])
    token = csrf_token(manager, "/calibration/new")
    page = manager.get("/calibration/new").get_data(as_text=True)
    assert page.count('name="auditor_ids"') == 6 and page.count("checked") >= 6
    with app.app_context():
        version = db.session.scalar(select(RubricVersion.id).where(
            RubricVersion.rubric_id == "ehcp-plan"))
    response = manager.post("/calibration/new", data={
        "csrf_token": token, "name": "x", "subject_ref": "EHCP-W-000",
        "rubric_version_id": str(version), "chair_id": "none",
        "auditor_ids": [str(world.users["ep1"]), str(world.users["casework1"])]})
    assert response.status_code == 400
    assert "Leave out auditors from the agency that wrote this plan" in response.get_data(
        as_text=True)
    assert stored(app, CalibrationRound) == []


def test_grading_is_blind_until_the_round_closes(app: Flask, world: World) -> None:
    manager = signed_in(app, world.emails["manager"])
    round_id = start_round(app, world, manager, chair="chair")
    ep1, health1 = signed_in(app, world.emails["ep1"]), signed_in(app, world.emails["health1"])
    grade(ep1, round_id, every(4), note="EP-ONE-PRIVATE-NOTE")
    grade(health1, round_id, every(2), note="HEALTH-ONE-NOTE", submit=False)
    chair = signed_in(app, world.emails["chair"])
    agree(chair, round_id, every(3), close=False)
    for path in (f"/calibration/{round_id}/grade", f"/calibration/{round_id}/mine",
                 "/calibration/", "/"):
        text = health1.get(path).get_data(as_text=True)
        assert "EP-ONE-PRIVATE-NOTE" not in text
        assert "Outstanding (4)" not in text  # ep1's grade is nowhere on the page
        assert "ep1" not in text
    mine = health1.get(f"/calibration/{round_id}/mine").get_data(as_text=True)
    assert "agreed grade" in mine and 'data-testid="comparison"' not in mine
    # Pages for staff and the chair, and another auditor's comparison, are 404 to auditors.
    for path in (f"/calibration/{round_id}", f"/calibration/{round_id}/reference",
                 f"/calibration/{round_id}/auditors/{world.users['ep1']}",
                 "/calibration/consistency"):
        assert health1.get(path).status_code == 404
    # An auditor not taking part cannot open the round at all.
    ep2 = signed_in(app, world.emails["ep2"])
    assert ep2.get(f"/calibration/{round_id}/grade").status_code == 404
    assert ep2.get(f"/calibration/{round_id}/mine").status_code == 404
    # The chair sees how many gave each grade, never who.
    chair_page = chair.get(f"/calibration/{round_id}").get_data(as_text=True)
    assert "ep1" not in chair_page and "health1" not in chair_page
    assert 'data-testid="participants"' not in chair_page
    other_chair = signed_in(app, world.emails["other_chair"])
    assert other_chair.get(f"/calibration/{round_id}").status_code == 404
    lead = make.on(app).person("agency_lead", world.agencies["Community Paediatrics"])
    assert signed_in(app, lead.email).get("/calibration/").status_code == 404

    check = f"/calibration/{round_id}/reference/check"
    chair.post(check, data={"csrf_token": csrf_token(chair, check), "confirmed": "yes"})
    # Closed: each sees only their own comparison; another's stays 404.
    ep1_page = ep1.get(f"/calibration/{round_id}/mine").get_data(as_text=True)
    assert 'data-testid="comparison"' in ep1_page and "HEALTH-ONE-NOTE" not in ep1_page
    assert "health1" not in ep1_page
    assert ep1.get(f"/calibration/{round_id}/auditors/{world.users['health1']}"
                   ).status_code == 404
    staff_page = manager.get(f"/calibration/{round_id}").get_data(as_text=True)
    assert "ep1" in staff_page and "health1" in staff_page


def test_forged_posts_are_refused_and_change_nothing(app: Flask, world: World) -> None:
    manager = signed_in(app, world.emails["manager"])
    round_id = start_round(app, world, manager)
    ep1, health1 = signed_in(app, world.emails["ep1"]), signed_in(app, world.emails["health1"])
    grade(health1, round_id, every(3), submit=False)
    before = stored(app, CalibrationGrade)
    path = f"/calibration/{round_id}/grade"
    forged = {"csrf_token": csrf_token(ep1, path), "action": "check",
              **{f"grade_{c}": "3" for c in CRITERIA}, f"grade_{CRITERIA[0]}": "9"}
    response = ep1.post(path, data=forged)
    assert response.status_code == 400
    assert "from the list" in response.get_data(as_text=True)
    assert stored(app, CalibrationGrade) == before
    # A reference grade off the scale is refused too.
    ref = f"/calibration/{round_id}/reference"
    response = manager.post(ref, data={"csrf_token": csrf_token(manager, ref),
                                       **{f"grade_{c}": "0" for c in CRITERIA}})
    assert response.status_code == 400 and stored(app, CalibrationReference) == []
    # Closing without the check page's confirmation is refused.
    agree(manager, round_id, every(3), close=False)
    check = f"/calibration/{round_id}/reference/check"
    response = manager.post(check, data={"csrf_token": csrf_token(manager, check)})
    assert response.status_code == 400
    grade(ep1, round_id, every(2))
    agree(manager, round_id, every(3))
    after_close = stored(app, CalibrationGrade), stored(app, CalibrationReference)
    # After close: grading, submitting and changing the reference all change nothing.
    response = health1.post(path, data={"csrf_token": csrf_token(health1, "/"),
                                        "action": "check", **{f"grade_{c}": "4" for c in CRITERIA}})
    assert response.status_code in (302, 400)
    sub = f"/calibration/{round_id}/grade/check"
    response = health1.post(sub, data={"csrf_token": csrf_token(health1, "/"),
                                       "confirmed": "yes"})
    assert response.status_code == 400
    assert "closed" in response.get_data(as_text=True)
    response = manager.post(ref, data={"csrf_token": csrf_token(manager, "/"),
                                       **{f"grade_{c}": "1" for c in CRITERIA}})
    assert response.status_code == 302
    assert (stored(app, CalibrationGrade), stored(app, CalibrationReference)) == after_close
    with app.app_context():
        from qa_app.calibration.models import CalibrationParticipant
        submitted = db.session.scalars(select(CalibrationParticipant.submitted_at).where(
            CalibrationParticipant.auditor_id == world.users["health1"])).all()
    assert submitted == [None]


def test_leniency_against_a_hand_worked_example(app: Flask, world: World) -> None:
    """Five criteria (the first five judged). Agreed: 3, 3, 2, 4, 3.
    ep1 gave     4, 3, 3, 4, 3  -> differences +1, 0, +1, 0, 0  -> leniency +2/5 = +0.40
    health1 gave 2, 3, 1, 3, 3  -> differences -1, 0, -1, -1, 0 -> leniency -3/5 = -0.60
    Every other criterion is graded the same as agreed (difference 0), so over all n judged
    criteria: ep1 = 2/n, health1 = -3/n. A second round where ep1 is 1 step generous on every
    criterion gives ep1 +1.00 there, and 2/n + n/n over both rounds pooled: (2 + n) / (2n)."""
    n = len(CRITERIA)
    assert n >= 5
    agreed = dict(every(3), **dict(zip(CRITERIA[:5], (3, 3, 2, 4, 3), strict=True)))
    ep1 = dict(agreed, **dict(zip(CRITERIA[:5], (4, 3, 3, 4, 3), strict=True)))
    health1 = dict(agreed, **dict(zip(CRITERIA[:5], (2, 3, 1, 3, 3), strict=True)))
    manager = signed_in(app, world.emails["manager"])
    first = start_round(app, world, manager, auditors=("ep1", "health1"))
    grade(signed_in(app, world.emails["ep1"]), first, ep1)
    grade(signed_in(app, world.emails["health1"]), first, health1)
    agree(manager, first, agreed)
    second = start_round(app, world, manager, auditors=("ep1", "health1"))
    grade(signed_in(app, world.emails["ep1"]), second, every(4))
    grade(signed_in(app, world.emails["health1"]), second, every(3))
    agree(manager, second, every(3))

    with app.test_request_context():
        from qa_app.calibration import queries
        closed, people = queries.drift()
    assert [r.id for r in closed] == [first, second]
    by_name = {p.name: p for p in people}
    assert by_name["ep1"].by_round == pytest.approx([2 / n, 1.0])
    assert by_name["health1"].by_round == pytest.approx([-3 / n, 0.0])
    assert by_name["ep1"].overall == pytest.approx((2 + n) / (2 * n))

    page = manager.get(f"/calibration/{first}").get_data(as_text=True)
    assert f"+{2 / n:.2f}" in page and f"&minus;{3 / n:.2f}" in page
    mine = signed_in(app, world.emails["health1"]).get(f"/calibration/{first}/mine")
    text = mine.get_data(as_text=True)
    assert f"&minus;{3 / n:.2f}" in text and "1 step more severe" in text
    assert f"{n - 3} of {n} criteria graded the same" in text
    drift = manager.get("/calibration/consistency").get_data(as_text=True)
    assert "more generously than the panel agreed" in drift
    assert re.search(r"<th scope=\"row\" class=\"govuk-table__header\">ep1</th>", drift)
    assert "<polyline" in drift


def test_leniency_counts_steps_on_the_scale() -> None:
    from qa_app.calibration.leniency import leniency, steps

    assert steps((1, 2, 3, 5), 5, 3) == 1  # 5 is one step above 3 on a 1,2,3,5 scale
    assert steps((1, 2, 3, 4), 1, 4) == -3
    assert leniency([1, 0, 1, 0, 0]) == pytest.approx(0.4)
    assert leniency([-1, 0, -1, -1, 0]) == pytest.approx(-0.6)
    assert leniency([]) is None
