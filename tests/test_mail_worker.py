"""Email on a real Celery worker over Redis: a mail server that refuses at first is tried
again after growing waits until it takes the message; one that never does ends in a failure
with the reason."""

from __future__ import annotations

import pytest
from flask import Flask

from qa_app.extensions import db
from qa_app.mail.models import OutboxMessage
from qa_app.transactions import commit_point
from tests.services import REDIS_URL, need, reachable
from tests.worker import WorkerProcess, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture()
def mail_worker(app, database_url, tmp_path, smtp_server):
    need("Redis", reachable(REDIS_URL, 6379))
    process = WorkerProcess(database_url, tmp_path, env={
        "EHCP_QA_ENV": "development", "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port), "MAIL_USE_TLS": "false",
        "MAIL_DEFAULT_SENDER": "qa@example.org", "MAIL_RETRY_SECONDS": "1",
        "MAIL_MAX_ATTEMPTS": "3", "NOTIFY_API_KEY": "",
    })
    process.start()
    yield process
    process.stop()


def _queued(app: Flask) -> int:
    with app.app_context():
        row = OutboxMessage(to="auditor@example.org", kind="password_reset",
                            subject="Reset your password", body="Use this link.\n", fields={})
        db.session.add(row)
        commit_point()
        return row.id


def _ended(app: Flask, message_id: int):
    def check():
        with app.app_context():
            row = db.session.get(OutboxMessage, message_id)
            if row and row.status in ("sent", "failed"):
                db.session.expunge(row)
                return row
            return None
    return check


def test_the_worker_retries_a_busy_server_until_it_takes_the_message(
        app: Flask, mail_worker, smtp_server) -> None:
    smtp_server.refuse_with = "451 4.3.0 Busy, try later"
    smtp_server.refuse_count = 2
    message_id = _queued(app)
    mail_worker.send("mail.deliver", message_id)
    row = wait_for(_ended(app, message_id), timeout=60)
    assert row is not None, mail_worker.log()
    assert (row.status, row.attempts, row.channel) == ("sent", 3, "smtp")
    assert smtp_server.refused == 2
    [received] = smtp_server.wait_for(1)
    assert received["Subject"] == "Reset your password"
    assert "Retry in 1.0s" in mail_worker.log() and "Retry in 2.0s" in mail_worker.log()


def test_the_worker_gives_up_with_a_readable_reason(app: Flask, mail_worker,
                                                    smtp_server) -> None:
    smtp_server.refuse_with = "451 4.3.0 Busy, try later"
    message_id = _queued(app)
    mail_worker.send("mail.deliver", message_id)
    row = wait_for(_ended(app, message_id), timeout=60)
    assert row is not None, mail_worker.log()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error == (f"Not sent after 3 attempts: the mail server at 127.0.0.1:"
                         f"{smtp_server.port} answered 451 4.3.0 Busy, try later")
