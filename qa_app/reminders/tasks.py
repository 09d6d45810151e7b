"""The daily reminders run (beat, 07:00): the weekly summary goes on the Monday run, or on the
week's first run after it if Monday's did not happen."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from workers import RETRY

TASK = "workers.tasks.send_reminders"


@shared_task(name=TASK, **RETRY)
def send_reminders(today: str | None = None) -> dict[str, Any]:
    """Send every reminder due today; the task's one commit writes the outbox messages and the
    sent-once rows together, and delivery follows the commit."""
    from qa_app.reminders.operations import send_due

    as_of = date.fromisoformat(today) if today else date.today()
    outcomes = send_due(as_of)
    return {"as_of": as_of.isoformat(), "sent": sum(1 for o in outcomes if o.sent),
            "not_sent": sum(1 for o in outcomes if not o.sent)}
