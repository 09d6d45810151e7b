"""Grade challenges: an agency lead challenges a final grade of their agency's work within the
working-day window; the panel chair upholds it or changes it, and the figures follow."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.auth.models import User
from qa_app.challenges.models import GradeChallenge
from qa_app.challenges.operations import ChallengeError, last_day, raise_challenge
from qa_app.challenges.queries import cycle_challenge_counts
from qa_app.extensions import db
from qa_app.reporting.models import RateSnapshot
from qa_app.reporting.queries import current_run
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.factories import csrf_token, log_entries, signed_in
from tests.factories.challenges import CRITERIA, Scene, challenge_world


@pytest.fixture()
def scene(app: Flask) -> Scene:
    with app.app_context():
        made = challenge_world()
        db.session.commit()
    return made


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


def raise_by_web(client: FlaskClient, grade_id: int, reason: str = "The outcomes are specific"
                 ) -> object:
    path = f"/challenges/grades/{grade_id}/new"
    token = csrf_token(client, path)
    checked = client.post(path, data={"csrf_token": token, "reason": reason})
    assert checked.status_code == 200
    assert "Check your challenge" in checked.get_data(as_text=True)
    return client.post(f"/challenges/grades/{grade_id}",
                       data={"csrf_token": token, "reason": reason, "confirmed": "yes"})


def decide_by_web(client: FlaskClient, challenge_id: int, data: dict[str, str]) -> object:
    path = f"/challenges/{challenge_id}"
    token = csrf_token(client, path)
    checked = client.post(f"{path}/check", data={"csrf_token": token, **data})
    assert checked.status_code == 200, checked.get_data(as_text=True)
    assert "Check your decision" in checked.get_data(as_text=True)
    return client.post(path, data={"csrf_token": token, "confirmed": "yes", **data})


def grades_of(app: Flask, cycle_id: int) -> list[tuple[int, bool, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(FinalGrade).where(FinalGrade.cycle_id == cycle_id,
                                                           FinalGrade.plan_id.is_not(None)))
        return [(r.agency_id, r.good_or_better, r.id) for r in rows]


def recount(grades: list[tuple[int, bool, int | None]]) -> tuple[int, int]:
    """Plans good or better in the cycle, counted by hand: (good, n)."""
    return sum(1 for _, good, _ in grades if good), len(grades)


def stored_plan_rate(app: Flask, cycle_id: int) -> tuple[int, int]:
    with app.app_context():
        run = current_run("cycle", str(cycle_id))
        assert run is not None
        row = db.session.scalars(select(RateSnapshot).where(
            RateSnapshot.run_id == run.id, RateSnapshot.measure == "plans_good_or_better",
            RateSnapshot.scope == "all", RateSnapshot.agency_id.is_(None))).one()
        return row.good, row.n


def challenge_row(app: Flask, challenge_id: int) -> dict:
    with app.app_context():
        c = db.session.get(GradeChallenge, challenge_id)
        return {"status": c.status, "after": c.grade_after, "reason": c.outcome_reason,
                "decided": c.decided_at}


def only_challenge_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(GradeChallenge.id)).one()


def test_a_changed_grade_moves_the_figures(app, scene, monkeypatch):
    with app.app_context():
        make.aggregate(scene.world.cycle_id)
    before = grades_of(app, scene.world.cycle_id)
    assert stored_plan_rate(app, scene.world.cycle_id) == recount(before) == (1, 2)

    lead = signed_in(app, scene.casework_lead)
    listing = page(lead, "/challenges/")
    assert "Grades you can challenge" in listing
    raised = raise_by_web(lead, scene.plan_grades[0])
    assert raised.status_code == 302
    challenge_id = only_challenge_id(app)
    assert "Challenge sent" in page(lead, raised.headers["Location"])

    chair = signed_in(app, scene.world.emails["chair"])
    assert "1 challenge to a final grade is waiting" in page(chair, "/")
    assert "The outcomes are specific" in page(chair, f"/challenges/{challenge_id}")
    monkeypatch.setitem(app.config, "RECALCULATE_ON_CHANGE", True)
    criteria = {f"criterion_{cid}": "3" for cid in CRITERIA}
    saved = decide_by_web(chair, challenge_id, {
        "outcome": "changed", "grade": "3", "reason": "Outcomes are measurable", **criteria})
    assert saved.status_code == 302

    after = grades_of(app, scene.world.cycle_id)
    assert recount(after) == (2, 2)
    assert stored_plan_rate(app, scene.world.cycle_id) == recount(after)
    with app.app_context():
        final = db.session.get(FinalGrade, scene.plan_grades[0])
        assert final.grade == 3 and final.method == "moderated"
        assert {c.grade for c in final.criteria} == {3}
        counts = cycle_challenge_counts(scene.world.cycle_id)
        assert (counts.raised, counts.waiting, counts.upheld, counts.changed) == (1, 0, 0, 1)
    assert challenge_row(app, challenge_id)["after"] == 3
    actions = [e.action for e in log_entries(app)]
    assert "grade_challenge.raise" in actions
    assert "grade_challenge.changed" in actions
    assert "final_grade.change" in actions  # logged as every chair's change is
    history = page(signed_in(app, scene.world.emails["manager"]), "/audit-log/")
    assert "Grade changed after a challenge" in history

    rates = page(lead, f"/rates?cycle={scene.world.cycle_id}")
    assert "1 final grade challenged" in rates and "1 changed" in rates
    other = page(signed_in(app, scene.ep_lead), f"/rates?cycle={scene.world.cycle_id}")
    assert "No final grades were challenged" in other  # counts another agency's? never


def test_an_upheld_challenge_leaves_the_figures_as_they_were(app, scene, monkeypatch):
    with app.app_context():
        make.aggregate(scene.world.cycle_id)
    before = grades_of(app, scene.world.cycle_id)
    stored_before = stored_plan_rate(app, scene.world.cycle_id)
    assert stored_before == recount(before)

    lead = signed_in(app, scene.casework_lead)
    assert raise_by_web(lead, scene.plan_grades[0]).status_code == 302
    challenge_id = only_challenge_id(app)
    monkeypatch.setitem(app.config, "RECALCULATE_ON_CHANGE", True)
    chair = signed_in(app, scene.world.emails["chair"])
    saved = decide_by_web(chair, challenge_id, {"outcome": "upheld",
                                                "reason": "The evidence supports the grade"})
    assert saved.status_code == 302
    assert grades_of(app, scene.world.cycle_id) == before
    assert stored_plan_rate(app, scene.world.cycle_id) == stored_before == recount(before)
    assert challenge_row(app, challenge_id)["status"] == "upheld"
    assert "Upheld: grade stands" in page(lead, f"/challenges/{challenge_id}")
    with app.app_context():
        counts = cycle_challenge_counts(scene.world.cycle_id)
        assert (counts.raised, counts.waiting, counts.upheld, counts.changed) == (1, 0, 1, 0)
    # Decided once: the same grade cannot be challenged again.
    again = lead.get(f"/challenges/grades/{scene.plan_grades[0]}/new")
    assert "already decided a challenge" in unescape(again.get_data(as_text=True))


def _finalised_on(app: Flask, grade_id: int, day: date) -> None:
    with app.app_context():
        final = db.session.get(FinalGrade, grade_id)
        final.finalised_at = datetime(day.year, day.month, day.day, 11, 0)
        db.session.commit()


def _try(app: Flask, grade_id: int, email: str, on: date) -> str | None:
    with app.app_context():
        lead = db.session.scalars(select(User).where(User.email == email)).one()
        try:
            raise_challenge(db.session.get(FinalGrade, grade_id), lead, "Reason", on=on)
        except ChallengeError as exc:
            db.session.rollback()
            return str(exc)
        db.session.rollback()
        return None


def test_the_window_counts_working_days_and_bank_holidays(app, scene):
    grade = scene.plan_grades[0]
    # Friday 1 May 2026; Monday 4 May is the early May bank holiday: ten working days
    # run 5-8 May, 11-15 May and Monday 18 May.
    _finalised_on(app, grade, date(2026, 5, 1))
    with app.app_context():
        assert last_day(db.session.get(FinalGrade, grade)) == date(2026, 5, 18)
    assert _try(app, grade, scene.casework_lead, date(2026, 5, 15)) is None
    assert _try(app, grade, scene.casework_lead, date(2026, 5, 18)) is None
    refused = _try(app, grade, scene.casework_lead, date(2026, 5, 19))
    assert refused is not None and "the last day was 18 May 2026" in refused


def test_the_window_follows_the_setting(app, scene, monkeypatch):
    grade = scene.plan_grades[0]
    _finalised_on(app, grade, date(2026, 5, 1))
    monkeypatch.setitem(app.config, "CHALLENGE_WORKING_DAYS", 2)
    assert _try(app, grade, scene.casework_lead, date(2026, 5, 6)) is None
    assert "6 May 2026" in _try(app, grade, scene.casework_lead, date(2026, 5, 7))


def test_after_the_window_the_page_says_the_last_day_and_saves_nothing(app, scene):
    grade = scene.plan_grades[0]
    _finalised_on(app, grade, date(2025, 12, 10))
    lead = signed_in(app, scene.casework_lead)
    shown = lead.get(f"/challenges/grades/{grade}/new")
    assert "the last day was 24 December 2025" in unescape(shown.get_data(as_text=True))
    token = csrf_token(lead, "/challenges/")
    refused = lead.post(f"/challenges/grades/{grade}",
                        data={"csrf_token": token, "reason": "Late", "confirmed": "yes"})
    assert refused.status_code == 400
    assert "the last day was 24 December 2025" in unescape(refused.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count(GradeChallenge.id))) == 0


def test_one_open_challenge_per_grade(app, scene):
    lead = signed_in(app, scene.casework_lead)
    assert raise_by_web(lead, scene.plan_grades[0]).status_code == 302
    token = csrf_token(lead, "/challenges/")
    second = lead.post(f"/challenges/grades/{scene.plan_grades[0]}",
                       data={"csrf_token": token, "reason": "Again", "confirmed": "yes"})
    assert second.status_code == 400
    assert "already been challenged" in unescape(second.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count(GradeChallenge.id))) == 1
        assert [e.action for e in log_entries(app, "grade_challenge.raise")] == [
            "grade_challenge.raise"]
    # The other plan's grade can still be challenged.
    assert raise_by_web(lead, scene.plan_grades[1]).status_code == 302


def test_another_agencys_grade_or_challenge_is_not_found(app, scene):
    health = signed_in(app, scene.health_lead)
    assert raise_by_web(health, scene.health_grades[0]).status_code == 302
    challenge_id = only_challenge_id(app)
    ep = signed_in(app, scene.ep_lead)
    token = csrf_token(ep, "/challenges/")
    assert ep.get(f"/challenges/grades/{scene.health_grades[0]}/new").status_code == 404
    assert ep.post(f"/challenges/grades/{scene.health_grades[1]}", data={
        "csrf_token": token, "reason": "Not ours", "confirmed": "yes"}).status_code == 404
    assert ep.get(f"/challenges/{challenge_id}").status_code == 404
    assert "EHCP-W" not in page(ep, "/challenges/").split("Waiting for the chair")[1]
    # Advice agencies cannot challenge a plan's grade; the casework lead cannot challenge
    # another agency's advice.
    assert health.get(f"/challenges/grades/{scene.plan_grades[0]}/new").status_code == 404
    casework = signed_in(app, scene.casework_lead)
    assert casework.get(f"/challenges/grades/{scene.health_grades[1]}/new").status_code == 404
    # Another panel's chair does not see it; only the panel's own chair decides.
    other = signed_in(app, scene.world.emails["other_chair"])
    assert other.get(f"/challenges/{challenge_id}").status_code == 404
    assert other.post(f"/challenges/{challenge_id}/check", data={
        "csrf_token": csrf_token(other, "/challenges/"), "outcome": "upheld",
        "reason": "x"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(GradeChallenge.id))) == 1


@pytest.mark.parametrize("data", [
    {"outcome": "changed", "grade": "9", "reason": "Forged"},
    {"outcome": "changed", "grade": "3", "criterion_child_voice": "7", "reason": "Forged"},
    {"outcome": "changed", "grade": "4", "criterion_child_voice": "2", "reason": "Limiting"},
    {"outcome": "changed", "grade": "2", "reason": "No change"},
    {"outcome": "withdrawn", "reason": "Unknown outcome"},
    {"outcome": "upheld", "reason": ""},
])
def test_forged_outcomes_are_refused_and_change_nothing(app, scene, data):
    lead = signed_in(app, scene.casework_lead)
    assert raise_by_web(lead, scene.plan_grades[0]).status_code == 302
    challenge_id = only_challenge_id(app)
    before = grades_of(app, scene.world.cycle_id)
    with app.app_context():
        criteria_before = sorted((c.criterion_id, c.grade) for c in db.session.get(
            FinalGrade, scene.plan_grades[0]).criteria)
    chair = signed_in(app, scene.world.emails["chair"])
    token = csrf_token(chair, f"/challenges/{challenge_id}")
    for path in (f"/challenges/{challenge_id}/check", f"/challenges/{challenge_id}"):
        response = chair.post(path, data={"csrf_token": token, "confirmed": "yes", **data})
        assert response.status_code == 400
        assert "There is a problem" in response.get_data(as_text=True)
    assert grades_of(app, scene.world.cycle_id) == before
    with app.app_context():
        assert sorted((c.criterion_id, c.grade) for c in db.session.get(
            FinalGrade, scene.plan_grades[0]).criteria) == criteria_before
    assert challenge_row(app, challenge_id)["status"] == "open"
    assert not log_entries(app, "grade_challenge.changed")
    assert not log_entries(app, "final_grade.change")


def test_a_post_without_the_check_saves_nothing(app, scene):
    lead = signed_in(app, scene.casework_lead)
    token = csrf_token(lead, "/challenges/")
    unchecked = lead.post(f"/challenges/grades/{scene.plan_grades[0]}",
                          data={"csrf_token": token, "reason": "Skipped the check"})
    assert unchecked.status_code == 400
    assert raise_by_web(lead, scene.plan_grades[0]).status_code == 302
    challenge_id = only_challenge_id(app)
    chair = signed_in(app, scene.world.emails["chair"])
    token = csrf_token(chair, f"/challenges/{challenge_id}")
    skipped = chair.post(f"/challenges/{challenge_id}", data={
        "csrf_token": token, "outcome": "upheld", "reason": "No check"})
    assert skipped.status_code == 400
    assert challenge_row(app, challenge_id)["status"] == "open"


def test_the_lead_lists_only_grades_still_open_to_challenge(app, scene):
    _finalised_on(app, scene.plan_grades[1], date(2025, 1, 6))
    lead = signed_in(app, scene.casework_lead)
    listing = page(lead, "/challenges/")
    grades = re.findall(r"/challenges/grades/(\d+)/new", listing)
    assert grades == [str(scene.plan_grades[0])]
    with app.app_context():
        assert db.session.get(FinalGrade, scene.plan_grades[0]).finalised_at <= utcnow()


def test_challenges_are_on_the_plans_timeline_for_their_agency_only(app, scene):
    from qa_app.learning.timeline import plan_timeline

    health = signed_in(app, scene.health_lead)
    assert raise_by_web(health, scene.health_grades[0]).status_code == 302
    chair = signed_in(app, scene.world.emails["chair"])
    assert decide_by_web(chair, only_challenge_id(app), {
        "outcome": "upheld", "reason": "Evidence supports it"}).status_code == 302
    with app.app_context():
        final = db.session.get(FinalGrade, scene.health_grades[0])
        plan_id = final.advice.plan_id
        health_id = final.agency_id
        everyone = [e for e in plan_timeline(app, plan_id, agency_ids=None)
                    if "challenge" in e.what.lower()]
        assert [e.what for e in everyone] == ["Grade challenged", "Challenge upheld"]
        assert all(e.agency_id == health_id for e in everyone)
        assert not [e for e in everyone if re.search(r"grade \d|\(\d\)", e.detail)]
        other = plan_timeline(app, plan_id, agency_ids=frozenset({health_id + 1000}))
        assert not [e for e in other if "challenge" in e.what.lower()]
