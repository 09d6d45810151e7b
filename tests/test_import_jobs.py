"""Large imports run as background jobs, and imports of one kind never collide.

A file over IMPORT_JOB_ROWS rows becomes a job (run here, with no broker) whose page shows
the outcome exactly as the import in the request does; two imports of one kind at once are
serialised by the kind's lock, or the second is refused in words; rows are written in order
of reference, so two updating imports in opposite orders cannot deadlock.
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.jobs import JobRun
from tests import factories as make
from tests.factories import csrf_token, sign_in
from tests.factories.imports import PLAN_HEADER, counts, csv_bytes

CASEWORK = "SEND Casework Team"
JOB_ROWS = 50


def plan_rows(count: int, year: int = 5, *, reverse: bool = False) -> list[list[str]]:
    refs = [f"EHCP-{i:05d}" for i in range(count)]
    if reverse:
        refs.reverse()
    return [PLAN_HEADER, *([ref, CASEWORK, str(year), "annual_review", "", "", ""]
                           for ref in refs)]


@pytest.fixture()
def manager(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", JOB_ROWS)
    make.on(app).agency(CASEWORK, "local_authority")
    person = make.on(app).user("qi_manager")
    sign_in(client, person.email)
    return person


def post(client, data: bytes, name: str = "register.csv"):
    form = {"kind": "plans", "csrf_token": csrf_token(client, "/imports/"),
            "file": (io.BytesIO(data), name)}
    return client.post("/imports/", data=form, content_type="multipart/form-data")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def stored_plans(app) -> dict[str, int]:
    from qa_app.register.models import Plan

    with app.app_context():
        return dict(db.session.execute(select(Plan.ref, Plan.nc_year)).all())


def job_runs(app) -> list[JobRun]:
    with app.app_context():
        runs = db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().all()
        db.session.expunge_all()
        return list(runs)


def kept_files(app) -> list[str]:
    folder = Path(app.instance_path) / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_large_upload_runs_as_a_job_and_ends_done(app, client, manager):
    response = post(client, csv_bytes(plan_rows(120)))
    assert response.status_code == 302
    [run] = job_runs(app)
    assert response.headers["Location"].endswith(f"/imports/jobs/{run.id}")
    assert (run.job, run.status, run.progress) == ("import_file", "done", 100)
    assert set(run.params) >= {"kind", "file", "file_name"}
    assert run.params["file_name"] == "register.csv" and "EHCP-00001" not in str(run.params)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    body = text_of(page)
    assert "Import complete" in body
    assert re.search(r"Created</th> ?<td [^>]*>120<", body)
    assert stored_plans(app) == {f"EHCP-{i:05d}": 5 for i in range(120)}
    assert kept_files(app) == []
    listed = text_of(client.get("/jobs/"))
    assert "Import a spreadsheet" in listed
    assert "EHCP register (plans) from register.csv" in listed


def test_a_small_upload_still_imports_in_the_request(app, client, manager):
    response = post(client, csv_bytes(plan_rows(JOB_ROWS)))
    assert response.status_code == 200
    assert "Import complete" in text_of(response)
    assert job_runs(app) == []
    assert len(stored_plans(app)) == JOB_ROWS


def test_a_large_upload_with_a_broken_row_fails_and_lists_the_row(app, client, manager,
                                                                  monkeypatch):
    rows = plan_rows(120)
    rows[57][2] = "year nine"  # spreadsheet row 58
    before = counts(app)
    response = post(client, csv_bytes(rows))
    [run] = job_runs(app)
    assert run.status == "failed"
    assert run.message == "register.csv has 1 problem in 1 row, so nothing was imported."
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    shown = text_of(page)
    assert "register.csv has 1 problem in 1 row, so nothing was imported." in shown
    assert counts(app) == before and stored_plans(app) == {}
    assert kept_files(app) == []
    # The same file imported in the request lists the same problems in the same table.
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 10_000)
    direct = text_of(post(client, csv_bytes(rows)))
    table = re.compile(r'<table class="govuk-table" id="import-problems">.*?</table>')
    job_table, direct_table = table.search(shown), table.search(direct)
    assert job_table and direct_table and job_table.group(0) == direct_table.group(0)
    assert re.search(r">58</td> <td [^>]*>nc_year</td>", job_table.group(0))


def test_a_running_import_shows_its_progress(app, client, manager):
    from qa_app import jobs

    with app.app_context():
        run = jobs.start(None, "import_file", {"kind": "plans", "file_name": "big.csv"})
        jobs.progress(run, 40, "Checked 10,000 rows of big.csv")
        db.session.commit()
        run_id = run.id
    page = client.get(f"/imports/jobs/{run_id}")
    body = text_of(page)
    assert page.status_code == 200
    assert "Importing big.csv" in body and "40%" in body
    assert "Checked 10,000 rows of big.csv" in body
    assert '<meta http-equiv="refresh" content="3">' in body


def test_other_jobs_and_other_roles_get_not_found(app, client, manager):
    from qa_app import jobs

    with app.app_context():
        run = jobs.start(None, "aggregate", {})
        db.session.commit()
        run_id = run.id
    assert client.get(f"/imports/jobs/{run_id}").status_code == 404
    lead = make.on(app).user("agency_lead", CASEWORK)
    other = app.test_client()
    sign_in(other, lead.email)
    assert other.get(f"/imports/jobs/{run_id}").status_code == 404


def _at_once(count: int, work) -> list[object]:
    """Run `work(i)` in `count` threads released together; return what each returned."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def body(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_two_large_imports_of_one_file_at_once_store_each_row_once(app, manager):
    from qa_app.register.importing.background import start_job

    data = csv_bytes(plan_rows(3_000))

    def work(_i: int) -> tuple[str, dict]:
        with app.app_context():
            launched = start_job("plans", io.BytesIO(data), "register.csv")
            return launched.run.status, dict(launched.run.result or {})

    results = _at_once(2, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(status for status, _ in results)
    assert statuses == ["done", "done"], [r for r in job_runs(app)]
    created = sorted(result["created"] for _, result in results)
    unchanged = sorted(result["unchanged"] for _, result in results)
    assert created == [0, 3_000] and unchanged == [0, 3_000]
    assert stored_plans(app) == {f"EHCP-{i:05d}": 5 for i in range(3_000)}
    assert kept_files(app) == []


def _import_now(app, data: bytes) -> str:
    """Import as the command and the page do: commit when clean."""
    from qa_app.register.importing import run_import

    with app.app_context():
        report = run_import("plans", io.BytesIO(data), "register.csv")
        assert report.ok, report.sorted_errors()[:3]
        db.session.commit()
        return report.summary()


def test_two_updating_imports_in_opposite_orders_do_not_deadlock(app, manager):
    count = 3_000
    _import_now(app, csv_bytes(plan_rows(count, 5)))
    files = [csv_bytes(plan_rows(count, 6)), csv_bytes(plan_rows(count, 7, reverse=True))]
    results = _at_once(2, lambda i: _import_now(app, files[i]))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == sorted([f"{count} rows: 0 created, {count} updated, 0 unchanged"] * 2)
    years = set(stored_plans(app).values())
    assert len(years) == 1 and years <= {6, 7}  # the later import's file, whole


@pytest.fixture()
def plans_lock_held(app):
    """Another plans import holding the lock (its transaction open) until the test ends."""
    from qa_app.register.importing import lock

    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with app.app_context():
            lock.hold(db.session, "plans", 0)
            taken.set()
            done.wait(60)
            db.session.rollback()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(30)
    yield
    done.set()
    thread.join(30)


def test_the_command_refuses_in_one_line_while_another_import_runs(
    app, runner, manager, plans_lock_held, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_LOCK_WAIT", 0.5)
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(plan_rows(10)))
    result = runner.invoke(args=["import", "plans", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: another plans import is running, so this file was not imported. Nothing was "
        "changed: try again when it has finished."]
    assert stored_plans(app) == {}


def test_the_page_refuses_in_words_while_another_import_runs(
    app, client, manager, plans_lock_held, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_LOCK_WAIT", 0.5)
    response = post(client, csv_bytes(plan_rows(10)))
    assert response.status_code == 409
    assert ("Another plans import is running, so this file was not imported. Nothing was "
            "changed: try again when it has finished.") in text_of(response)
    assert stored_plans(app) == {}


@pytest.mark.worker
def test_a_large_upload_is_imported_by_a_real_worker(app, database_url, tmp_path):
    """The worker reads the kept file from the shared instance folder, then deletes it."""
    from qa_app import create_app
    from tests.services import REDIS_URL, need, reachable
    from tests.worker import WorkerProcess, wait_for

    need("Redis", reachable(REDIS_URL, 6379))
    worker = WorkerProcess(database_url, tmp_path)
    worker.start()
    try:
        web = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                          "INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": REDIS_URL,
                          "CELERY_EXTRA": {"task_default_queue": worker.queue},
                          "IMPORT_JOB_ROWS": JOB_ROWS})
        make.on(app).agency(CASEWORK, "local_authority")
        client = web.test_client()
        sign_in(client, make.on(app).user("qi_manager").email)
        response = post(client, csv_bytes(plan_rows(500)))
        assert response.status_code == 302
        waiting = text_of(client.get(response.headers["Location"]))
        assert "Import complete" in waiting or "Importing register.csv" in waiting

        def ended() -> JobRun | None:
            [run] = job_runs(app)
            return run if run.status in {"done", "failed"} else None

        run = wait_for(ended)
        assert run is not None and run.status == "done", (run, worker.log())
        assert "Import complete" in text_of(client.get(response.headers["Location"]))
        assert stored_plans(app) == {f"EHCP-{i:05d}": 5 for i in range(500)}
        assert kept_files(web) == []
    finally:
        worker.stop()
        _rebind(app)


def _rebind(app) -> None:
    """Put Celery and the rate limiter back on the session's app."""
    from qa_app.extensions import limiter
    from workers import celery_init_app

    celery_init_app(app)
    limiter.init_app(app)


def test_a_large_upload_with_the_broker_down_is_refused_in_words(app, database_url, tmp_path):
    from qa_app import create_app
    from tests.private_redis import free_port

    try:
        web = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                          "INSTANCE_PATH": str(tmp_path), "IMPORT_JOB_ROWS": JOB_ROWS,
                          "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"})
        make.on(app).agency(CASEWORK, "local_authority")
        client = web.test_client()
        sign_in(client, make.on(app).user("qi_manager").email)
        response = post(client, csv_bytes(plan_rows(120)))
        assert response.status_code == 503
        body = text_of(response)
        assert "The import could not be started: cannot reach the job broker" in body
        assert "Nothing was imported; try again in a few minutes." in body
        [run] = job_runs(app)
        assert run.status == "failed" and run.message.startswith("Not started:")
        assert kept_files(web) == [] and stored_plans(app) == {}
    finally:
        _rebind(app)


