"""The Celery app, bound to Flask so that every task runs inside an app context.

`celery -A workers worker` (or `beat`) imports this module; the Flask app is not built at
import but when Celery finalises its app as the worker or beat starts (or, failing that, when
the first task runs), and it brings every feature's tasks and schedule entries (each feature's
`init_app`; the task modules are each feature's `tasks.py`, found from qa_app.FEATURES). The
web process binds its own app with `celery_init_app`. With no CELERY_BROKER_URL, tasks run
in-process (eagerly).

A task commits once, when its body returns (FlaskTask); a body never commits. Job status that
must be seen while it runs is written by qa_app.jobs in short transactions of its own.

Time limits come from the benchmarks (the national-scale aggregation takes about 5 s, a
cycle's 150 letters about 6 s) with wide headroom; Redis hands an unacknowledged message to
another worker only after the visibility timeout, which is set just above the longest a
living worker can hold one (the hard limit plus the longest retry wait), so a job whose
worker died is recovered by the stall check in minutes rather than hours.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import InterfaceError, OperationalError

from qa_app import FEATURES, transactions
from qa_app.config import env_int
from qa_app.extensions import db

_bound_app: Flask | None = None
_building = False

BROKER_TIMEOUT = 3.0
"""Seconds to connect to, or wait for an answer from, the broker when starting a job."""

TIME_LIMITS: dict[str, tuple[int, int]] = {
    "workers.tasks.aggregate": (120, 150),
    "workers.tasks.recalculate": (120, 150),
    "workers.tasks.recalculate_pending": (120, 150),
    "workers.tasks.generate_cycle_letters": (60, 90),
    "workers.tasks.generate_letter": (30, 45),
    "workers.tasks.letters_generated": (30, 45),
    "workers.tasks.nightly_sweep": (60, 90),
    "jobs.check_stalled": (30, 45),
    "workers.tasks.import_file": (120, 150),
}
"""(soft, hard) seconds per task: about 25 times the benchmark at national scale."""

DB_RETRY_WAIT_MAX = env_int("JOB_DB_RETRY_WAIT_MAX", 60)
DB_RETRIES = env_int("JOB_DB_RETRIES", 12)
DB_RETRY: dict[str, Any] = {
    "retry_backoff": 2,
    "retry_backoff_max": DB_RETRY_WAIT_MAX,
    "retry_jitter": False,
    "max_retries": DB_RETRIES,
}
"""Waits of 2, 4, 8, 16, 32 s, then a minute each: 12 retries span about 8 minutes, longer
than an ordinary PostgreSQL restart or fail-over."""
RETRY: dict[str, Any] = {"autoretry_for": (OperationalError, InterfaceError), **DB_RETRY}
"""What every task that reads or writes the database passes to `shared_task`."""

VISIBILITY_TIMEOUT = max(hard for _soft, hard in TIME_LIMITS.values()) + DB_RETRY_WAIT_MAX + 60
"""270 s: above the longest hard limit plus the longest retry wait, with a minute spare."""


def flask_app() -> Flask:
    global _building
    if _bound_app is None:
        from qa_app import create_app

        _building = True
        try:
            celery_init_app(create_app())
        finally:
            _building = False
    assert _bound_app is not None
    return _bound_app


def _app() -> Flask:
    return current_app._get_current_object() if has_app_context() else flask_app()


def _committing(body: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = body(*args, **kwargs)
        transactions.commit_point()
        return result

    return run


class FlaskTask(Task):
    """Run each task in its own app context, so it has its own database session, and commit
    once when its body returns (nothing on an exception); put a retry or a failure on the
    task's job, so no job stays 'running' without a word.

    The commit is part of the task's `run`, so a database error while committing is retried
    like one in the body (`autoretry_for` wraps `run`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        body = cls.__dict__.get("run")
        if isinstance(body, staticmethod):
            cls.run = staticmethod(_committing(body.__func__))  # type: ignore[method-assign]
        elif callable(body):
            cls.run = _committing(body)  # type: ignore[method-assign]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with _app().app_context():
            try:
                return self.run(*args, **kwargs)
            except BaseException:
                _discard_session()
                raise

    def on_retry(self, exc: BaseException, task_id: str, args: Any, kwargs: Any,
                 einfo: Any) -> None:
        from qa_app import jobs

        attempt, total = self.request.retries + 2, (self.max_retries or 0) + 1
        with _app().app_context():
            jobs.note(_job_run_id(self, args, kwargs),
                      f"Retrying after a database error (attempt {attempt} of {total})")

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        from qa_app import jobs

        with _app().app_context():
            jobs.fail_now(_job_run_id(self, args, kwargs), failure_reason(self, exc))


def _discard_session() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db.session.remove()
    except SQLAlchemyError:
        db.session.registry.clear()


def _job_run_id(task: Task, args: Any, kwargs: Any) -> int | None:
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except TypeError:
        return None
    value = bound.arguments.get("job_run_id")
    return value if isinstance(value, int) else None


def failure_reason(task: Task, exc: BaseException, *, retried: bool = True) -> str:
    """Why a task stopped, in words a manager can act on (`retried`: after all its retries)."""
    from billiard.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(exc, SoftTimeLimitExceeded | TimeLimitExceeded):
        soft, _hard = TIME_LIMITS.get(task.name, (0, 0))
        return (f"Stopped: it took longer than {soft} seconds, the most this job may take. "
                "Run it again; if it stops again, the data may need checking.")
    if isinstance(exc, OperationalError | InterfaceError) and not retried:
        return "Stopped: the database could not be reached. Run it again once it is back."
    if isinstance(exc, OperationalError | InterfaceError):
        return (f"Stopped: the database could not be reached after {(task.max_retries or 0) + 1}"
                " attempts over several minutes. Run it again once the database is back.")
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
    return f"Stopped by an unexpected error: {text}"


def celery_settings(broker_url: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_track_started": True,
        "timezone": "Europe/London",
        "broker_connection_retry_on_startup": True,
        "task_default_queue": os.environ.get("CELERY_QUEUE") or "celery",
        "task_annotations": {name: {"soft_time_limit": soft, "time_limit": hard}
                             for name, (soft, hard) in TIME_LIMITS.items()},
    }
    if broker_url:
        timeouts = {"socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": 10}
        settings.update(
            broker_url=broker_url,
            result_backend=os.environ.get("CELERY_RESULT_BACKEND") or broker_url,
            result_expires=24 * 3600,
            task_always_eager=False,
            broker_connection_timeout=BROKER_TIMEOUT,
            broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT, **timeouts},
            result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
            redis_socket_connect_timeout=BROKER_TIMEOUT,
            redis_socket_timeout=10,
        )
    else:
        settings.update(
            broker_url="memory://localhost/",
            result_backend="cache+memory://",
            task_always_eager=True,
            task_eager_propagates=True,
        )
    return settings


