"""A database outage longer than the old retry window (five retries, about a minute): a job
retries through it and ends done; when the outage outlasts every retry, the job is not left
'running' but ended by the stall check, done or failed with a reason a person can read.

Each test runs a real worker on a Redis of its own against a PostgreSQL cluster of its own,
stopped and started again by the test; the shared servers are never touched. Waits between
retries are cut to a second (JOB_DB_RETRY_WAIT_MAX) so many retries fit in seconds. While the
database is down the job's row cannot be written, so the retries are read from the worker's
log, where each note the worker could not put on the row is logged.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.jobs import ENDED, JobRun, launch
from qa_app.register.models import Advice
from qa_app.reporting import measures as m
from qa_app.reporting.models import AggregationRun, RateSnapshot, RecalculationRequest
from qa_app.reporting.operations import PAUSE_ENV
from qa_app.reporting.periods import Period, cycle_period, year_period
from tests.factories import aggregation as build
from tests.private_postgres import PrivatePostgres
from tests.private_redis import PrivateRedis
from tests.services import unique_name
from tests.worker import WorkerProcess, wait_for

pytestmark = pytest.mark.worker
OLD_RETRIES = 5
"""The old setting: after the first attempt and five retries the job stayed 'running'."""
RETRIES = 12
"""The product's default (JOB_DB_RETRIES)."""
QUICK = {"JOB_DB_RETRY_WAIT_MAX": "1", PAUSE_ENV: "0.4"}
"""A second between retries; a pause after each measure, so the job is caught mid-run."""
RECOUNTED = (m.PLANS, m.ADVICE, m.ON_TIME)


@pytest.fixture(scope="module")
def postgres(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    """The cluster with the schema built; the suite's app is bound to Celery again after."""
    from flask_migrate import upgrade

    from qa_app import create_app
    from workers import celery_init_app

    with PrivatePostgres() as server:
        schema = create_app({"ENV_NAME": "test", "DATABASE_URL": server.url,
                             "INSTANCE_PATH": str(tmp_path_factory.mktemp("outage-schema"))})
        with schema.app_context():
            upgrade()
            db.engine.dispose()
        celery_init_app(app)
        yield server


@dataclass
class Outage:
    web: Flask
    postgres: PrivatePostgres
    redis: PrivateRedis
    queue: str
    folder: Path

    def worker(self, *, beat: bool, env: dict[str, str]) -> WorkerProcess:
        folder = self.folder / "worker"
        folder.mkdir(exist_ok=True)
        return WorkerProcess(self.postgres.url, folder, queue=self.queue,
                             broker_url=self.redis.url, beat=beat, env={**QUICK, **env})

    def job(self, job_id: int) -> JobRun:
        with self.web.app_context():
            run = db.session.get(JobRun, job_id)
            assert run is not None
            db.session.expunge(run)
            return run

    def launch_aggregation(self) -> int:
        with self.web.app_context():
            launched = launch("aggregate", {"period_kind": None, "period_key": None})
            assert launched.queued
            return launched.run.id

    def running(self, job_id: int) -> bool:
        return self.job(job_id).status == "running"


@pytest.fixture()
def outage(app: Flask, postgres: PrivatePostgres, tmp_path: Path) -> Iterator[Outage]:
    """The app as a web process on the private cluster, sending jobs to a private Redis."""
    from qa_app import create_app
    from workers import celery_init_app

    redis_server = PrivateRedis(tmp_path).start()
    queue = unique_name("ehcp_qa_outage")
    web = create_app({"ENV_NAME": "test", "DATABASE_URL": postgres.url,
                      "INSTANCE_PATH": str(tmp_path / "web"),
                      "CELERY_BROKER_URL": redis_server.url,
                      "CELERY_EXTRA": {"task_default_queue": queue}})
    try:
        with web.app_context():
            partnership()
            db.session.execute(delete(RecalculationRequest))  # the job is the only aggregation
            db.session.commit()
        yield Outage(web, postgres, redis_server, queue, tmp_path)
    finally:
        if not postgres.running():
            postgres.start()
        with web.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
            db.engine.dispose()
        redis_server.stop()
        celery_init_app(app)


def partnership() -> None:
    """Two cycles of graded plans and advice, some of it late: figures worth recounting."""
    la, health = build.agency("Casework", "local_authority").id, build.agency("Health").id
    plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
    for index, (name, start) in enumerate([("Autumn 2025", date(2025, 9, 1)),
                                           ("Spring 2026", date(2026, 1, 5))]):
        cycle = build.cycle(name, start, start + timedelta(days=100)).id
        for n in range(6):
            plan = build.plan(la, nc_year=n + 3, kind="new", issued=start + timedelta(days=n),
                              requested=start - timedelta(days=130 + 3 * n)).id
            build.final_grade(plan_rubric, 1 + (n + index) % 4, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 2 + n % 2, "outcomes": 3})
            advice = build.advice(plan, health if n % 3 else la,
                                  requested=start + timedelta(days=n),
                                  received=start + timedelta(days=38 + 2 * n),
                                  agency_grade=3).id
            build.final_grade(advice_rubric, 2 + n % 3, cycle_id=cycle, advice_id=advice,
                              criteria={"child_voice": 3 + n % 2 - index})


