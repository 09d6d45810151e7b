"""A cycle is found by its name in any case and spacing, or by its id, wherever one is named:
the cycles, sample, panels and letters commands and the aggregation's periods alike."""

from __future__ import annotations

from datetime import date

import pytest

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.cycles.queries import find_cycle
from qa_app.extensions import db
from tests import factories as make

SPRING = "Spring term 2026"


@pytest.fixture()
def spring(app) -> int:
    return make.on(app).cycle(SPRING, date(2026, 1, 5), date(2026, 3, 27)).id


@pytest.mark.parametrize("asked", [SPRING, "spring term 2026", "SPRING TERM 2026",
                                   "  Spring   term 2026 "])
def test_a_cycle_is_found_by_its_name_in_any_case_and_spacing(app, spring, asked):
    with app.app_context():
        found = find_cycle(asked)
        assert found is not None and found.id == spring


def test_a_cycle_is_found_by_its_id_and_an_unknown_name_finds_nothing(app, spring):
    with app.app_context():
        assert find_cycle(str(spring)).name == SPRING
        assert find_cycle("Summer term 2026") is None
        assert find_cycle("") is None


def test_an_exact_name_is_preferred_to_one_that_differs_only_in_case(app, spring):
    with app.app_context():
        db.session.add(Cycle(name=SPRING.upper(), start_date=date(2026, 4, 13),
                             end_date=date(2026, 7, 17), academic_year="2025/26"))
        db.session.commit()
        assert find_cycle(SPRING).id == spring
        assert find_cycle(SPRING.upper()).id != spring


def test_cycles_close_finds_the_cycle_named_in_another_case(app, runner, spring):
    closed = runner.invoke(["cycles", "close", "SPRING TERM 2026"])
    assert closed.exit_code == 0, closed.output
    assert "Closed cycle Spring term 2026" in closed.output
    with app.app_context():
        assert db.session.get(Cycle, spring).status == "closed"


def test_letters_generate_finds_the_cycle_named_in_another_case(app, runner, spring):
    result = runner.invoke(["letters", "generate", "--cycle", "spring TERM 2026"])
    assert "no audit cycle called" not in result.output
    assert result.exit_code != 0 and "have not been computed yet" in result.output


def test_the_aggregation_period_finds_the_cycle_named_in_another_case(app, spring):
    from qa_app.reporting.periods import PeriodError
    from qa_app.reporting.periods import find_cycle as period_cycle

    with app.app_context():
        assert period_cycle("spring term 2026").id == spring
        with pytest.raises(PeriodError, match="no audit cycle called 'Winter'"):
            period_cycle("Winter")
