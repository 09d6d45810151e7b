"""The demo partnership: plausible grades, the panel's rules respected, and reproducible."""

from __future__ import annotations

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
    from qa_app.extensions import db
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
    return [
        *[(p.ref, p.nc_year, p.plan_kind, p.request_date, p.issue_date, p.setting) for p in plans],
        *[(a.ref, a.plan.ref, a.agency.name, a.received_date, a.exception) for a in advice],
        *[tuple(row) for row in finals],
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
