"""What runs on a schedule (celery beat): each feature adds its entries to the Flask app, and
the Celery app takes them all when it is bound to that app (see workers/__init__.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from qa_app.config import env_int

EXTENSION = "qa_beat_schedule"


def add_beat(app: Flask, name: str, task_name: str, schedule: Any, **options: Any) -> None:
    """Run the task called `task_name` on `schedule` (a crontab or seconds); `options` are
    further beat entry keys (args, kwargs, options)."""
    entries: dict[str, dict[str, Any]] = app.extensions.setdefault(EXTENSION, {})
    if name in entries:
        raise ValueError(f"the schedule already has an entry called {name!r}")
    entries[name] = {"task": task_name, "schedule": schedule, **options}


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    return {name: dict(entry) for name, entry in app.extensions.get(EXTENSION, {}).items()}


def check_seconds(app: Flask) -> float:
    """How often the frequent checks run: JOB_CHECK_SECONDS, 60 by default."""
    return float(app.config.get("JOB_CHECK_SECONDS") or env_int("JOB_CHECK_SECONDS", 60))
