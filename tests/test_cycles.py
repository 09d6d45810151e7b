"""Cycles (create, edit, close, reopen; one academic year each) and the `ehcp-qa cycles` and
`ehcp-qa sample draw|export` commands, with bad input refused clearly and nothing changed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.cycles.models import Cycle, Sample
from qa_app.audits.cycles.operations import (
    close_cycle,
    create_cycle,
    edit_cycle,
    parse_date,
    reopen_cycle,
)
from qa_app.audits.errors import CycleError
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from tests import factories as make


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _log(action: str) -> list[AuditLogEntry]:
    return list(db.session.execute(
        select(AuditLogEntry).where(AuditLogEntry.action == action).order_by(AuditLogEntry.id)
    ).scalars())


@pytest.mark.parametrize("text", ["05/01/2026", "5/1/2026", "2026-01-05", " 05/01/2026 "])
def test_dates_are_read_in_uk_or_iso_form(text):
    assert parse_date(text) == date(2026, 1, 5)


@pytest.mark.parametrize(
    "text", ["31/02/2026", "tomorrow", "2026/01/05", "05-01-2026", "01/13/2026"]
)
def test_bad_date_text_gets_a_message_showing_the_expected_form(text):
    with pytest.raises(CycleError, match="dd/mm/yyyy"):
        parse_date(text, "start date")


def test_empty_date_asks_for_one():
    with pytest.raises(CycleError, match="Enter the end date"):
        parse_date("  ", "end date")


@pytest.mark.parametrize(
    ("start", "end", "year"),
    [
        (date(2025, 9, 1), date(2025, 12, 19), "2025/26"),
        (date(2026, 1, 5), date(2026, 3, 27), "2025/26"),
        (date(2026, 6, 1), date(2026, 8, 31), "2025/26"),
        (date(2026, 9, 1), date(2026, 9, 1), "2026/27"),
        (date(2099, 9, 1), date(2100, 7, 1), "2099/00"),
    ],
)
def test_the_academic_year_comes_from_the_start_date(app, start, end, year):
    with app.app_context():
        cycle = create_cycle("A cycle", start, end)
        db.session.commit()
        assert cycle.academic_year == year and cycle.status == "open"
        entry = _log("cycle.create")[0]
        assert entry.record_id == str(cycle.id) and entry.changes["academic_year"] == year


@pytest.mark.parametrize(
    ("name", "start", "end", "message"),
    [
        ("Spring", date(2026, 3, 1), date(2026, 2, 28),
         "end date (28/02/2026) must be the same as or after the start date (01/03/2026)"),
        ("Summer", date(2026, 6, 1), date(2026, 9, 30),
         "01/06/2026 is in 2025/26 but 30/09/2026 is in 2026/27"),
        ("   ", date(2026, 1, 5), date(2026, 3, 27), "Enter a name"),
        ("x" * 121, date(2026, 1, 5), date(2026, 3, 27), "at most 120 characters"),
        ("spring  TERM 2026", date(2026, 1, 5), date(2026, 3, 27),
         "A cycle called 'Spring term 2026' already exists"),
    ],
)
def test_bad_cycles_are_refused_and_nothing_is_written(app, name, start, end, message):
    with app.app_context():
        create_cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27))
        db.session.commit()
        with pytest.raises(CycleError) as refused:
            create_cycle(name, start, end)
        assert message in str(refused.value)
        db.session.rollback()
        assert _count(Cycle) == 1 and len(_log("cycle.create")) == 1


def test_edit_changes_name_and_dates_and_logs_each_change(app):
    with app.app_context():
        cycle = create_cycle("Spring", date(2026, 1, 5), date(2026, 3, 27))
        edit_cycle(cycle, "Spring term 2026", date(2026, 1, 6), date(2026, 3, 27))
        db.session.commit()
        assert (cycle.name, cycle.start_date) == ("Spring term 2026", date(2026, 1, 6))
        changes = _log("cycle.edit")[0].changes
        assert changes == {"name": ["Spring", "Spring term 2026"],
                           "start_date": ["2026-01-05", "2026-01-06"]}
        edit_cycle(cycle, "Spring term 2026", date(2026, 1, 6), date(2026, 3, 27))
        assert len(_log("cycle.edit")) == 1  # no change, no entry


def test_edit_refuses_a_duplicate_name_bad_dates_and_a_closed_cycle(app):
    with app.app_context():
        create_cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))
        spring = create_cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27))
        db.session.commit()
        with pytest.raises(CycleError, match="already exists"):
            edit_cycle(spring, "autumn term 2025", spring.start_date, spring.end_date)
        db.session.rollback()
        with pytest.raises(CycleError, match="must be the same as or after"):
            edit_cycle(spring, spring.name, date(2026, 3, 1), date(2026, 1, 1))
        db.session.rollback()
        close_cycle(spring)
        with pytest.raises(CycleError, match="closed: reopen it"):
            edit_cycle(spring, "Renamed", spring.start_date, spring.end_date)
        db.session.rollback()
        assert db.session.get(Cycle, spring.id).name == "Spring term 2026"


def test_a_cycle_with_audits_cannot_move_to_another_academic_year(app):
    with app.app_context():
        cycle = create_cycle("Summer term 2026", date(2026, 4, 13), date(2026, 7, 17))
        version = RubricVersion(rubric_id="ehcp-plan", version="1", title="Plan",
                                applies_to="plan", content_hash="0" * 64, body={})
        db.session.add(version)
        db.session.flush()
        db.session.add(Audit(cycle_id=cycle.id, rubric_version_id=version.id,
                             plan_id=_a_plan()))
        db.session.commit()
        with pytest.raises(CycleError, match="already has audits counted in 2025/26"):
            edit_cycle(cycle, cycle.name, date(2026, 9, 7), date(2026, 12, 18))
        db.session.rollback()
        edit_cycle(cycle, cycle.name, date(2026, 4, 20), date(2026, 7, 17))  # same year: fine


def _a_plan() -> int:
    from qa_app.register.models import Agency, Plan

    agency = Agency(name="SEND Casework Team", type="local_authority")
    db.session.add(agency)
    db.session.flush()
    plan = Plan(ref="EHCP-X-1", agency_id=agency.id, nc_year=5, plan_kind="new")
    db.session.add(plan)
    db.session.flush()
    return plan.id


def test_close_and_reopen_are_logged_and_refused_twice(app):
    with app.app_context():
        cycle = create_cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))
        close_cycle(cycle)
        with pytest.raises(CycleError, match="already closed"):
            close_cycle(cycle)
        reopen_cycle(cycle)
        with pytest.raises(CycleError, match="already open"):
            reopen_cycle(cycle)
        db.session.commit()
        assert cycle.status == "open"
        assert len(_log("cycle.close")) == 1 and len(_log("cycle.reopen")) == 1


# --- ehcp-qa cycles -----------------------------------------------------------------------


def test_cycles_commands_create_list_close(app, runner):
    made = runner.invoke(["cycles", "create", "--name", "Spring term 2026", "--start",
                          "05/01/2026", "--end", "2026-03-27"])
    assert made.exit_code == 0, made.output
    assert "Spring term 2026 (2025/26, 05/01/2026 to 27/03/2026)" in made.output
    listing = runner.invoke(["cycles", "list"])
    assert "Spring term 2026" in listing.output and "open" in listing.output
    closed = runner.invoke(["cycles", "close", "spring term 2026"])
    assert closed.exit_code == 0 and "Closed cycle Spring term 2026" in closed.output
    assert "closed" in runner.invoke(["cycles", "list"]).output
    assert runner.invoke(["cycles", "reopen", "Spring term 2026"]).exit_code == 0


def test_cycles_list_when_there_are_none(app, runner):
    assert "No cycles yet" in runner.invoke(["cycles", "list"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--name", "A", "--start", "31/02/2026", "--end", "01/03/2026"],
         "The start date must be a real date written as dd/mm/yyyy"),
        (["create", "--name", "A", "--start", "next monday", "--end", "01/03/2026"],
         "'next monday'"),
        (["create", "--name", "A", "--start", "01/03/2026", "--end", "01/02/2026"],
         "must be the same as or after the start date"),
        (["create", "--name", "A", "--start", "01/07/2026", "--end", "01/10/2026"],
         "within one academic year"),
        (["create", "--name", "Autumn term 2025", "--start", "01/09/2025", "--end",
          "01/10/2025"], "already exists"),
        (["close", "No such cycle"], "No cycle called 'No such cycle'"),
        (["close", "Autumn term 2025"], "Autumn term 2025 is already closed"),
    ],
)
def test_cycles_commands_bad_input_is_one_clear_message(app, runner, args, message):
    runner.invoke(["cycles", "create", "--name", "Autumn term 2025", "--start", "01/09/2025",
                   "--end", "19/12/2025"])
    runner.invoke(["cycles", "close", "Autumn term 2025"])
    result = runner.invoke(["cycles", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert _count(Cycle) == 1


# --- ehcp-qa sample draw|export -----------------------------------------------------------


@pytest.fixture()
def register(app):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("=Educational Psychology Service", "education")
    for i in range(12):
        plan = make.on(app).plan(casework.id, ref=f"EHCP-{i:02d}", nc_year=(9, 3, 7)[i % 3])
        make.on(app).advice(plan.id, health.id, received=date(2025, 10, 1))
        if i == 7:
            make.on(app).advice(plan.id, psychology.id, advice_type="educational_psychology",
                                received=date(2025, 10, 2))
    make.on(app).plan(casework.id, ref="EHCP-99", nc_year=5)  # no advice at all
    return casework


def _spring(runner) -> None:
    result = runner.invoke(["cycles", "create", "--name", "Spring term 2026", "--start",
                            "05/01/2026", "--end", "27/03/2026"])
    assert result.exit_code == 0, result.output


def test_sample_draw_then_export_csv(app, runner, register, tmp_path):
    _spring(runner)
    drawn = runner.invoke(["sample", "draw", "--cycle", "Spring term 2026", "--size", "4",
                           "--seed", "31", "--transition-share", "0.5"])
    assert drawn.exit_code == 0, drawn.output
    assert "Drew 4 plans" in drawn.output and "seed 31" in drawn.output
    assert "transition_year: 2" in drawn.output
    exported = runner.invoke(["sample", "export", "--cycle", "Spring term 2026"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.output)))
    assert rows[0] == ["plan_ref", "advice_ref", "stratum", "nc_year", "transition_year",
                       "agency", "advice_type"]
    plan_rows = [r for r in rows[1:] if r[1] == ""]
    advice_rows = [r for r in rows[1:] if r[1] != ""]
    assert len(plan_rows) == 4 and "EHCP-07" in [r[0] for r in plan_rows]
    for _ref, _, stratum, year, transition, agency, advice_type in plan_rows:
        assert agency == "SEND Casework Team" and advice_type == ""
        assert transition == ("yes" if year in {"5", "9"} else "no")
        assert stratum == ("transition_year" if transition == "yes" else "other")
    psychology = [r for r in advice_rows if r[6] == "educational_psychology"]
    assert psychology and psychology[0][0] == "EHCP-07"
    assert psychology[0][5] == "'=Educational Psychology Service"  # never read as a formula
    assert all(r[2] == f"advice:{r[6]}" for r in advice_rows)
    # each plan's row comes first, followed by its advice
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])
    out = tmp_path / "sample.csv"
    written = runner.invoke(["sample", "export", "--cycle", "Spring term 2026", "--output",
                             str(out)])
    assert written.exit_code == 0 and out.read_text(encoding="utf-8") == exported.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["draw", "--cycle", "Nope", "--size", "3"], "No cycle called 'Nope'"),
        (["draw", "--cycle", "Spring term 2026", "--size", "0"], "at least 1 plan"),
        (["draw", "--cycle", "Spring term 2026", "--size", "3", "--seed", "-4"],
         "seed must be a whole number from 0"),
        (["draw", "--cycle", "Spring term 2026", "--size", "3", "--transition-share", "2"],
         "between 0% and 100%"),
        (["draw", "--cycle", "Spring term 2026", "--size", "3", "--exclude-days", "-1"],
         "exclusion window must be from 0"),
        (["draw", "--cycle", "Spring term 2026", "--size", "three"], "'three' is not a valid"),
        (["export", "--cycle", "Spring term 2026"], "has no sample yet"),
        (["export", "--cycle", "Nope"], "No cycle called 'Nope'"),
    ],
)
def test_sample_commands_bad_input_is_one_clear_message(app, runner, register, args, message):
    _spring(runner)
    result = runner.invoke(["sample", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert _count(Sample) == 0


def test_sample_draw_with_nothing_eligible_says_so(app, runner):
    _spring(runner)
    result = runner.invoke(["sample", "draw", "--cycle", "Spring term 2026", "--size", "3"])
    assert result.exit_code != 0 and "No plans are eligible" in result.output


def test_sample_draw_without_a_seed_prints_the_one_it_chose(app, runner, register):
    _spring(runner)
    result = runner.invoke(["sample", "draw", "--cycle", "Spring term 2026", "--size", "3",
                            "--no-advice"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        sample = db.session.execute(select(Sample)).scalar_one()
        assert f"seed {sample.seed})" in result.output
        assert sample.parameters["include_advice"] is False
        assert not [k for k in sample.parameters["strata"] if k.startswith("advice:")]
