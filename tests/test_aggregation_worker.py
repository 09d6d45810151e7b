"""The aggregate task on a real Celery worker over Redis, including a worker killed mid-run."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.jobs import JobRun, enqueue_record
from qa_app.reporting.models import AggregationRun, AgreementSnapshot, RateSnapshot
from qa_app.reporting.operations import PAUSE_ENV, run_aggregation
from tests.factories import aggregation as build
from tests.services import REDIS_URL, need, reachable
from tests.worker import WorkerProcess, wait_for

pytestmark = pytest.mark.worker
TASK = "workers.tasks.aggregate"


@pytest.fixture()
def graded(app):
    """Two cycles of plans and advice with final grades and pairs of panel audits."""
    with app.app_context():
        la, health = build.agency("Casework", "local_authority").id, build.agency("Health").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        for index, (name, start) in enumerate([("Autumn 2025", date(2025, 9, 1)),
                                               ("Spring 2026", date(2026, 1, 5))]):
            cycle = build.cycle(name, start, start + timedelta(days=100)).id
            for n in range(6):
                plan = build.plan(la, nc_year=n + 3, kind="new", issued=start + timedelta(days=n),
                                  requested=start - timedelta(days=130 + 3 * n)).id
                build.final_grade(plan_rubric, 2 + (n + index) % 3, cycle_id=cycle,
                                  plan_id=plan, criteria={"child_voice": 3, "outcomes": 2})
                advice = build.advice(plan, health, requested=start + timedelta(days=n),
                                      received=start + timedelta(days=40 + n), agency_grade=3).id
                build.final_grade(advice_rubric, 3, cycle_id=cycle, advice_id=advice,
                                  criteria={"child_voice": 2 + n % 2})
                for grade in (3, 2 + n % 3):
                    build.panel_audit(plan_rubric, cycle, {"child_voice": grade}, plan_id=plan)
        db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def new_job(app) -> int:
    with app.app_context():
        job = enqueue_record("aggregate", {"period_kind": None, "period_key": None})
        db.session.commit()
        return job.id


def job_state(app, job_id: int) -> tuple[str, int]:
    with app.app_context():
        job = db.session.get(JobRun, job_id)
        return job.status, job.progress


def redeliver_unacked(queue: str) -> int:
    """Put the queue's unacknowledged messages back, as Redis does once the visibility
    timeout (hours, in production) has passed after a worker died holding them."""
    from kombu import Connection

    restored = 0
    with Connection(REDIS_URL) as conn:
        channel = conn.default_channel
        client = channel.client
        for tag, payload in client.hgetall(channel.unacked_key).items():
            _message, _exchange, routing_key = json.loads(payload)
            if routing_key == queue:
                channel.qos.restore_by_tag(tag, client=client, leftmost=True)
                restored += 1
    return restored


def test_aggregate_runs_on_a_real_worker(app, graded, database_url, tmp_path):
    need("Redis", reachable(REDIS_URL, 6379))
    worker = WorkerProcess(database_url, tmp_path)
    worker.start()
    try:
        job_id = new_job(app)
        worker.send(TASK, None, None, job_id)
        assert wait_for(lambda: job_state(app, job_id)[0] == "done"), worker.log()
        worker.send(TASK, "academic_year", "2025/26", new_job(app))
        assert wait_for(lambda: "succeeded" in worker.log().split(TASK)[-1]), worker.log()
    finally:
        worker.stop()
    with app.app_context():
        job = db.session.get(JobRun, job_id)
        assert [p["status"] for p in job.result["periods"]] == ["new", "new", "new"]
        assert count(AggregationRun) == 3 and count(AgreementSnapshot) > 0


def test_a_worker_killed_mid_run_leaves_complete_unduplicated_results(
    app, graded, database_url, tmp_path, monkeypatch
):
    need("Redis", reachable(REDIS_URL, 6379))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv(PAUSE_ENV, "1")
    first = WorkerProcess(database_url, tmp_path / "a")
    first.start()
    monkeypatch.delenv(PAUSE_ENV)
    second = WorkerProcess(database_url, tmp_path / "b", queue=first.queue)
    job_id = new_job(app)
    try:
        first.send(TASK, None, None, job_id)
        mid_run = wait_for(lambda: (s := job_state(app, job_id))[0] == "running" and s[1] >= 20)
        assert mid_run, first.log()
        first.kill()
        with app.app_context():
            assert count(AggregationRun) == 0 and count(RateSnapshot) == 0
        assert redeliver_unacked(first.queue) == 1
        second.start()
        assert wait_for(lambda: job_state(app, job_id)[0] == "done"), second.log()
    finally:
        first.kill()
        second.stop()
    with app.app_context():
        job = db.session.get(JobRun, job_id)
        stored = (count(AggregationRun), count(RateSnapshot), count(AgreementSnapshot))
        assert [p["status"] for p in job.result["periods"]] == ["new", "new", "new"]
        assert stored[1] == sum(p["rates"] for p in job.result["periods"])
        again = run_aggregation(as_of=date.fromisoformat(job.result["as_of"]))
        db.session.commit()
        assert [p["status"] for p in again["periods"]] == ["unchanged"] * 3
        assert (count(AggregationRun), count(RateSnapshot), count(AgreementSnapshot)) == stored
