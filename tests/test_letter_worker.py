"""A real Celery worker on Redis generates a cycle's letters: one task per agency, fanned out
as a group, with the job's totals recorded by the group's callback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.jobs import JobRun, enqueue_record
from tests import factories as make
from tests.services import REDIS_URL, need, reachable
from tests.worker import WorkerProcess, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def worker(app, database_url, tmp_path_factory):
    need("Redis", reachable(REDIS_URL, 6379))
    process = WorkerProcess(database_url, tmp_path_factory.mktemp("letter-worker"))
    process.start()
    yield process
    process.stop()


def _run(app, worker, cycle_id: int) -> JobRun:
    with app.app_context():
        run_id = enqueue_record("generate_cycle_letters", {"cycle_id": cycle_id}).id
        db.session.commit()
    worker.send("workers.tasks.generate_cycle_letters", cycle_id, run_id)

    def finished() -> JobRun | None:
        with app.app_context():
            run = db.session.get(JobRun, run_id)
            return run if run and run.status in {"done", "failed"} else None

    run = wait_for(finished, timeout=120)
    assert run is not None, worker.log()
    return run


def test_worker_generates_a_cycles_letters_once(app, worker):
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    run = _run(app, worker, data.cycle_id)
    assert run.status == "done", (run.message, worker.log())
    assert run.result == {"cycle_id": data.cycle_id, "letters": 3, "new": 3}
    with app.app_context():
        letters = db.session.execute(select(Letter).order_by(Letter.agency_id)).scalars().all()
        assert [(lt.agency_id, lt.version, lt.status) for lt in letters] == [
            (data.casework_id, 1, "draft"), (data.health_id, 1, "draft"),
            (data.other_id, 1, "draft")]
        before = {lt.id: lt.sha256 for lt in letters}
        assert all(lt.pdf.startswith(b"%PDF") for lt in letters)
    again = _run(app, worker, data.cycle_id)
    assert again.result == {"cycle_id": data.cycle_id, "letters": 3, "unchanged": 3}
    with app.app_context():
        after = {lt.id: lt.sha256 for lt in db.session.execute(select(Letter)).scalars()}
        assert after == before
    log = worker.log()
    assert log.count("workers.tasks.generate_letter[") >= 6
    assert "workers.tasks.letters_generated" in log


def test_worker_reports_a_cycle_without_rates(app, worker):
    from datetime import date

    from qa_app.audits.cycles.models import Cycle

    with app.app_context():
        cycle = Cycle(name="Spring term 2026", start_date=date(2026, 1, 5),
                      end_date=date(2026, 3, 27), academic_year="2025/26")
        db.session.add(cycle)
        db.session.commit()
        cycle_id = cycle.id
    run = _run(app, worker, cycle_id)
    assert run.status == "failed" and "have not been computed yet" in run.message
