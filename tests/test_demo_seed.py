"""The demo partnership: plausible grades, the panel's rules respected, and reproducible."""

from __future__ import annotations

import html
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from qa_app.demo.scoring import first_opinion, lower_of, second_opinion
from qa_app.demo.seed import DEMO_USERS, demo_cycles, seed_partnership
from qa_app.standards.grading import SubjectContext, overall_grade
from qa_app.standards.rubric import Rubric, load_rubric

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
TODAY = date(2026, 6, 1)
DAYS = [date(2026, 12, 4), date(2027, 3, 15), date(2027, 7, 1)]
HOLIDAYS = [date(2026, 9, 1), date(2026, 12, 28), date(2027, 4, 5), date(2027, 8, 31)]
TERM = timedelta(days=122)


def _rubric(rubric_id: str) -> Rubric:
    return load_rubric(RUBRICS / f"{rubric_id}.yaml")


@pytest.mark.parametrize("rubric_id", ["ehcp-plan", "advice-health"])
def test_first_opinion_lands_on_the_chosen_side_of_good(rubric_id: str) -> None:
    rubric = _rubric(rubric_id)
    ctx = SubjectContext(nc_year=9, plan_kind="new")
    rng = random.Random(7)
    for _ in range(200):
        good = first_opinion(rng, rubric, ctx, days_late=3, good=True)
        assert overall_grade(rubric, good, ctx) >= rubric.good_or_better
        assert good["child_voice"] >= rubric.good_or_better
        weak = first_opinion(rng, rubric, ctx, days_late=3, good=False, weak_voice=True)
        assert overall_grade(rubric, weak, ctx) < rubric.good_or_better
        assert weak["child_voice"] < rubric.good_or_better


def test_criteria_that_do_not_apply_are_left_ungraded() -> None:
    rubric = _rubric("ehcp-plan")
    grades = first_opinion(random.Random(1), rubric, SubjectContext(5, "new"), None, good=True)
    assert grades["preparation_for_adulthood"] is None
    assert set(grades) == {c.id for c in rubric.criteria}


def test_second_opinion_differs_by_at_most_one_grade_and_final_takes_the_lower() -> None:
    rubric = _rubric("advice-social-care")
    ctx = SubjectContext(7, "annual_review")
    rng = random.Random(3)
    for _ in range(100):
        first = first_opinion(rng, rubric, ctx, days_late=20, good=True)
        second = second_opinion(rng, rubric, first, p_differ=0.3)
        assert second["timeliness"] == first["timeliness"] == 1
        for key, grade in lower_of(first, second).items():
            assert abs((first[key] or 0) - (second[key] or 0)) <= 1
            assert grade == min(first[key] or 0, second[key] or 0)


def test_demo_users_have_usable_logins() -> None:
    emails = [u.email for u in DEMO_USERS]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@example.org") for e in emails)
    assert all(len(u.password) >= 12 for u in DEMO_USERS)
    roles = {u.role for u in DEMO_USERS}
    assert roles == {"admin", "qi_manager", "panel_chair", "auditor", "agency_lead"}
    assert len({u.agency_name for u in DEMO_USERS if u.role == "auditor"}) >= 4


def _rubric_versions() -> dict:
    from qa_app.extensions import db
    from qa_app.standards.models import RubricVersion

    versions = {}
    for path in sorted(RUBRICS.glob("*.yaml")):
        if path.name == "targets.yaml":
            continue
        rubric = load_rubric(path)
        versions[rubric.id] = RubricVersion(
            rubric_id=rubric.id, version=rubric.version, title=rubric.title,
            applies_to=rubric.applies_to, content_hash=rubric.content_hash,
            body=rubric.to_dict(), source_path=str(path),
        )  # fmt: skip
    db.session.add_all(versions.values())
    db.session.flush()
    return versions


