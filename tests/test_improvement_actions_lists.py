"""Where improvement actions show up: one partnership item for a measure most agencies miss,
overdue actions on the owner's and the manager's home pages, and the lines by status that
the board report reads."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from flask import Flask

from qa_app.extensions import db
from qa_app.improvement import views as action_views
from qa_app.improvement.queries import actions_by_status, grouped, is_systemic
from qa_app.main import views as home_views
from qa_app.reporting.models import AggregationRun, ImprovementAction, RateSnapshot
from tests import factories as make

TODAY = date(2026, 3, 10)
PLANS, ON_TIME = "plans_good_or_better", "advice_on_time"


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(home_views, "today", lambda: TODAY)
    monkeypatch.setattr(action_views, "today", lambda: TODAY)


def _rate(run_id: int, measure: str, agency_id: int, good: int) -> None:
    db.session.add(RateSnapshot(run_id=run_id, measure=measure, scope="all", breakdown="",
                                agency_id=agency_id, n=10, good=good, rate=10.0 * good,
                                target=80.0, rag="red" if good < 8 else "green"))


def _action(agency_id: int, measure: str, *, due: date | None = None, owner: int | None = None,
            status: str = "open") -> int:
    row = ImprovementAction(agency_id=agency_id, measure=measure, scope="all",
                            academic_year="2025/26", status=status, reason="Below target.",
                            opened_at=datetime(2025, 12, 1), due_date=due, owner_id=owner,
                            closed_at=datetime(2026, 1, 5) if status == "closed" else None)
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.fixture()
def world(app: Flask) -> dict:
    """Four agencies counted for 2025/26: three below target on plans (one overdue, owned by
    the first agency's lead), one below target on advice on time."""
    with app.app_context():
        agencies = [make.agency(name, "local_authority").id
                    for name in ("Alpha Team", "Bravo Team", "Charlie Team", "Delta Team")]
        run = AggregationRun(period_kind="academic_year", period_key="2025/26",
                             inputs_hash="g" * 64)
        db.session.add(run)
        db.session.flush()
        for index, agency_id in enumerate(agencies):
            _rate(run.id, PLANS, agency_id, 5 if index < 3 else 9)
            _rate(run.id, ON_TIME, agency_id, 5 if index == 3 else 9)
        owner = make.person("agency_lead", agencies[0], "owner@example.org", name="Olive Owner").id
        make.person("agency_lead", agencies[0], "colleague@example.org")
        make.person("qi_manager", None, "manager@example.org")
        ids = {
            "agencies": agencies,
            "overdue": _action(agencies[0], PLANS, due=date(2026, 2, 1), owner=owner),
            "bravo": _action(agencies[1], PLANS, due=date(2026, 6, 1)),
            "charlie": _action(agencies[2], PLANS),
            "delta": _action(agencies[3], ON_TIME, due=date(2026, 3, 9)),
            "old": _action(agencies[3], PLANS, due=date(2026, 1, 1), status="closed"),
        }
        db.session.commit()
    return ids


def test_the_grouping_rule() -> None:
    assert is_systemic(4, 4) and is_systemic(2, 4) and is_systemic(3, 5)
    assert not is_systemic(1, 1)  # one agency alone is not a partnership item
    assert not is_systemic(1, 2) and not is_systemic(2, 5)


def test_a_measure_most_agencies_miss_is_one_partnership_item(app: Flask, world: dict) -> None:
    manager = make.signed_in(app, "manager@example.org")
    page = manager.get("/improvement-actions").get_data(as_text=True)
    items = re.findall(r'data-testid="partnership-item">(.*?)</tr>', page, re.S)
    assert len(items) == 1
    assert "Partnership: 3 of 4 agencies" in items[0]
    assert all(name in items[0] for name in ("Alpha Team", "Bravo Team", "Charlie Team"))
    assert "EHC plans good or better" in items[0] and "Overdue" in items[0]
    # the lone lateness action stays a line of its own, and so does the closed one
    assert page.count('<td class="govuk-table__cell">Advice received on time</td>') == 1
    assert "<details" in items[0]
    filtered = manager.get(f"/improvement-actions?agency={world['agencies'][1]}")
    assert 'data-testid="partnership-item"' not in filtered.get_data(as_text=True)
    with app.app_context():
        from qa_app.improvement.queries import action_lines
        kinds = [type(i).__name__ for i in grouped(action_lines(TODAY))]
        assert kinds.count("PartnershipItem") == 1 and kinds.count("ActionLine") == 2


def test_overdue_actions_on_the_owners_and_the_managers_home_pages(app: Flask,
                                                                   world: dict) -> None:
    def overdue_block(email: str) -> str:
        page = make.signed_in(app, email).get("/").get_data(as_text=True)
        found = re.search(r'data-testid="overdue-actions".*?</dl>', page, re.S)
        return found.group(0) if found else ""

    owner = overdue_block("owner@example.org")
    assert "Alpha Team" in owner and "1 February 2026" in owner
    assert "Delta Team" not in owner
    assert overdue_block("colleague@example.org") == ""  # not theirs to act on
    manager = overdue_block("manager@example.org")
    # a plain recount: not closed and due before today
    assert [name for name in ("Alpha Team", "Bravo Team", "Charlie Team", "Delta Team")
            if name in manager] == ["Alpha Team", "Delta Team"]
    assert f"/improvement-actions/{world['overdue']}" in manager


def test_actions_by_status_for_the_board_report(app: Flask, world: dict) -> None:
    with app.app_context():
        sections = dict(actions_by_status(TODAY))
    assert list(sections) == ["Overdue", "Open", "Waiting for confirmation", "Closed this year"]
    assert [(line.agency_name, line.owner_name) for line in sections["Overdue"]] == [
        ("Alpha Team", "Olive Owner"), ("Delta Team", None)]
    assert [line.agency_name for line in sections["Open"]] == ["Bravo Team", "Charlie Team"]
    assert sections["Waiting for confirmation"] == []
    closed = sections["Closed this year"]
    assert [(line.agency_name, line.status_text, line.overdue) for line in closed] == [
        ("Delta Team", "Closed", False)]
    line = sections["Overdue"][0]
    assert line.measure_text == "EHC plans good or better" and line.academic_year == "2025/26"
    assert line.url == f"/improvement-actions/{world['overdue']}"
