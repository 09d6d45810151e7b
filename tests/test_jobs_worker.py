"""Jobs run on a real Celery worker over Redis and write to the database in an app context."""

from __future__ import annotations

from datetime import date

import pytest

from qa_app.extensions import db
from qa_app.jobs import JobRun, enqueue_record
from tests import factories as make
from tests.services import REDIS_URL, need, reachable
from tests.worker import WorkerProcess, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def worker(app, database_url, tmp_path_factory):
    need("Redis", reachable(REDIS_URL, 6379))
    process = WorkerProcess(database_url, tmp_path_factory.mktemp("worker"))
    process.start()
    yield process
    process.stop()


def test_nightly_sweep_on_real_worker_records_overdue_advice(app, worker):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    plan = make.on(app).plan(casework.id)
    make.on(app).advice(plan.id, health.id, requested=date(2026, 1, 5))
    make.on(app).advice(plan.id, health.id, requested=date(2026, 1, 5), received=date(2026, 2, 1))
    make.on(app).advice(plan.id, health.id, requested=date(2026, 1, 5),
                        exception="missed_appointment")
    with app.app_context():
        run_id = enqueue_record("nightly_sweep", {"today": "2026-03-01"}).id
        db.session.commit()

    worker.send("workers.tasks.nightly_sweep", "2026-03-01", run_id)

    def finished() -> JobRun | None:
        with app.app_context():
            run = db.session.get(JobRun, run_id)
            return run if run and run.status == "done" else None

    run = wait_for(finished)
    assert run is not None, worker.log()
    assert run.progress == 100 and run.finished_at is not None
    assert run.result == {"as_of": "2026-03-01", "overdue_by_agency": {"Community Paediatrics": 1}}
    assert "succeeded" in worker.log()


def test_running_the_same_job_twice_gives_the_same_result(app, worker):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    plan = make.on(app).plan(casework.id)
    make.on(app).advice(plan.id, casework.id, requested=date(2026, 1, 5))
    results = []
    for _ in range(2):
        with app.app_context():
            run_id = enqueue_record("nightly_sweep", {}).id
            db.session.commit()
        worker.send("workers.tasks.nightly_sweep", "2026-03-01", run_id)

        def done(run_id: int = run_id) -> dict | None:
            with app.app_context():
                run = db.session.get(JobRun, run_id)
                return run.result if run and run.status == "done" else None

        results.append(wait_for(done))
    assert results[0] == results[1] == {
        "as_of": "2026-03-01", "overdue_by_agency": {"SEND Casework Team": 1}}
