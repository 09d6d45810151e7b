"""The Background jobs page and `ehcp-qa jobs`: who sees it, what each job row says, the
filters, running a failed or stalled job again, the scheduled check's rule, letters that
end partly done, and the demo saying what it did with its jobs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from qa_app.jobs import JobRun, launch
from qa_app.timeutil import utcnow
from tests import factories as make


@pytest.fixture(autouse=True)
def _jobs_run_in_this_app(app):
    """Jobs run in-process in the app Celery was last bound to; bind it to this one."""
    from workers import celery_init_app

    celery_init_app(app)


def _row(app, **values) -> int:
    with app.app_context():
        run = JobRun(**{"params": {}, "attempts": 1, "origin": "command", **values})
        db.session.add(run)
        db.session.commit()
        return run.id


def _job(app, job_id: int) -> JobRun:
    with app.app_context():
        run = db.session.get(JobRun, job_id)
        db.session.expunge(run)
        return run


@pytest.fixture()
def jobs(app):
    manager = make.on(app).user("qi_manager", email="sam.manager@example.org")
    long_ago = utcnow() - timedelta(hours=2)
    return {
        "manager": manager,
        "failed": _row(app, job="aggregate", status="failed", params={
            "period_kind": "academic_year", "period_key": "2025/26"},
            message="Stopped: the database could not be reached after 13 attempts"),
        "done": _row(app, job="nightly_sweep", status="done", progress=100,
                     params={"today": "2026-03-01"}, started_by_id=manager.id, origin="web",
                     created_at=long_ago, started_at=long_ago, finished_at=long_ago),
        "stalled": _row(app, job="aggregate", status="running", progress=40,
                        params={"period_kind": None, "period_key": None},
                        created_at=long_ago, started_at=long_ago, heartbeat_at=long_ago),
    }


@pytest.mark.parametrize("role", ["agency_lead", "auditor", "panel_chair"])
def test_only_the_manager_and_admin_see_the_jobs_page(app, client, jobs, role):
    agency = make.on(app).agency("Community Paediatrics")
    who = make.on(app).user(role, agency.name if role in {"agency_lead", "auditor"} else None)
    make.sign_in(client, who.email)
    assert client.get("/jobs/").status_code == 404
    assert client.get(f"/jobs/{jobs['failed']}/run-again").status_code == 404
    assert "Background jobs" not in client.get("/").get_data(as_text=True)


def test_the_page_says_each_job_in_words(app, client, jobs):
    make.sign_in(client, jobs["manager"].email)
    section = client.get("/sections/administration").get_data(as_text=True)
    assert 'href="/jobs/"' in section and "Background jobs" in section
    page = client.get("/jobs/").get_data(as_text=True)
    assert "3 jobs" in page
    assert "Recalculate the figures" in page and "academic year 2025/26" in page
    assert "Nightly count of overdue advice" in page and "as of 1 March 2026" in page
    assert "Sam" in page or "sam.manager@example.org" in page
    assert "Failed" in page and "could not be reached after 13 attempts" in page
    assert "Stalled" in page and "Done" in page
    links = page.count("/run-again")
    assert links == 2  # the failed and the stalled job; never the done one


def test_filters_come_from_the_address(app, client, jobs):
    make.sign_in(client, jobs["manager"].email)
    failed = client.get("/jobs/?status=failed").get_data(as_text=True)
    assert "1 job matching the filters" in failed and "13 attempts" in failed
    sweeps = client.get("/jobs/?kind=nightly_sweep").get_data(as_text=True)
    assert "1 job matching" in sweeps and "as of 1 March 2026" in sweeps
    stalled = client.get("/jobs/?status=stalled").get_data(as_text=True)
    assert "1 job matching" in stalled and "Stalled" in stalled
    bad = client.get("/jobs/?status=exploded")
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)


def test_running_a_failed_job_again_checks_first_then_records_who(app, client, jobs):
    make.sign_in(client, jobs["manager"].email)
    check = client.get(f"/jobs/{jobs['failed']}/run-again").get_data(as_text=True)
    assert "Check before running this job again" in check
    assert f"Run job {jobs['failed']} again" in check
    token = make.csrf_token(client, f"/jobs/{jobs['failed']}/run-again")
    assert client.post(f"/jobs/{jobs['failed']}/run-again").status_code == 400  # no token
    with app.app_context():
        assert db.session.scalar(select(JobRun.id).order_by(JobRun.id.desc())) == jobs["stalled"]
    response = client.post(f"/jobs/{jobs['failed']}/run-again", data={"csrf_token": token},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    with app.app_context():
        newest = db.session.execute(select(JobRun).order_by(JobRun.id.desc())).scalars().first()
        entry = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "job_run_again")).scalar_one()
        assert (newest.job, newest.params, newest.status) == (
            "aggregate", {"period_kind": "academic_year", "period_key": "2025/26"}, "done")
        assert newest.started_by_id == jobs["manager"].id and newest.origin == "web"
        assert entry.record_id == str(jobs["failed"]) and entry.user_id == jobs["manager"].id
    assert f"ran again as job {newest.id} and finished" in page
    assert _job(app, jobs["failed"]).status == "failed"  # the old row keeps its history


def test_running_a_stalled_job_again_fails_the_original_naming_the_new_one(app, client, jobs):
    make.sign_in(client, jobs["manager"].email)
    token = make.csrf_token(client, f"/jobs/{jobs['stalled']}/run-again")
    client.post(f"/jobs/{jobs['stalled']}/run-again", data={"csrf_token": token})
    old = _job(app, jobs["stalled"])
    assert old.status == "failed" and "run again as job" in old.message


def test_a_done_job_cannot_be_run_again(app, client, jobs):
    make.sign_in(client, jobs["manager"].email)
    page = client.get(f"/jobs/{jobs['done']}/run-again", follow_redirects=True)
    assert "cannot be run again: it is done" in page.get_data(as_text=True)


def test_jobs_list_and_retry_on_the_command_line(app, runner, jobs):
    listed = runner.invoke(["jobs", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["id"] for r in rows] == sorted([jobs["failed"], jobs["done"], jobs["stalled"]],
                                             reverse=True)
    needed = {"id", "kind", "status", "progress", "attempts", "error", "started_at",
              "finished_at"}
    assert all(needed <= set(r) for r in rows)
    failed = next(r for r in rows if r["id"] == jobs["failed"])
    assert failed["error"].startswith("Stopped: the database") and failed["attempts"] == 1
    assert next(r for r in rows if r["id"] == jobs["done"])["error"] is None
    only = json.loads(runner.invoke(["jobs", "list", "--status", "failed", "--format",
                                     "json"]).output)
    assert [r["id"] for r in only] == [jobs["failed"]]
    table = runner.invoke(["jobs", "list"]).output
    assert table.splitlines()[0].split()[:3] == ["id", "kind", "status"]
    assert "Waiting" not in table and "Stalled" in table
    again = runner.invoke(["jobs", "retry", str(jobs["failed"])])
    assert again.exit_code == 0 and "ran again as job" in again.output and "done" in again.output
    refused = runner.invoke(["jobs", "retry", str(jobs["done"])])
    assert refused.exit_code == 1 and "only a failed, partial or stalled job" in refused.output
    missing = runner.invoke(["jobs", "retry", "999999"])
    assert missing.exit_code == 1 and "there is no job 999999" in missing.output
    assert "Traceback" not in refused.output + missing.output
    for hostile in ("99999999999999999999999", "0"):
        huge = runner.invoke(["jobs", "retry", hostile])
        assert huge.exit_code == 2 and "Invalid value for 'JOB_ID'" in huge.output, hostile
        assert huge.exception is None or isinstance(huge.exception, SystemExit)


def test_the_check_sends_a_stalled_job_again_then_fails_it_after_its_tries(app, jobs):
    from qa_app.jobs.recovery import check_stalled

    worn = _row(app, job="nightly_sweep", status="queued", attempts=3,
                params={"today": "2026-03-01"}, heartbeat_at=utcnow() - timedelta(hours=1))
    with app.app_context():
        outcome = check_stalled()
    assert outcome.resent == [jobs["stalled"]] and outcome.failed == [worn]
    resent = _job(app, jobs["stalled"])
    assert (resent.status, resent.attempts) == ("done", 2)
    failed = _job(app, worn)
    assert failed.status == "failed"
    assert "was not started by any worker for 5 minutes, 3 times out of 3" in failed.message
    with app.app_context():
        assert check_stalled().resent == []  # nothing left that looks stalled


def _refuse_letters_for(agency_id: int) -> list[str]:
    """A database rule that refuses one agency's letters: a real failure for one agency."""
    if db.engine.dialect.name == "sqlite":
        return [f"CREATE TRIGGER refuse_one_agency BEFORE INSERT ON letters "
                f"WHEN NEW.agency_id = {agency_id} BEGIN "
                f"SELECT RAISE(ABORT, 'letters for this agency are refused'); END"]
    return ["CREATE FUNCTION refuse_one_agency() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'letters for this agency are refused'; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER refuse_one_agency BEFORE INSERT ON letters FOR EACH ROW "
            f"WHEN (NEW.agency_id = {agency_id}) EXECUTE FUNCTION refuse_one_agency()"]