def test_a_large_upload_waiting_too_long_for_another_import_ends_failed_in_words(
    app, client, manager, plans_lock_held, monkeypatch
):
    from qa_app.register.importing import background

    monkeypatch.setattr(background, "JOB_LOCK_WAIT", 0.5)
    response = post(client, csv_bytes(plan_rows(120)))
    [run] = job_runs(app)
    assert run.status == "failed"
    page = text_of(client.get(response.headers["Location"]))
    assert "register.csv was not imported" in page
    assert ("Another plans import is running, so this file was not imported. Nothing was "
            "changed: try again when it has finished.") in page
    assert stored_plans(app) == {} and kept_files(app) == []


def test_a_large_upload_with_a_mapping_file_uses_it(app, client, manager):
    rows = plan_rows(120)
    rows[0] = ["EHCP Reference", *PLAN_HEADER[1:]]
    form = {"kind": "plans", "csrf_token": csrf_token(client, "/imports/"),
            "file": (io.BytesIO(csv_bytes(rows)), "register.csv"),
            "mapping": (io.BytesIO(b"plan_ref: EHCP Reference\n"), "mapping.yaml")}
    response = client.post("/imports/", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    [run] = job_runs(app)
    assert run.status == "done", run.message
    assert len(stored_plans(app)) == 120 and kept_files(app) == []


@pytest.mark.worker
def test_a_job_whose_database_connection_drops_retries_and_says_so(app, database_url,
                                                                   tmp_path):
    """A real worker's connection is ended by the server (as a PostgreSQL restart does)
    twice while the import waits for the lock: each time the job says it is retrying, and
    it then ends done with every row."""
    from sqlalchemy import text

    from qa_app import create_app
    from qa_app.register.importing import lock
    from qa_app.register.importing.background import start_job
    from tests.services import REDIS_URL, need, reachable
    from tests.worker import WorkerProcess, wait_for

    if not database_url.startswith("postgresql"):
        pytest.skip("ends a server connection: PostgreSQL only")
    need("Redis", reachable(REDIS_URL, 6379))
    make.on(app).agency(CASEWORK, "local_authority")
    worker = WorkerProcess(database_url, tmp_path)
    worker.start()
    holder: dict[str, int] = {}
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.app_context():
            holder["pid"] = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            lock.hold(db.session, "plans", 0)
            taken.set()
            release.wait(120)
            db.session.rollback()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(30)
        web = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                          "INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": REDIS_URL,
                          "CELERY_EXTRA": {"task_default_queue": worker.queue}})
        with web.app_context():
            run_id = start_job("plans", io.BytesIO(csv_bytes(plan_rows(100))),
                               "register.csv").run.id
        waiter = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                      "AND pid NOT IN (pg_backend_pid(), :holder) "
                      "AND query LIKE '%pg_try_advisory_xact_lock%'")
        for attempt in (2, 3):
            def waiting_pid() -> int | None:
                with app.app_context():
                    return db.session.execute(waiter, {"holder": holder["pid"]}).scalar()

            pid = wait_for(waiting_pid, timeout=60)
            assert pid is not None, worker.log()
            with app.app_context():
                db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                db.session.commit()

            def retrying(attempt: int = attempt) -> JobRun | None:
                [run] = job_runs(app)
                wanted = f"Retrying after a database error (attempt {attempt} of "
                return run if (run.message or "").startswith(wanted) else None

            seen = wait_for(retrying, timeout=60)
            assert seen is not None, (job_runs(app), worker.log())
            assert kept_files(web) != []  # kept for the retry
        release.set()

        def ended() -> JobRun | None:
            [run] = job_runs(app)
            return run if run.status in {"done", "failed"} else None

        run = wait_for(ended, timeout=90)
        assert run is not None and run.id == run_id
        assert run.status == "done", (run.message, worker.log())
        assert stored_plans(app) == {f"EHCP-{i:05d}": 5 for i in range(100)}
        assert kept_files(web) == []
    finally:
        release.set()
        thread.join(30)
        worker.stop()
        _rebind(app)
