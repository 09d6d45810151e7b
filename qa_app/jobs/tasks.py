"""The scheduled check that finds stalled jobs (on beat, every JOB_CHECK_SECONDS)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

CHECK_TASK = "jobs.check_stalled"


@shared_task(name=CHECK_TASK)
def check_stalled_jobs() -> dict[str, Any]:
    """Send stalled jobs again, or fail those that have had their tries."""
    from qa_app.jobs.recovery import check_stalled

    outcome = check_stalled()
    return {"resent": outcome.resent, "failed": outcome.failed}