def _snapshot() -> list[tuple]:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.scoring.models import Audit
    from qa_app.auth.models import User
    from qa_app.extensions import db
    from qa_app.library.models import PracticeExample
    from qa_app.register.models import Advice, Plan

    plans = db.session.scalars(select(Plan).order_by(Plan.ref)).all()
    advice = db.session.scalars(select(Advice).order_by(Advice.ref)).all()
    finals = db.session.execute(
        select(Cycle.name, Plan.ref, Advice.ref, FinalGrade.grade, FinalGrade.method)
        .join(Cycle, FinalGrade.cycle_id == Cycle.id)
        .outerjoin(Plan, FinalGrade.plan_id == Plan.id)
        .outerjoin(Advice, FinalGrade.advice_id == Advice.id)
        .order_by(Cycle.name, Plan.ref, Advice.ref)
    ).all()
    examples = db.session.execute(
        select(PracticeExample.criterion_id, PracticeExample.status, PracticeExample.excerpt,
               Plan.ref, Advice.ref, User.email)
        .join(Audit, Audit.id == PracticeExample.audit_id)
        .join(User, User.id == Audit.auditor_id)
        .outerjoin(Plan, Audit.plan_id == Plan.id)
        .outerjoin(Advice, Audit.advice_id == Advice.id)
        .order_by(PracticeExample.created_at, PracticeExample.criterion_id)
    ).all()
    return [
        *[(p.ref, p.nc_year, p.plan_kind, p.request_date, p.issue_date, p.setting) for p in plans],
        *[(a.ref, a.plan.ref, a.agency.name, a.received_date, a.exception) for a in advice],
        *[tuple(row) for row in finals],
        *[tuple(row) for row in examples],
    ]


def test_seeded_partnership_follows_the_panel_rules_and_is_reproducible(app: Flask) -> None:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.scoring.models import Audit
    from qa_app.extensions import db
    from qa_app.register.models import Plan

    with app.app_context():
        summary = seed_partnership(TODAY, _rubric_versions())
        assert summary.plans >= 250 and summary.users == len(DEMO_USERS)
        assert summary.audits == 2 * summary.final_grades > 0
        assert summary.good_practice_examples == 5
        refs = db.session.scalars(select(Plan.ref)).all()
        assert all(re.fullmatch(r"EHCP-20\d\d-\d{4}", ref) for ref in refs)

        for audit in db.session.scalars(select(Audit)):
            writer = audit.plan.agency_id if audit.plan else audit.advice.agency_id
            assert audit.auditor.agency_id != writer
            assert audit.status == "submitted"
            for score in audit.scores:
                assert score.grade is None or score.grade >= 3 or score.evidence

        rates = {}
        for cycle in db.session.scalars(select(Cycle).order_by(Cycle.start_date)):
            finals = db.session.scalars(
                select(FinalGrade).where(FinalGrade.cycle_id == cycle.id)
            ).all()
            for final in finals:
                assert (final.method == "moderated") == bool(final.reason)
                assert final.criteria and final.finalised_by_id
            plans = [f.good_or_better for f in finals if f.plan_id]
            if cycle.status == "closed":
                rates[cycle.name] = sum(plans) / len(plans)
            else:
                assert not finals and cycle.start_date <= TODAY <= cycle.end_date
        assert list(rates) == ["Autumn term 2025", "Spring term 2026"]
        autumn, spring = rates["Autumn term 2025"], rates["Spring term 2026"]
        assert 0.55 <= autumn <= spring <= 0.85

        first = _snapshot()
        db.session.rollback()
        seed_partnership(TODAY, _rubric_versions())
        assert _snapshot() == first
        db.session.rollback()


@pytest.mark.parametrize("today", [TODAY, *DAYS, *HOLIDAYS])
def test_the_cycles_are_the_terms_around_today(today: date) -> None:
    from qa_app.timeutil import academic_year

    cycles = demo_cycles(today)
    assert len([c for c in cycles if c.end < today]) == 2
    assert len(cycles) <= 3 and len({c.name for c in cycles}) == len(cycles)
    latest = cycles[-1]
    assert academic_year(latest.end) == academic_year(today)
    assert latest.end <= today + TERM
    for earlier, later in zip(cycles, cycles[1:], strict=False):
        assert earlier.end < later.start
    for cycle in cycles:
        assert cycle.end.weekday() == 4 and cycle.end - timedelta(days=7) >= cycle.start


# --- the later features, as `ehcp-qa demo` leaves them ----------------------------------------



def _next_holiday_day(today: date) -> date:
    """The first day from `today` on which no term is under way (the demo then has no open
    cycle); never far off."""
    from qa_app.demo.terms import recent_terms

    day = today
    while len(recent_terms(day)) == 3:
        day += timedelta(days=1)
    return day


def _populate(today: date) -> None:
    """What `ehcp-qa demo` does before it serves, on a chosen day."""
    from qa_app.demo.command import populate
    from qa_app.extensions import db
    from qa_app.standards.operations import load_rubric_directory

    populate(load_rubric_directory().current, today)
    db.session.commit()


