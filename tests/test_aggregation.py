"""Runs are idempotent, keep history, survive two at once, and keep improvement actions tidy."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun, ImprovementAction, RateSnapshot
from qa_app.reporting.operations import PAUSE_ENV, AggregationError, run_aggregation
from qa_app.reporting.queries import current_run
from tests.factories import aggregation as build

AS_OF = date(2026, 6, 1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def plans_graded(agency_id: int, cycle_id: int, rubric: int, grades: list[int]) -> list[int]:
    ids = []
    for grade in grades:
        plan = build.plan(agency_id).id
        ids.append(build.final_grade(rubric, grade, cycle_id=cycle_id, plan_id=plan,
                                     criteria={"child_voice": 3}).id)
    return ids


@pytest.fixture()
def partnership(app):
    """One agency whose plans are 2 of 10 good or better in Autumn 2025 (red against 80%);
    every child-voice grade is good."""
    with app.app_context():
        la = build.agency("Casework", "local_authority").id
        rubric = build.rubric().id
        autumn = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        grades = plans_graded(la, autumn, rubric, [3, 3] + [2] * 8)
        db.session.commit()
    return {"agency": la, "rubric": rubric, "cycle": autumn, "grades": grades}


def aggregate(app, **kwargs) -> dict:
    with app.app_context():
        result = run_aggregation(as_of=AS_OF, **kwargs)
        db.session.commit()
        return result


def test_rerunning_with_the_same_inputs_changes_nothing(app, partnership):
    first = aggregate(app)
    assert [p["status"] for p in first["periods"]] == ["new", "new"]
    with app.app_context():
        runs = {r.id: r.computed_at for r in db.session.execute(select(AggregationRun)).scalars()}
        rates, log = count(RateSnapshot), count(AuditLogEntry)
    second = aggregate(app)
    assert [p["status"] for p in second["periods"]] == ["unchanged", "unchanged"]
    assert [p["run_id"] for p in second["periods"]] == [p["run_id"] for p in first["periods"]]
    with app.app_context():
        again = {r.id: r.computed_at for r in db.session.execute(select(AggregationRun)).scalars()}
        assert again == runs
        assert count(RateSnapshot) == rates and count(AuditLogEntry) == log


def test_new_inputs_make_a_new_current_run_and_keep_the_old(app, partnership):
    aggregate(app)
    with app.app_context():
        before = current_run("academic_year", "2025/26")
        before_id, before_hash = before.id, before.inputs_hash
        grade = db.session.get(FinalGrade, partnership["grades"][-1])
        grade.grade, grade.good_or_better = 3, True
        db.session.commit()
    result = aggregate(app, year="2025/26")
    assert [p["status"] for p in result["periods"]] == ["new"]
    with app.app_context():
        now = current_run("academic_year", "2025/26")
        assert now.id != before_id and now.inputs_hash != before_hash
        assert count(AggregationRun) == 3
        rate = db.session.execute(select(RateSnapshot).where(
            RateSnapshot.run_id == now.id, RateSnapshot.agency_id.is_(None),
            RateSnapshot.measure == "plans_good_or_better", RateSnapshot.scope == "all")
        ).scalar_one()
        assert (rate.n, rate.good) == (10, 3)
        grade = db.session.get(FinalGrade, partnership["grades"][-1])
        grade.grade, grade.good_or_better = 2, False
        db.session.commit()
    restored = aggregate(app, year="2025/26")
    assert [p["status"] for p in restored["periods"]] == ["restored"]
    with app.app_context():
        assert current_run("academic_year", "2025/26").id == before_id
        assert count(AggregationRun) == 3


def test_two_runs_at_once_store_one_result(app, partnership, monkeypatch):
    monkeypatch.setenv(PAUSE_ENV, "0.05")
    barrier, errors, results = threading.Barrier(2), [], []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(aggregate(app))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    statuses = sorted(p["status"] for r in results for p in r["periods"])
    assert statuses == ["new", "new", "unchanged", "unchanged"]
    with app.app_context():
        assert count(AggregationRun) == 2
        per_run = db.session.execute(
            select(RateSnapshot.run_id, func.count()).group_by(RateSnapshot.run_id)
        ).all()
        assert {n for _, n in per_run} == {p["rates"] for p in results[0]["periods"]}
        assert count(ImprovementAction) == 1


def test_improvement_action_opens_once_and_closes_on_recovery(app, partnership):
    aggregate(app)
    aggregate(app)
    with app.app_context():
        actions = db.session.execute(select(ImprovementAction)).scalars().all()
        assert [(a.measure, a.scope, a.academic_year, a.status) for a in actions] == [
            ("plans_good_or_better", "all", "2025/26", "open")]
        assert "20.0% (2 of 10" in actions[0].reason
        for grade_id in partnership["grades"]:
            grade = db.session.get(FinalGrade, grade_id)
            grade.grade, grade.good_or_better = 3, True
        db.session.commit()
    result = aggregate(app)
    assert (result["actions_opened"], result["actions_closed"]) == (0, 1)
    aggregate(app)
    with app.app_context():
        action = db.session.execute(select(ImprovementAction)).scalar_one()
        assert action.status == "closed" and action.closed_at is not None
        assert action.closing_note.startswith("Recovered in 2025/26: 100.0% (10 of 10")
        logged = db.session.execute(
            select(AuditLogEntry.action).where(AuditLogEntry.record_type == "improvement_action")
            .order_by(AuditLogEntry.id)
        ).scalars().all()
        assert logged == ["improvement_action.opened", "improvement_action.closed"]


def test_amber_does_not_close_an_action(app, partnership):
    aggregate(app)
    with app.app_context():
        for grade_id in partnership["grades"][2:7]:
            grade = db.session.get(FinalGrade, grade_id)
            grade.grade, grade.good_or_better = 3, True
        db.session.commit()
    aggregate(app)  # 7 of 10: near target (80% is inside the interval), not yet recovered
    with app.app_context():
        assert db.session.execute(select(ImprovementAction.status)).scalar_one() == "open"


def late_advice(agency_id: int, plan_id: int, start: date, on_time: int, late: int) -> None:
    for index in range(on_time + late):
        requested = start + timedelta(days=index)
        due = requested + timedelta(days=42)
        received = due if index < on_time else due + timedelta(days=3)
        build.advice(plan_id, agency_id, requested=requested, received=received)


def test_consistently_late_advice_opens_one_action_and_closes_it(app):
    with app.app_context():
        health, la = build.agency("Health").id, build.agency("Casework", "local_authority").id
        plan = build.plan(la).id
        for name, start, end in [("Autumn 2025", date(2025, 9, 1), date(2025, 12, 19)),
                                 ("Spring 2026", date(2026, 1, 5), date(2026, 3, 27))]:
            build.cycle(name, start, end)
            late_advice(health, plan, start - timedelta(days=40), on_time=2, late=4)
        db.session.commit()
    aggregate(app)
    aggregate(app)
    with app.app_context():
        action = db.session.execute(select(ImprovementAction).where(
            ImprovementAction.scope == "consistently_late")).scalar_one()
        assert (action.agency_id, action.measure, action.status) == (
            health, "advice_on_time", "open")
        assert "Spring 2026: 2 of 6 on time" in action.reason
        build.cycle("Summer 2026", date(2026, 4, 13), date(2026, 5, 22))
        late_advice(health, plan, date(2026, 3, 2), on_time=6, late=0)
        db.session.commit()
    aggregate(app)
    with app.app_context():
        action = db.session.execute(select(ImprovementAction).where(
            ImprovementAction.scope == "consistently_late")).scalar_one()
        assert action.status == "closed" and "Summer 2026: 6 of 6 on time" in action.closing_note


def test_an_unknown_period_is_refused_without_writing(app, partnership):
    with app.app_context():
        with pytest.raises(AggregationError, match="no audit cycle called 'Winter'"):
            run_aggregation(cycle="Winter", as_of=AS_OF)
        with pytest.raises(AggregationError, match="not an academic year"):
            run_aggregation(year="2025-26", as_of=AS_OF)
        with pytest.raises(AggregationError, match="not a period kind"):
            run_aggregation("term", "1", as_of=AS_OF)
        db.session.rollback()
        assert count(AggregationRun) == 0


def test_a_broken_targets_file_is_reported(app, partnership, tmp_path):
    (tmp_path / "targets.yaml").write_text("version: 1\ntargets: [{measure: nope}]\n")
    old = app.config["RUBRICS_DIR"]
    app.config["RUBRICS_DIR"] = tmp_path
    try:
        with app.app_context(), pytest.raises(AggregationError, match="targets file"):
            run_aggregation(as_of=AS_OF)
    finally:
        app.config["RUBRICS_DIR"] = old


def test_the_task_runs_in_process_and_records_the_job(app, partnership):
    from qa_app.jobs import JobRun, enqueue_record
    from qa_app.reporting.tasks import aggregate as task

    with app.app_context():
        job = enqueue_record("aggregate", {})
        db.session.commit()
        job_id = job.id
        # Inside this app's context: another test in the same process may have built (and
        # bound) an app of its own, with its own database.
        task.delay(None, None, job_id).get()
        task.delay("cycle", "999", job_id).get()
        db.session.remove()
        job = db.session.get(JobRun, job_id)
        assert job.status == "failed" and "no audit cycle" in job.message
        assert count(AggregationRun) == 2
