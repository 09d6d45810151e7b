"""Starting a job when the broker is down, frozen or refusing writes answers in seconds with
a clear message and leaves no 'queued' row (web and command line); sign-in keeps working
with its Redis stopped; an error page renders without the database.

Each test that stops, freezes or fills Redis starts a redis-server of its own.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.jobs import JobRun
from tests import factories as make
from tests.private_redis import PrivateRedis, free_port


@pytest.fixture()
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


def _app_with(app, tmp_path, **settings):
    from qa_app import create_app

    return create_app({"ENV_NAME": "test", "DATABASE_URL": app.config["DATABASE_URL"],
                       "INSTANCE_PATH": str(tmp_path / "web"), **settings})


@pytest.fixture()
def rebind(app):
    """Put Celery and the rate limiter back on the session's app after the test."""
    yield
    from qa_app.extensions import limiter
    from workers import celery_init_app

    celery_init_app(app)
    limiter.init_app(app)


def _jobs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(r.status, r.message or "") for r in
                db.session.execute(select(JobRun).order_by(JobRun.id)).scalars()]


BROKEN = ["refusing writes", "frozen", "not listening"]


def _break(server: PrivateRedis, how: str) -> str:
    if how == "refusing writes":
        server.refuse_writes()
        return server.url
    if how == "frozen":
        server.freeze()
        return server.url
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.mark.parametrize("how", BROKEN)
def test_recalculate_page_answers_in_seconds_when_the_broker_is_broken(
    app, tmp_path, redis_server, rebind, how
):
    url = _break(redis_server, how)
    web = _app_with(app, tmp_path, CELERY_BROKER_URL=url)
    client = web.test_client()
    manager = make.on(app).user("qi_manager")
    make.sign_in(client, manager.email)
    token = make.csrf_token(client, "/rates/")
    began = time.monotonic()
    response = client.post("/rates/recalculate", data={"csrf_token": token},
                           follow_redirects=True)
    took = time.monotonic() - began
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and took < 10, took
    assert "cannot be recalculated now: the job service is not reachable" in page
    [(status, message)] = _jobs(app)
    assert status == "failed" and message.startswith("Not started:") and "broker" in message
    jobs_page = client.get("/jobs/?status=failed").get_data(as_text=True)
    assert "Not started:" in jobs_page and "Run again" in jobs_page


def _ehcp_qa(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "EHCP_QA_ENV": "test", **env}
    return subprocess.run([sys.executable, "-m", "qa_app.cli", *args], capture_output=True,
                          text=True, env=full_env, timeout=60)


@pytest.mark.parametrize("how", BROKEN)
def test_aggregate_command_answers_in_seconds_when_the_broker_is_broken(
    app, database_url, tmp_path, redis_server, how
):
    url = _break(redis_server, how)
    began = time.monotonic()
    result = _ehcp_qa("aggregate", DATABASE_URL=database_url, CELERY_BROKER_URL=url,
                      EHCP_QA_INSTANCE_PATH=str(tmp_path))
    took = time.monotonic() - began
    assert result.returncode == 1 and took < 20, (took, result.stderr)
    assert "job broker" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    [(status, message)] = _jobs(app)
    assert status == "failed" and "job broker" in message


def test_sign_in_works_while_the_limiters_redis_is_stopped(
    app, tmp_path, redis_server, rebind, caplog
):
    web = _app_with(app, tmp_path, RATELIMIT_STORAGE_URI=redis_server.url)
    user = make.on(app).user("qi_manager")
    client = web.test_client()
    assert make.sign_in(client, user.email, "wrong password").status_code == 200
    assert redis_server.client().dbsize() > 0  # the limiter counted in Redis
    redis_server.stop()
    fresh = web.test_client()
    began = time.monotonic()
    with caplog.at_level(logging.WARNING):
        response = make.sign_in(fresh, user.email)
    assert response.status_code == 302 and time.monotonic() - began < 10
    assert fresh.get("/").status_code == 200
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)


def test_the_error_page_renders_when_the_database_is_down(app, tmp_path, rebind):
    down = _app_with(app, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'gone' / 'x.db'}",
                     PROPAGATE_EXCEPTIONS=False)
    client = down.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # a signed-in visitor: the layout would read the user
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "Sign out" not in page and "govuk-service-navigation" in page

