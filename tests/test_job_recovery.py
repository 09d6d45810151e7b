"""Jobs recover on their own: a worker killed mid-job, or Redis losing its queued messages,
ends with every job done (sent again by the scheduled check) or failed with the reason.

Each test runs a real worker with the schedule (celery beat) on a Redis of its own, with the
stall time and check interval in seconds (JOB_STALL_SECONDS, JOB_CHECK_SECONDS), so nothing
is handed back by hand and the shared Redis is never touched.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.jobs import JobRun, launch
from qa_app.reporting.models import AggregationRun
from qa_app.reporting.operations import PAUSE_ENV
from tests.factories import aggregation as build
from tests.private_redis import PrivateRedis
from tests.worker import WorkerProcess, wait_for

pytestmark = pytest.mark.worker
FAST_RECOVERY = {"JOB_STALL_SECONDS": "2", "JOB_CHECK_SECONDS": "1", "JOB_MAX_ATTEMPTS": "3"}


@pytest.fixture()
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture()
def queue() -> str:
    from tests.services import unique_name

    return unique_name("ehcp_qa_recovery")


@pytest.fixture()
def broker_app(app, redis_server, queue, tmp_path):
    """The app as a web process with a broker: jobs go to the private Redis, on `queue`."""
    from qa_app import create_app
    from workers import celery_init_app

    bound = create_app({
        "ENV_NAME": "test", "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": str(tmp_path / "web"), "CELERY_BROKER_URL": redis_server.url,
        "CELERY_EXTRA": {"task_default_queue": queue},
    })
    yield bound
    celery_init_app(app)


@pytest.fixture()
def graded(app):
    """One cycle with final grades: enough for the aggregation to read, pause and write."""
    with app.app_context():
        la = build.agency("Casework", "local_authority").id
        plan_rubric = build.rubric().id
        start = date(2025, 9, 1)
        cycle = build.cycle("Autumn 2025", start, start + timedelta(days=100)).id
        for n in range(3):
            plan = build.plan(la, nc_year=n + 3, kind="new", issued=start + timedelta(days=n),
                              requested=start - timedelta(days=130)).id
            build.final_grade(plan_rubric, 2 + n % 2, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 3, "outcomes": 2})
        db.session.commit()


def job(app, job_id: int) -> JobRun:
    with app.app_context():
        run = db.session.get(JobRun, job_id)
        db.session.expunge(run)
        return run


def worker(database_url: str, folder, redis_server: PrivateRedis, queue: str, *,
           beat: bool, env: dict[str, str] | None = None) -> WorkerProcess:
    folder.mkdir(exist_ok=True)
    return WorkerProcess(database_url, folder, queue=queue, broker_url=redis_server.url,
                         beat=beat, env={**FAST_RECOVERY, **(env or {})})


def test_a_job_whose_worker_is_killed_is_finished_by_a_new_worker_without_help(
    app, broker_app, graded, database_url, tmp_path, redis_server, queue
):
    first = worker(database_url, tmp_path / "a", redis_server, queue, beat=False,
                   env={PAUSE_ENV: "1"})
    second = worker(database_url, tmp_path / "b", redis_server, queue, beat=True)
    first.start()
    try:
        with broker_app.app_context():
            launched = launch("aggregate", {"period_kind": None, "period_key": None})
        assert launched.queued
        job_id = launched.run.id
        assert wait_for(lambda: job(app, job_id).status == "running", timeout=20), first.log()
        time.sleep(0.5)
        first.kill()
        assert job(app, job_id).status == "running"  # the dead worker said nothing
        killed_at = time.monotonic()
        second.start()
        finished = wait_for(lambda: job(app, job_id).status in {"done", "failed"}, timeout=20)
        took = time.monotonic() - killed_at
    finally:
        first.kill()
        second.stop()
    run = job(app, job_id)
    assert finished and run.status == "done", (run.status, run.message, second.log())
    assert took < 20
    assert run.attempts == 2
    with app.app_context():
        runs = db.session.scalar(select(func.count()).select_from(AggregationRun))
    assert runs == len(run.result["periods"]) == 2  # the cycle and its academic year, once


def test_jobs_queued_when_redis_loses_its_data_are_sent_again(
    app, broker_app, graded, database_url, tmp_path, redis_server, queue
):
    with broker_app.app_context():
        ids = [launch("aggregate", {"period_kind": None, "period_key": None}).run.id,
               launch("nightly_sweep", {"today": "2026-03-01"}).run.id]
    assert [job(app, i).status for i in ids] == ["queued", "queued"]
    redis_server.flush()  # a restart without persistence: the messages are gone
    process = worker(database_url, tmp_path / "w", redis_server, queue, beat=True)
    process.start()
    try:
        ended = wait_for(lambda: all(job(app, i).status in {"done", "failed"} for i in ids),
                         timeout=20)
    finally:
        process.stop()
    runs = [job(app, i) for i in ids]
    assert ended, ([(r.status, r.message) for r in runs], process.log())
    assert [(r.status, r.attempts) for r in runs] == [("done", 2), ("done", 2)]
    assert runs[1].result == {"as_of": "2026-03-01", "overdue_by_agency": {}}
