"""Thin tasks: take ids and plain values, call qa_app operations, commit once."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from sqlalchemy.exc import OperationalError

from qa_app import jobs
from qa_app.extensions import db

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="workers.tasks.nightly_sweep", **RETRY)
def nightly_sweep(today: str | None = None, job_run_id: int | None = None) -> dict[str, Any]:
    """Count advice that is overdue today, per agency, and record it for the manager."""
    from qa_app.register.queries import overdue_advice_by_agency

    as_of = date.fromisoformat(today) if today else date.today()
    run = jobs.start(job_run_id, "nightly_sweep", {"today": as_of.isoformat()})
    db.session.commit()
    overdue = overdue_advice_by_agency(as_of)
    jobs.progress(run, 90, f"{sum(overdue.values())} pieces of advice overdue")
    result = {"as_of": as_of.isoformat(), "overdue_by_agency": overdue}
    jobs.finish(run, result)
    db.session.commit()
    return result