def _check_features(today: date) -> dict[str, object]:
    """Each later feature has its demo rows, dated no later than `today` and consistent with
    the panels' calendar; the stored rates still equal a recount. Returns what pages show."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.board.models import BoardReport
    from qa_app.calibration.models import CalibrationReference, CalibrationRound
    from qa_app.challenges.models import GradeChallenge
    from qa_app.challenges.operations import last_day, local_date
    from qa_app.extensions import db
    from qa_app.learning.models import LearningBrief
    from qa_app.letters.working_days import is_working_day
    from qa_app.library.models import PracticeExample
    from qa_app.reaudit.models import ReauditMark
    from qa_app.reaudit.operations import graded_on
    from qa_app.reporting.freshness import stale_reason
    from qa_app.reporting.models import RateSnapshot
    from qa_app.reporting.operations import current_targets
    from qa_app.reporting.periods import CYCLE
    from qa_app.reporting.queries import current_run
    from qa_app.surveys.figures import family_figures

    closed = db.session.scalars(select(Cycle).where(Cycle.status == "closed")
                                .order_by(Cycle.start_date)).all()
    latest = closed[-1]
    for cycle in closed:
        assert stale_reason(cycle.id) is None
        plans = db.session.scalars(select(FinalGrade.good_or_better).where(
            FinalGrade.cycle_id == cycle.id, FinalGrade.plan_id.is_not(None))).all()
        stored = db.session.execute(select(RateSnapshot.good, RateSnapshot.n).where(
            RateSnapshot.run_id == current_run(CYCLE, str(cycle.id)).id,
            RateSnapshot.measure == "plans_good_or_better", RateSnapshot.scope == "all",
            RateSnapshot.agency_id.is_(None))).one()
        assert tuple(stored) == (sum(plans), len(plans))

    examples = db.session.scalars(select(PracticeExample)).all()
    approved = [e for e in examples if e.status == "approved"]
    pending = [e for e in examples if e.status == "pending"]
    assert len(approved) >= 3 and len(pending) == 1
    for example in approved:
        assert example.created_at <= example.decided_at and example.decided_at.date() <= today

    rounds = db.session.scalars(select(CalibrationRound)).all()
    assert [r.status for r in rounds] == ["closed"]
    assert sum(m.submitted_at is not None for m in rounds[0].participants) >= 3
    assert db.session.scalars(select(CalibrationReference)
                              .where(CalibrationReference.round_id == rounds[0].id)).all()
    assert rounds[0].closed_at.date() <= today

    challenges = {c.status: c for c in db.session.scalars(select(GradeChallenge))}
    assert set(challenges) == {"upheld", "open"}
    assert challenges["open"].final_grade.cycle_id == latest.id
    for challenge in challenges.values():
        finalised = local_date(challenge.final_grade.finalised_at)
        assert finalised <= challenge.raised_at.date() <= last_day(challenge.final_grade)
    assert challenges["upheld"].raised_at < challenges["upheld"].decided_at
    assert challenges["upheld"].decided_at.date() <= today

    marks = db.session.scalars(select(ReauditMark).order_by(ReauditMark.id)).all()
    assert len(marks) == 2 and all(m.from_cycle_id == latest.id for m in marks)
    amended = [m for m in marks if m.amended_on is not None]
    assert len(amended) == 1 and graded_on(amended[0]) <= amended[0].amended_on <= today

    report = db.session.scalars(select(BoardReport)).one()
    assert report.cycle_id == latest.id and report.status == "collecting"
    assert report.board_date > today and is_working_day(report.board_date)
    answered = [r for r in report.requests if r.commentary]
    assert len(answered) == 1 and len(report.requests) > 1

    brief = db.session.scalars(select(LearningBrief)).one()
    assert brief.cycle_id == latest.id

    families = family_figures(latest.id, current_targets().min_n).partnership
    assert families.shown
    return {"latest": latest, "pending": pending[0], "open": challenges["open"],
            "upheld": challenges["upheld"], "amended": amended[0], "report": report,
            "answered": answered[0], "families": families}


def _page(app: Flask, email: str, path: str) -> tuple[int, str]:
    from qa_app.demo.seed import DEMO_USERS
    from tests.factories.web import sign_in

    client = app.test_client()
    password = next(u.password for u in DEMO_USERS if u.email == email)
    assert sign_in(client, email, password).status_code == 302
    page = client.get(path)
    return page.status_code, html.unescape(page.get_data(as_text=True))


def _lead_of(agency_id: int) -> str:
    from qa_app.auth.models import User
    from qa_app.extensions import db

    return db.session.scalars(select(User.email).where(
        User.role == "agency_lead", User.agency_id == agency_id)).first()


def test_the_demo_shows_each_later_feature_to_the_right_people(app: Flask) -> None:
    from qa_app.demo.library import EARLIER, LATEST
    from qa_app.extensions import db

    today = date.today()
    with app.app_context():
        _populate(today)
        seeded = _check_features(today)
        latest, report = seeded["latest"], seeded["report"]
        open_ref = seeded["open"].final_grade.advice.ref
        upheld_ref = seeded["upheld"].final_grade.advice.ref
        open_lead = _lead_of(seeded["open"].agency_id)
        amended_lead = _lead_of(seeded["amended"].agency_id)
        answering_lead = _lead_of(seeded["answered"].agency_id)
        commentary = seeded["answered"].commentary
        families = seeded["families"]
        db.session.remove()

    approved = EARLIER[0].excerpt[-60:]
    waiting = LATEST[-1].excerpt[-50:]
    expected = [
        ("lead.ep@example.org", "/library/", [approved], [waiting]),
        ("chair.two@example.org", "/library/waiting", [waiting], []),
        ("qi.manager@example.org", "/calibration/", ["Closed"], []),
        ("auditor.ep@example.org", "/calibration/", ["Calibration: EHC plan"], []),
        ("chair.two@example.org", "/challenges/", [open_ref, "Waiting for the chair"], []),
        ("chair.one@example.org", "/challenges/", [upheld_ref, "Upheld: grade stands"], []),
        (open_lead, "/challenges/", [open_ref], [upheld_ref]),
        ("qi.manager@example.org", "/board/", [latest.name, "Collecting commentary"], []),
        ("qi.manager@example.org", f"/board/{report.id}", [commentary[:60]], []),
        (answering_lead, "/board/", ["Commentary saved"], []),
        ("lead.oakfield@example.org", "/learning/", [latest.name, "Published"], []),
        ("lead.oakfield@example.org", f"/learning/cycles/{latest.id}", ["It will not change"],
         []),
        ("qi.manager@example.org", "/re-audits", ["Amended: waiting for the next sample",
                                                  "Waiting for the amendment date"], []),
        (amended_lead, "/re-audits", ["Amended: waiting for the next sample"],
         ["Waiting for the amendment date"]),
        ("qi.manager@example.org", "/surveys/results",
         [f"({families.good} of {families.n})"], []),
    ]
    for email, path, shown, hidden in expected:
        status, page = _page(app, email, path)
        assert status == 200, (email, path)
        for text in shown:
            assert text in page, (email, path, text)
        for text in hidden:
            assert text not in page, (email, path, text)
    assert _page(app, "lead.ep@example.org", "/calibration/")[0] in {403, 404}


def test_the_later_features_are_seeded_in_a_school_holiday_too(app: Flask) -> None:
    holiday = _next_holiday_day(date.today())
    with app.app_context():
        _populate(holiday)
        _check_features(holiday)


FUTURE = date(2032, 5, 12)
"""A term day years ahead: the demo is seeded for its own `today`, never the real date."""


def test_the_demo_seeds_for_a_day_in_the_future_with_answers_dated_by_it(app: Flask) -> None:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.extensions import db
    from qa_app.surveys.models import FAMILY, PRACTITIONER, SurveyLink, SurveyResponse, SurveyRun

    with app.app_context():
        _populate(FUTURE)
        _check_features(FUTURE)
        answers = db.session.execute(
            select(SurveyLink.audience, SurveyLink.cycle_id, SurveyResponse.submitted_on)
            .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)).all()
        assert {audience for audience, _, _ in answers} == {FAMILY, PRACTITIONER}
        assert all(day <= FUTURE for _, _, day in answers)
        for audience, cycle_id, day in answers:
            if audience == FAMILY:
                assert db.session.get(Cycle, cycle_id).end_date < day
        run = db.session.scalars(select(SurveyRun)).one()
        assert run.training_date == FUTURE < run.closes_on
        assert run.name == f"Demo term {FUTURE.year}"