def _allow_letters() -> list[str]:
    if db.engine.dialect.name == "sqlite":
        return ["DROP TRIGGER IF EXISTS refuse_one_agency"]
    return ["DROP TRIGGER IF EXISTS refuse_one_agency ON letters",
            "DROP FUNCTION IF EXISTS refuse_one_agency()"]


def test_letters_with_one_agency_failing_end_partly_done_naming_it(app, client):
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    with app.app_context(), db.engine.begin() as conn:
        for statement in _refuse_letters_for(data.health_id):
            conn.execute(text(statement))
    try:
        with app.app_context():
            launched = launch("generate_cycle_letters", {"cycle_id": data.cycle_id,
                                                         "partial": False})
            run = launched.run
            written = sorted(db.session.execute(select(Letter.agency_id)).scalars())
    finally:
        with app.app_context(), db.engine.begin() as conn:
            for statement in _allow_letters():
                conn.execute(text(statement))
    assert run.status == "partial", run.message
    assert run.message.startswith("2 of 3 letters written; not written for Community "
                                  "Paediatrics")
    assert "Educational Psychology" not in run.message
    assert written == sorted([data.casework_id, data.other_id])
    make.sign_in(client, data.manager_email)
    page = client.get("/jobs/?status=partial").get_data(as_text=True)
    assert "Partly done" in page and "not written for Community Paediatrics" in page


def test_the_demo_says_its_jobs_ran(app, capsys):
    from qa_app.demo.command import _run_jobs

    with app.app_context():
        _run_jobs()
    out = capsys.readouterr().out
    assert "Jobs: nightly sweep done; rates of every period done" in out
    assert "rates aggregated" not in out
