"""The demo's letters look live on whatever day it is seeded: responses due, none months late."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from qa_app.demo.letters import issue_date, schedule

DAYS = [date(2026, 12, 4), date(2027, 3, 15), date(2027, 7, 1)]
LATEST_LATE_DAYS = 30


def _seed_and_issue(today: date) -> int:
    """What `ehcp-qa demo` does before it serves, on a chosen day."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.demo.letters import issue_demo_letters
    from qa_app.demo.seed import seed_partnership
    from qa_app.extensions import db
    from qa_app.jobs import launch
    from qa_app.standards.operations import load_rubric_directory

    seed_partnership(today, load_rubric_directory().current)
    db.session.commit()
    launch("aggregate", {"period_kind": None, "period_key": None}, origin="demo")
    closed = db.session.scalars(select(Cycle.id).where(Cycle.status == "closed")).all()
    for cycle_id in closed:
        run = launch("generate_cycle_letters", {"cycle_id": cycle_id, "partial": False},
                     origin="demo").run
        assert run.status == "done", run.message
    return issue_demo_letters(today)


@pytest.mark.parametrize("today", DAYS)
def test_demo_letters_await_responses_and_none_is_months_late(app: Flask, today: date) -> None:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.scoring.models import Audit
    from qa_app.extensions import db
    from qa_app.letters.models import Letter, LetterResponse

    with app.app_context():
        assert _seed_and_issue(today) > 0
        issued = db.session.execute(
            select(Letter, LetterResponse, Cycle)
            .join(LetterResponse, LetterResponse.letter_id == Letter.id)
            .join(Cycle, Cycle.id == Letter.cycle_id)
            .where(Letter.status == "issued")
        ).all()
        waiting = [r for _, r, _ in issued if r.submitted_at is None]
        assert waiting and any(r.due_date > today for r in waiting)
        assert all(r.due_date >= today - timedelta(days=LATEST_LATE_DAYS) for r in waiting)
        answered = [r for _, r, _ in issued if r.submitted_at is not None]
        assert answered and sum(r.submitted_late for r in answered) <= 1
        for letter, response, cycle in issued:
            assert cycle.end_date <= letter.letter_date <= today
            if response.submitted_at is not None:
                assert letter.letter_date <= response.submitted_at.date() <= today
                assert response.presented_on is None or response.presented_on <= today
        assert len({cycle.id for _, _, cycle in issued}) == 2
        assert max(db.session.scalars(select(Audit.audit_date))) <= today
        assert max(db.session.scalars(select(FinalGrade.audit_date))) <= today


@pytest.mark.parametrize("today", [*DAYS, date(2026, 12, 28), date(2027, 8, 20)])
def test_the_latest_cycle_letters_are_recent_and_on_working_days(app: Flask,
                                                                 today: date) -> None:
    from qa_app.demo.terms import recent_terms
    from qa_app.letters.working_days import is_working_day

    ended = [term for term in recent_terms(today) if term.end < today]
    with app.app_context():
        earlier = schedule(ended[0].end, 8, today, latest=False)
        latest = schedule(ended[1].end, 8, today, latest=True)
    assert is_working_day(earlier.issued_on) and is_working_day(latest.issued_on)
    assert ended[1].end <= latest.issued_on <= today
    assert latest.issued_on >= today - timedelta(days=16)
    assert sum(day is None for day in latest.answered_on) == 6
    assert None not in earlier.answered_on and earlier.presented_on is not None
    assert max(d for d in (*earlier.answered_on, *latest.answered_on) if d) <= today


def test_a_letter_is_issued_on_a_working_day_no_earlier_than_its_cycle_ends() -> None:
    end = date(2026, 12, 18)
    assert issue_date(end, date(2026, 12, 19), latest=True) == end
    assert issue_date(end, date(2026, 12, 22), latest=True) == date(2026, 12, 22)
    assert issue_date(end, date(2027, 1, 4), latest=True) == date(2026, 12, 31)
    assert issue_date(end, date(2027, 3, 1), latest=True) == date(2027, 2, 17)
    assert issue_date(end, date(2027, 3, 1), latest=False) == date(2026, 12, 31)
