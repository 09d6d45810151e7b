"""Re-audit events on a plan's case timeline (qa_app/learning/timeline.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

from flask import url_for

from qa_app.learning.timeline import TimelineEvent
from qa_app.reaudit.queries import timeline_moments


def events(plan_id: int) -> Iterator[TimelineEvent]:
    for when, what, detail, agency_id, mark_id in timeline_moments(plan_id):
        moment = when if isinstance(when, datetime) else datetime.combine(when, time(0, 0))
        yield TimelineEvent(moment, what, detail, agency_id,
                            url_for("reaudit.show", mark_id=mark_id))
