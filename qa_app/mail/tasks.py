"""Email on the worker: one small task per message, tried again with growing waits, and a
scheduled sweep for messages the broker did not take when they were written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task

DELIVER_TASK = "mail.deliver"
SWEEP_TASK = "mail.send_waiting"
SWEEP_AFTER = timedelta(minutes=5)


@shared_task(bind=True, name=DELIVER_TASK, ignore_result=True, max_retries=None)
def deliver(self: Any, message_id: int) -> str:
    """Try once; on a failure worth trying again, save the attempt and retry after a wait."""
    from qa_app import transactions
    from qa_app.mail.delivery import attempt

    outcome = attempt(message_id)
    if outcome.retry_in is not None:
        transactions.commit_point()
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=SWEEP_TASK, ignore_result=True)
def send_waiting() -> int:
    """Hand over messages still waiting a while after they were written."""
    from sqlalchemy import select

    from qa_app.extensions import db
    from qa_app.mail.delivery import hand_over
    from qa_app.mail.models import QUEUED, OutboxMessage
    from qa_app.timeutil import utcnow

    ids = db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.status == QUEUED,
                                       OutboxMessage.created_at < utcnow() - SWEEP_AFTER)
        .order_by(OutboxMessage.id).limit(500)
    ).scalars().all()
    for message_id in ids:
        hand_over(message_id)
    return len(ids)
