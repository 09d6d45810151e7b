"""Reads over the register."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.register.models import Advice, Agency


def overdue_advice_by_agency(as_of: date) -> dict[str, int]:
    """Advice past its due date and not yet received, without a statutory exception."""
    rows = db.session.execute(
        select(Agency.name, func.count(Advice.id))
        .join(Advice, Advice.agency_id == Agency.id)
        .where(
            Advice.received_date.is_(None),
            Advice.due_date < as_of,
            Advice.exception.is_(None),
        )
        .group_by(Agency.name)
        .order_by(Agency.name)
    ).all()
    return {name: count for name, count in rows}