def recount(periods: list[Period]) -> dict[tuple[str, str, int | None], tuple[int, int]]:
    """(period, measure, agency or None for the partnership) -> (n, good), row by row."""
    cells: dict[tuple[str, str, int | None], list[int]] = defaultdict(lambda: [0, 0])

    def add(period: Period, measure: str, agency: int, good: bool) -> None:
        for who in (agency, None):
            cells[(period.key, measure, who)][0] += 1
            cells[(period.key, measure, who)][1] += int(good)

    grades = db.session.scalars(select(FinalGrade).options(
        selectinload(FinalGrade.criteria), selectinload(FinalGrade.plan),
        selectinload(FinalGrade.advice))).all()
    for period in periods:
        for grade in grades:
            if (grade.cycle_id != period.cycle_id if period.cycle_id
                    else grade.academic_year != period.key):
                continue
            voice = [c.good_or_better for c in grade.criteria if c.criterion_id == "child_voice"]
            good = grade.good_or_better and all(voice)
            if grade.plan is not None:
                add(period, m.PLANS, grade.plan.agency_id, good)
            else:
                add(period, m.ADVICE, grade.advice.agency_id, good)
        for advice in db.session.scalars(select(Advice)):
            if period.start <= advice.due_date <= period.end:
                assert advice.received_date is not None and advice.exception is None
                add(period, m.ON_TIME, advice.agency_id,
                    advice.received_date <= advice.due_date)
    return {key: (n, good) for key, (n, good) in cells.items()}


def stored_and_recounted(outage: Outage) -> tuple[dict, dict]:
    with outage.web.app_context():
        rows = db.session.execute(
            select(AggregationRun.period_kind, AggregationRun.period_key, RateSnapshot)
            .join(RateSnapshot.run)
            .where(RateSnapshot.measure.in_(RECOUNTED), RateSnapshot.scope == "all",
                   RateSnapshot.breakdown == "", RateSnapshot.n > 0)).all()
        stored = {(key, rate.measure, rate.agency_id): (rate.n, rate.good)
                  for _kind, key, rate in rows}
        periods = [cycle_period(db.session.get(Cycle, int(key))) if kind == "cycle"
                   else year_period(key)
                   for kind, key in {(kind, key) for kind, key, _rate in rows}]
        return stored, recount(periods)


def attempts_noted(log: str, job_id: int) -> list[tuple[int, int]]:
    """(attempt, of) for each retry the worker noted while the database was down."""
    pattern = (rf"could not record on job {job_id}: Retrying after a database error "
               r"\(attempt (\d+) of (\d+)\)")
    return [(int(k), int(n)) for k, n in re.findall(pattern, log)]


def retry_waits(log: str) -> list[int]:
    return [int(s) for s in re.findall(r"workers\.tasks\.aggregate\[[^\]]+\] retry: Retry in "
                                       r"(\d+)s", log)]


def reason_given_up(log: str, job_id: int) -> str | None:
    """The reason the worker meant to put on the job after its last retry, when it could not."""
    found = re.search(rf"could not mark job {job_id} failed \((.*)\); the stall check will", log)
    return found.group(1) if found else None


