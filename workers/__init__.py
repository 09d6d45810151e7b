"""The Celery app, bound to Flask so that every task runs inside an app context.

`celery -A workers worker` imports this module; the Flask app is built lazily, the first
time a task runs in that process, not at import. The web process binds its own app with
`celery_init_app`. With no CELERY_BROKER_URL, tasks run in-process (eagerly).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, current_app, has_app_context

_bound_app: Flask | None = None


def flask_app() -> Flask:
    if _bound_app is None:
        from qa_app import create_app

        celery_init_app(create_app())
    assert _bound_app is not None
    return _bound_app


class FlaskTask(Task):
    """Run each task in its own app context, so it has its own database session."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        app = current_app._get_current_object() if has_app_context() else flask_app()
        with app.app_context():
            return self.run(*args, **kwargs)


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
        "beat_schedule": {
            "nightly-sweep": {
                "task": "workers.tasks.nightly_sweep",
                "schedule": crontab(hour=2, minute=0),
            },
            "nightly-aggregate": {
                "task": "workers.tasks.aggregate",
                "schedule": crontab(hour=2, minute=30),
            },
        },
    }
    if broker_url:
        settings.update(
            broker_url=broker_url,
            result_backend=os.environ.get("CELERY_RESULT_BACKEND") or broker_url,
            result_expires=24 * 3600,
            task_always_eager=False,
            broker_transport_options={"visibility_timeout": 6 * 3600},
            result_backend_transport_options={"visibility_timeout": 6 * 3600},
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
celery.autodiscover_tasks(["workers"], related_name="tasks", force=True)
app = celery


class BrokerUnavailable(RuntimeError):
    """The job broker cannot be reached; the message names it without credentials."""


def check_broker(timeout: float = 3.0) -> None:
    """Fail fast with one clear message instead of retrying a dead broker for minutes."""
    if celery.conf.task_always_eager:
        return
    from kombu.utils.url import maybe_sanitize_url

    url = maybe_sanitize_url(celery.conf.broker_url)
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001  (kombu raises many transport-specific errors)
        raise BrokerUnavailable(f"cannot reach the job broker at {url}: {exc}") from None


def celery_init_app(flask: Flask) -> Celery:
    """Configure the one Celery app from the Flask config and bind it to this Flask app."""
    global _bound_app
    celery.conf.update(celery_settings(flask.config.get("CELERY_BROKER_URL")))
    celery.conf.update(flask.config.get("CELERY_EXTRA", {}))
    celery.set_default()
    _bound_app = flask
    flask.extensions["celery"] = celery
    return celery
