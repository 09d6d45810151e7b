"""Targeted re-audit across two cycles: below-standard work is marked, amended, taken into the
next sample beside the random draw, re-audited and shown improved or not; the random rates
count the random sample only, and the re-audit measure counts the re-audits only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.operations import draw_sample
from qa_app.audits.cycles.sampling import REAUDIT
from qa_app.audits.moderation.models import FinalGrade
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.reaudit.models import ReauditMark
from qa_app.reaudit.queries import cycle_reaudit_outcomes
from qa_app.reporting import measures as m
from qa_app.reporting.models import RateSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.queries import current_run
from tests import factories as make

CRITERIA = {"child_voice": 2, "outcomes": 2, "educational_needs": 3}
ADVICE_CRITERIA = {"child_voice": 3, "outcomes": 2}
FINALISED = datetime(2025, 12, 10, 15, 0)


@dataclass
class Scene:
    autumn: int
    spring: int
    casework: int
    health: int
    other: int
    plan_version: int
    advice_version: int
    below_plan: int
    unmarked_plan: int
    below_advice: int
    below_grade: int
    unmarked_grade: int
    advice_grade: int
    manager: str
    casework_lead: str
    health_lead: str
    other_lead: str


def _grade(cycle: Cycle, version: int, grade: int, criteria: dict[str, int], *,
           plan_id: int | None = None, advice_id: int | None = None) -> FinalGrade:
    return make.agreed_grade(cycle, version, plan_id=plan_id, advice_id=advice_id, grade=grade,
                             criteria=criteria, notes={}, auditor_id=None)


@pytest.fixture()
def scene(app: Flask) -> Scene:
    with app.app_context():
        versions = make.shipped_rubrics()
        casework = make.agency("SEND Casework Team", "local_authority").id
        health = make.agency("Community Paediatrics", "health").id
        other = make.agency("Educational Psychology Service", "education").id
        autumn = make.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))
        spring = make.cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27))
        plans = [make.plan(casework, f"EHCP-{i:03d}", nc_year=(5, 9, 2, 3, 7, 10)[i % 6]).id
                 for i in range(20)]
        advice = make.advice(plans[2], health, ref="ADV-002-H", received=date(2025, 10, 1))
        below = _grade(autumn, versions["ehcp-plan"], 2, CRITERIA, plan_id=plans[0])
        unmarked = _grade(autumn, versions["ehcp-plan"], 1, {"child_voice": 1},
                          plan_id=plans[1])
        advice_grade = _grade(autumn, versions["advice-health"], 2, ADVICE_CRITERIA,
                              advice_id=advice.id)
        _grade(autumn, versions["ehcp-plan"], 3, {"child_voice": 3}, plan_id=plans[3])
        people = {key: make.user(role, agency).email for key, role, agency in (
            ("manager", "qi_manager", None),
            ("casework", "agency_lead", "SEND Casework Team"),
            ("health", "agency_lead", "Community Paediatrics"),
            ("other", "agency_lead", "Educational Psychology Service"))}
        db.session.commit()
        return Scene(autumn.id, spring.id, casework, health, other, versions["ehcp-plan"],
                     versions["advice-health"], plans[0], plans[1], advice.id, below.id,
                     unmarked.id, advice_grade.id, people["manager"], people["casework"],
                     people["health"], people["other"])


def _post(client, path: str, data: dict[str, str]):
    return client.post(path, data={"csrf_token": make.csrf_token(client, path), **data})


def _mark(app: Flask, s: Scene, grade_id: int) -> int:
    client = make.signed_in(app, s.manager)
    check = client.get(f"/re-audits/mark/{grade_id}")
    assert check.status_code == 200 and "What will happen" in check.get_data(as_text=True)
    response = _post(client, f"/re-audits/mark/{grade_id}", {})
    assert response.status_code == 302
    with app.app_context():
        return db.session.execute(select(ReauditMark.id).where(
            ReauditMark.final_grade_id == grade_id)).scalar_one()


def _amend(client, mark_id: int, day: date):
    path = f"/re-audits/{mark_id}/amendment"
    fields = {"amended_on": [str(day.day), str(day.month), str(day.year)]}
    check = _post(client, path, fields)
    assert check.status_code == 200 and "Check the amendment date" in check.get_data(True)
    return _post(client, path, {**fields, "checked": "yes"})


def _state(app: Flask, mark_id: int) -> tuple[object, ...]:
    with app.app_context():
        row = db.session.get(ReauditMark, mark_id)
        return (row.amended_on, row.amended_by_id, row.included_cycle_id)


def _log(app: Flask, action: str) -> list[AuditLogEntry]:
    return make.log_entries(app, action)


def _random_recount(app: Flask, cycle_id: int, agency_id: int, plans: bool) -> tuple[int, int]:
    """Graded and good or better among the cycle's random sample items only (child voice
    limiting), counted in Python."""
    with app.app_context():
        items = db.session.execute(
            select(SampleItem).join(Sample).where(Sample.cycle_id == cycle_id)).scalars()
        random_subjects = {(i.plan_id, i.advice_id) for i in items if i.stratum != REAUDIT}
        grades = db.session.execute(
            select(FinalGrade).where(FinalGrade.cycle_id == cycle_id)).scalars()
        counted = [g for g in grades if (g.plan_id, g.advice_id) in random_subjects
                   and g.agency_id == agency_id and (g.plan_id is not None) == plans]
        good = [g for g in counted if g.good_or_better and all(
            c.good_or_better for c in g.criteria if c.criterion_id == "child_voice")]
        return len(counted), len(good)


def _stored(app: Flask, cycle_id: int, measure: str, agency_id: int | None) -> tuple[int, int]:
    with app.app_context():
        run = current_run("cycle", str(cycle_id))
        assert run is not None
        row = db.session.execute(select(RateSnapshot).where(
            RateSnapshot.run_id == run.id, RateSnapshot.measure == measure,
            RateSnapshot.scope == "all", RateSnapshot.breakdown == "",
            RateSnapshot.agency_id == agency_id if agency_id is not None
            else RateSnapshot.agency_id.is_(None))).scalar_one_or_none()
        return (row.n, row.good) if row else (0, 0)


def _amended_mark(app: Flask, s: Scene, grade_id: int) -> int:
    """A mark whose amendment the agency recorded on 12 January 2026."""
    mark_id = _mark(app, s, grade_id)
    with app.app_context():
        db.session.get(ReauditMark, mark_id).amended_on = date(2026, 1, 12)
        db.session.commit()
    return mark_id


def _draw_spring(app: Flask, s: Scene, size: int = 6, exclude_days: int = 365) -> None:
    with app.app_context():
        draw_sample(db.session.get(Cycle, s.spring), size=size, seed=424242,
                    exclude_days=exclude_days, min_advice_per_agency=0)
        db.session.commit()


def _regrade_spring(app: Flask, s: Scene) -> None:
    """The spring panel grades every sample item: the re-audited plan is now good, the
    re-audited advice is still below good, and random plans alternate good and not."""
    with app.app_context():
        spring = db.session.get(Cycle, s.spring)
        items = db.session.execute(select(SampleItem).join(Sample).where(
            Sample.cycle_id == s.spring).order_by(SampleItem.id)).scalars().all()
        for n, item in enumerate(items):
            if item.plan_id == s.below_plan:
                _grade(spring, s.plan_version, 3, {"child_voice": 3, "outcomes": 3,
                                                   "educational_needs": 3}, plan_id=item.plan_id)
            elif item.advice_id == s.below_advice:
                _grade(spring, s.advice_version, 2, {"child_voice": 3, "outcomes": 2},
                       advice_id=item.advice_id)
            elif item.plan_id is not None:
                grade = 3 if n % 2 else 2
                _grade(spring, s.plan_version, grade, {"child_voice": grade},
                       plan_id=item.plan_id)
        db.session.commit()
        run_aggregation("cycle", str(s.spring))
        db.session.commit()


def test_reaudit_across_two_cycles(app: Flask, scene: Scene) -> None:
    s = scene
    plan_mark = _mark(app, s, s.below_grade)
    advice_mark = _mark(app, s, s.advice_grade)
    assert len(_log(app, "reaudit.mark")) == 2

    casework = make.signed_in(app, s.casework_lead)
    listing = casework.get("/re-audits").get_data(as_text=True)
    assert "EHCP-000" in listing and "ADV-002-H" not in listing
    assert _amend(casework, plan_mark, date(2026, 1, 12)).status_code == 302
    health = make.signed_in(app, s.health_lead)
    assert _amend(health, advice_mark, date(2026, 1, 20)).status_code == 302
    assert _state(app, plan_mark)[0] == date(2026, 1, 12)
    assert len(_log(app, "reaudit.amend")) == 2

    _draw_spring(app, s)
    with app.app_context():
        sample = db.session.execute(select(Sample).where(Sample.cycle_id == s.spring)
                                    ).scalar_one()
        places = {(i.plan_id, i.advice_id) for i in sample.items if i.stratum == REAUDIT}
        random_plans = [i for i in sample.items if i.stratum != REAUDIT and i.plan_id]
        assert places == {(s.below_plan, None), (None, s.below_advice)}
        assert len(random_plans) == sample.size == 6  # the random draw kept its size
        assert s.below_plan not in {i.plan_id for i in random_plans}
        assert sample.parameters["reaudit_places"] == 2
        marks = db.session.execute(select(ReauditMark)).scalars().all()
        assert {row.included_cycle_id for row in marks} == {s.spring}
    assert len(_log(app, "reaudit.include")) == 2

    _regrade_spring(app, s)
    page = casework.get(f"/plans/{s.below_plan}").get_data(as_text=True)
    assert "Re-audit after amendment" in page
    assert "Re-audited: now good or better" in page
    assert "Outcomes" in page and "Requires improvement" in page
    advice_page = health.get(f"/re-audits/{advice_mark}").get_data(as_text=True)
    assert "Re-audited: still below good" in advice_page

    with app.app_context():
        outcomes = cycle_reaudit_outcomes(s.spring)
    assert [(o.agency_name, o.subject_text, o.improved) for o in outcomes] == [
        ("Community Paediatrics", "Health advice", False),
        ("SEND Casework Team", "EHC plan", True)]
    assert outcomes[1].before_text == "Requires improvement in Autumn term 2025"
    assert outcomes[1].after_text == "Good"


def test_random_rates_count_the_random_sample_only(app: Flask, scene: Scene) -> None:
    s = scene
    for grade_id in (s.below_grade, s.advice_grade):
        mark_id = _mark(app, s, grade_id)
        with app.app_context():
            row = db.session.get(ReauditMark, mark_id)
            row.amended_on = date(2026, 1, 12)
            db.session.commit()
    _draw_spring(app, s)
    _regrade_spring(app, s)
    plans = _random_recount(app, s.spring, s.casework, plans=True)
    assert plans[0] == 6
    assert _stored(app, s.spring, m.PLANS, s.casework) == plans
    assert _stored(app, s.spring, m.PLANS, None) == plans
    assert _stored(app, s.spring, m.ADVICE, s.health) == (0, 0)  # only re-audited advice


def test_reaudit_measure_against_a_recount(app: Flask, scene: Scene) -> None:
    s = scene
    for grade_id in (s.below_grade, s.advice_grade):
        _amended_mark(app, s, grade_id)
    _draw_spring(app, s)
    _regrade_spring(app, s)
    with app.app_context():
        counts: dict[int, list[int]] = {}
        for row in db.session.execute(select(ReauditMark)).scalars():
            regrade = db.session.execute(select(FinalGrade).where(
                FinalGrade.cycle_id == row.included_cycle_id,
                FinalGrade.plan_id == row.plan_id if row.plan_id
                else FinalGrade.advice_id == row.advice_id)).scalar_one()
            tally = counts.setdefault(regrade.agency_id, [0, 0])
            tally[0] += 1
            tally[1] += regrade.good_or_better
    assert counts == {s.casework: [1, 1], s.health: [1, 0]}
    for agency_id, (n, good) in counts.items():
        assert _stored(app, s.spring, m.REAUDITED, agency_id) == (n, good)
    assert _stored(app, s.spring, m.REAUDITED, None) == (2, 1)
    with app.app_context():
        run_aggregation("cycle", str(s.autumn))
        db.session.commit()
    assert _stored(app, s.autumn, m.REAUDITED, None) == (0, 0)
    assert _stored(app, s.autumn, m.PLANS, s.casework) == (3, 1)  # the first grades stand


def test_work_the_random_draw_chose_stays_random(app: Flask, scene: Scene) -> None:
    s = scene
    mark_id = _amended_mark(app, s, s.below_grade)
    _draw_spring(app, s, size=20, exclude_days=0)  # every plan drawn, the marked one too
    with app.app_context():
        row = db.session.get(ReauditMark, mark_id)
        assert row.included_cycle_id == s.spring and row.drawn_at_random
        items = db.session.execute(select(SampleItem).join(Sample).where(
            Sample.cycle_id == s.spring, SampleItem.plan_id == s.below_plan)).scalars().all()
        assert [i.stratum for i in items] != [REAUDIT] and len(items) == 1


def test_a_redraw_takes_the_reaudit_places_again(app: Flask, scene: Scene) -> None:
    s = scene
    _amended_mark(app, s, s.below_grade)
    _draw_spring(app, s)
    _draw_spring(app, s, size=5)
    with app.app_context():
        items = db.session.execute(select(SampleItem).join(Sample).where(
            Sample.cycle_id == s.spring, SampleItem.stratum == REAUDIT)).scalars().all()
        assert [i.plan_id for i in items] == [s.below_plan]


def test_unamended_work_waits(app: Flask, scene: Scene) -> None:
    s = scene
    mark_id = _mark(app, s, s.below_grade)
    _draw_spring(app, s)
    assert _state(app, mark_id) == (None, None, None)


@pytest.mark.parametrize("day, message", [
    (date.today() + timedelta(days=3), "today or in the past"),
    (date(2025, 12, 1), "on or after 10/12/2025"),
])
def test_a_bad_amendment_date_is_refused_and_nothing_changes(
        app: Flask, scene: Scene, day: date, message: str) -> None:
    s = scene
    mark_id = _mark(app, s, s.below_grade)
    client = make.signed_in(app, s.casework_lead)
    path = f"/re-audits/{mark_id}/amendment"
    fields = {"amended_on": [str(day.day), str(day.month), str(day.year)]}
    for data in (fields, {**fields, "checked": "yes"}):
        response = _post(client, path, data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    nonsense = _post(client, path, {"amended_on": ["31", "2", "2026"], "checked": "yes"})
    assert nonsense.status_code == 400
    assert _state(app, mark_id) == (None, None, None)
    assert _log(app, "reaudit.amend") == []


def test_only_below_standard_final_grades_can_be_marked_once(app: Flask, scene: Scene) -> None:
    s = scene
    _mark(app, s, s.below_grade)
    client = make.signed_in(app, s.manager)
    again = client.get(f"/re-audits/mark/{s.below_grade}")
    assert again.status_code == 400 and "already marked" in again.get_data(as_text=True)
    with app.app_context():
        good = db.session.execute(select(FinalGrade.id).where(
            FinalGrade.good_or_better.is_(True))).scalars().first()
    refused = client.post(f"/re-audits/mark/{good}",
                          data={"csrf_token": make.csrf_token(client, "/re-audits")})
    assert refused.status_code == 400 and "good or better" in refused.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.execute(select(ReauditMark)).scalars().all()) == 1


def test_another_agencys_lead_gets_404(app: Flask, scene: Scene) -> None:
    s = scene
    mark_id = _mark(app, s, s.below_grade)
    for email in (s.other_lead, s.health_lead):
        client = make.signed_in(app, email)
        assert client.get(f"/re-audits/{mark_id}").status_code == 404
        assert client.get(f"/re-audits/{mark_id}/amendment").status_code == 404
        token = make.csrf_token(client, "/re-audits")
        day = date(2026, 1, 12)
        response = client.post(f"/re-audits/{mark_id}/amendment", data={
            "csrf_token": token, "checked": "yes",
            "amended_on": [str(day.day), str(day.month), str(day.year)]})
        assert response.status_code == 404
        assert "EHCP-000" not in client.get("/re-audits").get_data(as_text=True)
        assert client.get(f"/re-audits/mark/{s.below_grade}").status_code == 404
    assert _state(app, mark_id) == (None, None, None)


def test_the_letter_lists_the_reaudit_outcome(app: Flask, scene: Scene) -> None:
    from qa_app.letters.content import assemble_facts, default_paragraphs

    s = scene
    _amended_mark(app, s, s.below_grade)
    _draw_spring(app, s)
    _regrade_spring(app, s)
    with app.test_request_context():
        facts = assemble_facts(s.casework, s.spring, 20)
        again = [i for i in facts.items if i.reference == "EHCP-000"]
        assert again[0].kind == "EHC plan, re-audited after amendment"
        assert again[0].grade == "Good (was Requires improvement in Autumn term 2025)"
        figure = {f.label: f for f in facts.figures}["Re-audited work now good or better"]
        assert (figure.current.n, figure.current.good) == (1, 1)
        opening = default_paragraphs(facts)[0]
        assert "audited 1 piece of work again" in opening and "1 of them is now good" in opening
        assert assemble_facts(s.casework, s.spring, 20).digest() == facts.digest()


def test_the_plan_timeline_has_the_reaudit_story(app: Flask, scene: Scene) -> None:
    from qa_app.reaudit.timeline import events

    s = scene
    _amended_mark(app, s, s.below_grade)
    _draw_spring(app, s)
    _regrade_spring(app, s)
    with app.test_request_context():
        found = list(events(s.below_plan))
    assert [e.what for e in found] == ["Marked to amend and re-audit", "Amended",
                                       "Added to a sample for re-audit", "Re-audited"]
    assert {e.agency_id for e in found} == {s.casework}


def test_the_partnership_setting_marks_every_grade_below_good(app: Flask, scene: Scene) -> None:
    s = scene
    saved = app.config["REAUDIT_BELOW_STANDARD"]
    app.config["REAUDIT_BELOW_STANDARD"] = True
    try:
        with app.app_context():
            spring = db.session.get(Cycle, s.spring)
            below = _grade(spring, s.plan_version, 1, {"child_voice": 1}, plan_id=s.below_plan)
            good = _grade(spring, s.plan_version, 3, {"child_voice": 3}, plan_id=s.unmarked_plan)
            db.session.commit()
            good.grade, good.good_or_better = 2, False  # a chair's change below good
            db.session.commit()
            marked = dict(db.session.execute(
                select(ReauditMark.final_grade_id, ReauditMark.agency_id)).all())
            assert marked == {below.id: s.casework, good.id: s.casework}
    finally:
        app.config["REAUDIT_BELOW_STANDARD"] = saved
    entries = _log(app, "reaudit.mark")
    assert len(entries) == 2 and all(e.changes["automatic"] for e in entries)


def _withdraw(client, mark_id: int, reason: str):
    return _post(client, f"/re-audits/{mark_id}/withdraw", {"reason": reason})


def _withdrawn(app: Flask, mark_id: int) -> tuple[object, ...]:
    with app.app_context():
        row = db.session.get(ReauditMark, mark_id)
        return (row.withdrawn_at is not None, row.withdrawal_reason)


def test_a_mark_not_yet_drawn_can_be_withdrawn_then_marked_again(
        app: Flask, scene: Scene) -> None:
    s = scene
    mark_id = _mark(app, s, s.below_grade)
    casework = make.signed_in(app, s.casework_lead)
    assert _amend(casework, mark_id, date(2026, 1, 12)).status_code == 302
    manager = make.signed_in(app, s.manager)
    path = f"/re-audits/{mark_id}/withdraw"
    assert path in manager.get(f"/re-audits/{mark_id}").get_data(as_text=True)
    check = manager.get(path).get_data(as_text=True)
    assert "What will happen" in check and "govuk-character-count" in check
    assert "will not join the next sample for re-audit" in check

    for reason, message in (("   ", "Enter why you are withdrawing the mark"),
                            ("x" * 1001, "1000 characters or fewer")):
        refused = _withdraw(manager, mark_id, reason)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert _withdrawn(app, mark_id) == (False, None)
    assert _log(app, "reaudit.withdraw") == []

    done = _withdraw(manager, mark_id, "  Marked by mistake: the panel meant EHCP-001  ")
    assert done.status_code == 302
    assert _withdrawn(app, mark_id) == (True, "Marked by mistake: the panel meant EHCP-001")
    [entry] = _log(app, "reaudit.withdraw")
    assert entry.reason == "Marked by mistake: the panel meant EHCP-001"
    assert entry.changes["amended_on"] == "2026-01-12"
    assert "Re-audit mark withdrawn" in manager.get("/audit-log/").get_data(as_text=True)
    again_refused = _withdraw(manager, mark_id, "Twice")
    assert again_refused.status_code == 400 and "already withdrawn" in again_refused.get_data(
        as_text=True)

    assert "EHCP-000" not in casework.get("/re-audits").get_data(as_text=True)
    assert casework.get(f"/re-audits/{mark_id}").status_code == 404
    assert casework.get(f"/re-audits/{mark_id}/amendment").status_code == 404
    assert "Re-audit after amendment" not in casework.get(
        f"/plans/{s.below_plan}").get_data(as_text=True)
    listing = manager.get("/re-audits").get_data(as_text=True)
    assert f"/re-audits/mark/{s.below_grade}" in listing  # back among the unmarked grades
    withdrawn = listing.split('data-testid="withdrawn-marks"')[1].split("</table>")[0]
    assert f"/re-audits/{mark_id}" in withdrawn and "Marked by mistake" in withdrawn
    assert 'data-testid="withdrawn-marks"' not in casework.get("/re-audits").get_data(
        as_text=True)
    assert "Withdrawn" in manager.get(f"/re-audits/{mark_id}").get_data(as_text=True)

    _draw_spring(app, s)
    with app.app_context():
        places = db.session.execute(select(SampleItem).join(Sample).where(
            Sample.cycle_id == s.spring, SampleItem.stratum == REAUDIT)).scalars().all()
        assert places == []
    assert _state(app, mark_id)[2] is None

    assert _mark(app, s, s.below_grade) == mark_id  # marked again, afresh
    assert _state(app, mark_id) == (None, None, None)
    assert _withdrawn(app, mark_id) == (False, None)
    assert [e.changes["again"] for e in _log(app, "reaudit.mark")] == [False, True]
    assert "EHCP-000" in casework.get("/re-audits").get_data(as_text=True)
    assert _amend(casework, mark_id, date(2026, 1, 14)).status_code == 302
    _draw_spring(app, s)
    assert _state(app, mark_id)[2] == s.spring


def test_a_mark_in_a_sample_cannot_be_withdrawn(app: Flask, scene: Scene) -> None:
    s = scene
    mark_id = _amended_mark(app, s, s.below_grade)
    _draw_spring(app, s)
    manager = make.signed_in(app, s.manager)
    path = f"/re-audits/{mark_id}/withdraw"
    assert path not in manager.get(f"/re-audits/{mark_id}").get_data(as_text=True)
    for stage in ("drawn", "re-audited"):
        shown = manager.get(path)
        assert shown.status_code == 400, stage
        assert "can no longer be withdrawn" in shown.get_data(as_text=True)
        posted = _withdraw(manager, mark_id, "No longer needed")
        assert posted.status_code == 400 and "can no longer be withdrawn" in posted.get_data(
            as_text=True)
        assert _withdrawn(app, mark_id) == (False, None)
        if stage == "drawn":
            _regrade_spring(app, s)
    assert _log(app, "reaudit.withdraw") == []
    lead = make.signed_in(app, s.casework_lead)
    assert lead.get(path).status_code == 404  # a manager's step only


def test_the_setting_leaves_a_withdrawn_mark_withdrawn(app: Flask, scene: Scene) -> None:
    s = scene
    mark_id = _mark(app, s, s.below_grade)
    assert _withdraw(make.signed_in(app, s.manager), mark_id, "Not needed").status_code == 302
    saved = app.config["REAUDIT_BELOW_STANDARD"]
    app.config["REAUDIT_BELOW_STANDARD"] = True
    try:
        with app.app_context():
            grade = db.session.get(FinalGrade, s.below_grade)
            grade.grade = 1  # changed again, still below good
            db.session.commit()
    finally:
        app.config["REAUDIT_BELOW_STANDARD"] = saved
    assert _withdrawn(app, mark_id) == (True, "Not needed")
    assert len(_log(app, "reaudit.mark")) == 1


def test_marks_follow_the_work_to_its_new_owner(app: Flask, scene: Scene) -> None:
    """The register import moves the plan and the advice to other agencies: the new owners'
    leads see the marks and record the amendment; the old owners' leads no longer find them."""
    from qa_app.reaudit.timeline import events
    from tests.factories.imports import ADVICE_HEADER, PLAN_HEADER, csv_bytes, run

    s = scene
    plan_mark = _mark(app, s, s.below_grade)
    advice_mark = _mark(app, s, s.advice_grade)
    with app.app_context():
        north = make.agency("North Locality Team", "local_authority").id
        north_lead = make.user("agency_lead", "North Locality Team").email
        db.session.commit()
    moved = run(app, "plans", csv_bytes([PLAN_HEADER, [
        "EHCP-000", "North Locality Team", 5, "new", "01/09/2025", "05/01/2026", ""]]))
    assert moved.ok and moved.updated == 1
    moved = run(app, "advice", csv_bytes([ADVICE_HEADER, [
        "ADV-002-H", "EHCP-002", "Educational Psychology Service", "health", "08/09/2025",
        "01/10/2025", "", "", ""]]))
    assert moved.ok and moved.updated == 1

    for old, mark_id in ((s.casework_lead, plan_mark), (s.health_lead, advice_mark)):
        client = make.signed_in(app, old)
        assert client.get(f"/re-audits/{mark_id}").status_code == 404
        assert client.get(f"/re-audits/{mark_id}/amendment").status_code == 404
        day = date(2026, 1, 12)
        refused = _post(client, f"/re-audits/{mark_id}/amendment", {
            "checked": "yes", "amended_on": [str(day.day), str(day.month), str(day.year)]})
        assert refused.status_code == 404
        listing = client.get("/re-audits").get_data(as_text=True)
        assert "EHCP-000" not in listing and "ADV-002-H" not in listing
    assert _state(app, plan_mark) == _state(app, advice_mark) == (None, None, None)

    for new, mark_id, ref, name in (
            (north_lead, plan_mark, "EHCP-000", "North Locality Team"),
            (s.other_lead, advice_mark, "ADV-002-H", "Educational Psychology Service")):
        client = make.signed_in(app, new)
        assert ref in client.get("/re-audits").get_data(as_text=True)
        page = client.get(f"/re-audits/{mark_id}")
        assert page.status_code == 200 and name in page.get_data(as_text=True)
        assert _amend(client, mark_id, date(2026, 1, 12)).status_code == 302
        with app.app_context():
            new_id = db.session.execute(select(User.id).where(User.email == new)).scalar_one()
        assert _state(app, mark_id) == (date(2026, 1, 12), new_id, None)
    north_client = make.signed_in(app, north_lead)
    assert "Re-audit after amendment" in north_client.get(
        f"/plans/{s.below_plan}").get_data(as_text=True)
    with app.test_request_context():
        assert {e.agency_id for e in events(s.below_plan)} == {north}