def wait_for_retries(process: WorkerProcess, job_id: int, attempt: int, timeout: float) -> None:
    """Until the worker has noted the retry that will be `attempt`, after checking that the
    waits are the configured second (the product's own waits would take minutes)."""
    assert wait_for(lambda: retry_waits(process.log()), timeout=10), process.log()
    assert set(retry_waits(process.log())) == {1}, (
        "JOB_DB_RETRY_WAIT_MAX=1 did not cut the wait between database retries to a second "
        f"(waits seen: {retry_waits(process.log())})")
    noted = wait_for(lambda: max((k for k, _n in attempts_noted(process.log(), job_id)),
                                 default=0) >= attempt, timeout=timeout)
    assert noted, process.log()


def readable(message: str | None) -> bool:
    """One line of words: no traceback, no driver's error text."""
    return bool(message) and not any(
        part in message.strip() for part in ("\n", "Traceback", "psycopg", "OperationalError"))


def test_a_job_retries_through_an_outage_longer_than_the_old_window_and_ends_done(
    outage: Outage
):
    process = outage.worker(beat=False, env={"JOB_DB_RETRIES": str(RETRIES)})
    process.start()
    try:
        job_id = outage.launch_aggregation()
        assert wait_for(lambda: outage.running(job_id), timeout=20), process.log()
        outage.postgres.stop()
        wait_for_retries(process, job_id, OLD_RETRIES + 2, timeout=30)  # where it gave up
        outage.postgres.start()
        ended = wait_for(lambda: outage.job(job_id).status in ENDED, timeout=30)
    finally:
        if not outage.postgres.running():
            outage.postgres.start()
        process.stop()
    run, log = outage.job(job_id), process.log()
    assert ended and run.status == "done", (run.status, run.message, log)
    assert reason_given_up(log, job_id) is None, (
        "a database error with retries left was handled as the job's last failure")
    noted = attempts_noted(log, job_id)
    assert len(noted) > OLD_RETRIES and {n for _k, n in noted} == {RETRIES + 1}, noted
    assert [k for k, _n in noted] == list(range(2, len(noted) + 2)), noted
    assert len(retry_waits(log)) >= len(noted)
    assert run.attempts == 1  # the retries alone carried it through
    assert run.progress == 100 and readable(run.message)
    assert [p["status"] for p in run.result["periods"]] == ["new"] * len(run.result["periods"])
    stored, expected = stored_and_recounted(outage)
    assert stored == expected and len(stored) > 10


@pytest.mark.parametrize(("max_attempts", "ends"), [("3", "done"), ("1", "failed")])
def test_a_job_whose_retries_run_out_during_an_outage_is_not_left_running(
    outage: Outage, max_attempts: str, ends: str
):
    process = outage.worker(beat=True, env={
        "JOB_DB_RETRIES": str(OLD_RETRIES + 1), "JOB_STALL_SECONDS": "2",
        "JOB_CHECK_SECONDS": "1", "JOB_MAX_ATTEMPTS": max_attempts})
    process.start()
    try:
        checked = wait_for(lambda: re.search(r"jobs\.check_stalled\[.*\] succeeded", process.log()),
                           timeout=20)
        assert checked, process.log()  # the schedule runs, so the job is not held up behind it
        job_id = outage.launch_aggregation()
        assert wait_for(lambda: outage.running(job_id), timeout=20), process.log()
        outage.postgres.stop()
        wait_for_retries(process, job_id, OLD_RETRIES + 2, timeout=30)
        reason = wait_for(lambda: reason_given_up(process.log(), job_id), timeout=20)
        assert reason, process.log()
        outage.postgres.start()
        ended = wait_for(lambda: outage.job(job_id).status in ENDED, timeout=20)
    finally:
        if not outage.postgres.running():
            outage.postgres.start()
        process.stop()
    log = process.log()
    assert reason.startswith(
        f"Stopped: the database could not be reached after {OLD_RETRIES + 2} attempts")
    assert readable(reason)
    assert [k for k, _n in attempts_noted(log, job_id)] == list(range(2, OLD_RETRIES + 3)), (
        "every database error but the last must be retried as one, attempt 2 onwards")
    run = outage.job(job_id)
    assert ended and run.status == ends, (run.status, run.message, log)
    assert run.finished_at is not None and readable(run.message), run.message
    if ends == "done":
        assert run.attempts >= 2  # the stall check sent it again once the database was back
        stored, expected = stored_and_recounted(outage)
        assert stored == expected and len(stored) > 10
    else:
        assert run.attempts == 1
        assert run.message.startswith("Stopped: it stopped showing progress for 2 seconds")
        assert "run it again" in run.message
