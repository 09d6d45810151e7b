"""The register's background jobs: the nightly count of overdue advice, and large imports."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from qa_app import jobs
from workers import RETRY


@shared_task(name="workers.tasks.nightly_sweep", **RETRY)
def nightly_sweep(today: str | None = None, job_run_id: int | None = None) -> dict[str, Any]:
    """Count advice that is overdue today, per agency, and record it for the manager."""
    from qa_app.register.queries import overdue_advice_by_agency

    as_of = date.fromisoformat(today) if today else date.today()
    run = jobs.start(job_run_id, "nightly_sweep", {"today": as_of.isoformat()})
    overdue = overdue_advice_by_agency(as_of)
    jobs.progress(run, 90, f"{sum(overdue.values())} pieces of advice overdue")
    result = {"as_of": as_of.isoformat(), "overdue_by_agency": overdue}
    jobs.finish(run, result)
    return result


@shared_task(name="workers.tasks.import_file", **RETRY)
def import_file(kind: str, file: str, file_name: str, mapping: str | None = None,
                mapping_name: str = "", actor_id: int | None = None,
                job_run_id: int | None = None) -> dict[str, Any]:
    """Import an uploaded spreadsheet kept in the instance folder (all or nothing)."""
    from qa_app.register.importing.background import run_stored

    last_try = import_file.request.retries >= (import_file.max_retries or 0)
    return run_stored(kind, file, file_name, mapping, mapping_name, actor_id, job_run_id,
                      last_try=last_try)