celery = Celery("workers", task_cls=FlaskTask)
celery.conf.update(celery_settings(os.environ.get("CELERY_BROKER_URL")))
app = celery


class BrokerUnavailable(RuntimeError):
    """The job broker cannot be reached; the message names it without credentials."""


@contextmanager
def quick_connection(timeout: float = BROKER_TIMEOUT) -> Iterator[Any]:
    """A broker connection that gives up within seconds on connect and on every read."""
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    with celery.connection_for_write(transport_options=options,
                                     connect_timeout=timeout) as conn:
        yield conn


def check_broker(timeout: float = BROKER_TIMEOUT) -> None:
    """Fail fast with one clear message instead of waiting on a dead, frozen or full broker:
    connect, and on Redis ask for an answer and write a short-lived key."""
    if celery.conf.task_always_eager:
        return
    from kombu.utils.url import maybe_sanitize_url

    url = maybe_sanitize_url(celery.conf.broker_url)
    try:
        with quick_connection(timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.2, interval_step=0.2,
                                   timeout=timeout)
            if conn.transport.driver_type == "redis":
                client = conn.default_channel.client
                client.set("ehcp-qa:broker-check", "1", ex=60)
    except Exception as exc:  # kombu raises many transport-specific errors
        detail = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
        raise BrokerUnavailable(f"cannot reach the job broker at {url}: {detail}") from None


def celery_init_app(flask: Flask) -> Celery:
    """Configure the one Celery app from the Flask config and bind it to this Flask app."""
    global _bound_app
    broker = flask.config.get("CELERY_BROKER_URL")
    if celery.conf.broker_url != (broker or "memory://localhost/"):
        _forget_connections()
    from qa_app.jobs.schedule import beat_schedule

    celery.conf.update(celery_settings(broker))
    celery.conf.beat_schedule = beat_schedule(flask)
    celery.conf.update(flask.config.get("CELERY_EXTRA", {}))
    celery.set_default()
    _bound_app = flask
    flask.extensions["celery"] = celery
    return celery


def _forget_connections() -> None:
    """A different broker: forget the pools and result backend made for the previous one.
    The pools are not closed: kombu keeps them in a registry by broker URL, and a closed
    one would be handed back the next time that URL is used."""
    celery._pool = None
    if "amqp" in celery.__dict__:
        celery.amqp._producer_pool = None
    celery._backend_cache = None
    celery._local.__dict__.pop("backend", None)


@celery.on_after_finalize.connect
def _bind_on_start(sender: Celery, **_kwargs: Any) -> None:
    """A worker or beat finalises the Celery app before it reads the schedule: build the Flask
    app then (unless one is bound or being built), so the schedule holds every feature's
    entries."""
    if _bound_app is None and not _building:
        flask_app()


celery.autodiscover_tasks(list(FEATURES), related_name="tasks", force=True)
