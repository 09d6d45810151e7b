"""`ehcp-qa aggregate` and `ehcp-qa rates`: summaries, formats, filters and clear errors."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.reporting.commands import FIELDS
from qa_app.reporting.models import AggregationRun, RateSnapshot
from tests.factories import aggregation as build


@pytest.fixture()
def graded(app):
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        health = build.agency("Health").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for grade in (2, 3, 4):
            plan = build.plan(la, nc_year=9).id
            build.final_grade(plan_rubric, grade, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 3})
            advice = build.advice(plan, health, received=date(2025, 10, 1), agency_grade=3).id
            build.final_grade(advice_rubric, grade, cycle_id=cycle, advice_id=advice)
        db.session.commit()


def test_aggregate_prints_what_it_did_and_changes_nothing_the_second_time(runner, graded):
    first = runner.invoke(["aggregate"])
    assert first.exit_code == 0, first.output
    assert "Autumn term 2025  cycle" in first.output and "new" in first.output
    second = runner.invoke(["aggregate", "--cycle", "Autumn term 2025", "--year", "2025/26"])
    assert second.exit_code == 0, second.output
    assert second.output.count("unchanged") == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--cycle", "Winter"], "there is no audit cycle called 'Winter'"),
    (["--year", "2025-26"], "'2025-26' is not an academic year such as 2025/26"),
])
def test_aggregate_refuses_an_unknown_period(app, runner, graded, args, message):
    result = runner.invoke(["aggregate", *args])
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AggregationRun)) == 0


def test_rates_before_any_aggregation(runner, graded):
    result = runner.invoke(["rates"])
    assert result.exit_code == 0 and "run `ehcp-qa aggregate` first" in result.output


def test_rates_as_a_table(runner, graded):
    runner.invoke(["aggregate"])
    result = runner.invoke(["rates", "--year", "2025/26", "--measure", "plans_good_or_better"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["period", "agency", "measure", "scope", "breakdown", "n", "good",
                                "rate", "95%", "interval", "target", "status"]
    partnership = next(line for line in lines if "Partnership" in line and " all " in line)
    cells = re.split(r"\s{2,}", partnership)
    assert cells[5:] == ["3", "2", "66.7%", "20.8-93.9%", "80.0%", "Too few to judge"]


def test_rates_as_csv_and_json_agree_with_the_database(app, runner, graded):
    runner.invoke(["aggregate"])
    as_csv = runner.invoke(["rates", "--format", "csv"])
    as_json = runner.invoke(["rates", "--format", "json"])
    assert as_csv.exit_code == as_json.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    records = json.loads(as_json.output)
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(RateSnapshot))
    assert len(rows) == len(records) == stored
    assert list(rows[0]) == FIELDS == list(records[0])
    voice = next(r for r in records if r["measure"] == "child_voice_good_or_better"
                 and r["agency"] == "Partnership" and r["breakdown"] == "" and
                 r["period_kind"] == "cycle")
    assert (voice["n"], voice["good"], voice["rate"], voice["rag"], voice["status_text"]) == (
        3, 3, 100.0, None, "Too few to judge")  # a sample of 3 is under the minimum of 5
    assert {r["period"] for r in rows} == {"Autumn term 2025", "2025/26"}


def test_rates_for_one_agency(runner, graded):
    runner.invoke(["aggregate"])
    result = runner.invoke(["rates", "--agency", "Health", "--format", "json",
                            "--cycle", "Autumn term 2025"])
    records = json.loads(result.output)
    assert records and {r["agency"] for r in records} == {"Health"}
    assert {r["period"] for r in records} == {"Autumn term 2025"}
    loosely = runner.invoke(["rates", "--agency", "  health ", "--format", "json",
                             "--cycle", "Autumn term 2025"])
    assert json.loads(loosely.output) == records
    unknown = runner.invoke(["rates", "--agency", "Nobody"])
    assert unknown.exit_code != 0 and "No agency called 'Nobody'" in unknown.output
    assert "Traceback" not in unknown.output
