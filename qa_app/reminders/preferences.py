"""Which optional reminders each person turned off (required ones cannot be)."""

from __future__ import annotations

from sqlalchemy import delete, select

from qa_app import audit_log
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.reminders.kinds import KINDS, optional_kinds_for
from qa_app.reminders.models import ReminderOptOut


def turned_off(user_id: int) -> set[str]:
    return set(db.session.scalars(
        select(ReminderOptOut.kind).where(ReminderOptOut.user_id == user_id)))


def choose(user: User, wanted: set[str]) -> tuple[list[str], list[str]]:
    """Keep the optional kinds in `wanted` on and turn the role's other optional kinds off;
    returns (turned on, turned off) now, and logs the change when there is one."""
    optional = {kind.name for kind in optional_kinds_for(user.role)}
    before = turned_off(user.id) & optional
    after = optional - wanted
    order = list(KINDS)
    on = sorted(before - after, key=order.index)
    off = sorted(after - before, key=order.index)
    if on:
        db.session.execute(delete(ReminderOptOut).where(
            ReminderOptOut.user_id == user.id, ReminderOptOut.kind.in_(on)))
    db.session.add_all(ReminderOptOut(user_id=user.id, kind=kind) for kind in off)
    db.session.flush()
    if on or off:
        audit_log.record("reminders.choose", "user", user.id, changes={
            "turned_on": [KINDS[kind].title for kind in on],
            "turned_off": [KINDS[kind].title for kind in off]})
    return on, off
