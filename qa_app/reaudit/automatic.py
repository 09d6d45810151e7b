"""The partnership setting REAUDIT_BELOW_STANDARD: every final grade of an audit cycle that is
finalised (or changed) below good is marked "amend and re-audit" at once, in the same
transaction, whatever path wrote it (agreement, moderation, a changed grade)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from qa_app import audit_log
from qa_app.audits.moderation.models import FinalGrade
from qa_app.reaudit.models import ReauditMark
from qa_app.timeutil import utcnow

SETTING = "REAUDIT_BELOW_STANDARD"
PENDING = "reaudit_below_standard"
REASON = "Marked by the partnership setting: every grade below good is re-audited"


def enabled() -> bool:
    """The setting (qa_app/config.py), as true or false even if a test or an override set it
    as text."""
    if not has_app_context():
        return False
    value = current_app.config.get(SETTING)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _below_standard(obj: Any) -> bool:
    return (isinstance(obj, FinalGrade) and obj.cycle_id is not None
            and obj.finalised_at is not None and not obj.good_or_better)


def _collect(session: Session, _context: Any) -> None:
    if not enabled():
        return
    found = [o for o in (*session.new, *session.dirty) if _below_standard(o)]
    if found:
        session.info.setdefault(PENDING, []).extend(found)


def _mark(session: Session, _context: Any) -> None:
    grades = session.info.pop(PENDING, None)
    if not grades:
        return
    with session.no_autoflush:
        ids = {g.id for g in grades}
        marked = set(session.execute(
            select(ReauditMark.final_grade_id).where(ReauditMark.final_grade_id.in_(ids))
        ).scalars())
        for grade in {g.id: g for g in grades}.values():
            if grade.id in marked:
                continue
            session.add(ReauditMark(
                final_grade_id=grade.id, plan_id=grade.plan_id, advice_id=grade.advice_id,
                agency_id=grade.agency_id, from_cycle_id=grade.cycle_id, marked_at=utcnow()))
            audit_log.record("reaudit.mark", "final_grade", grade.id, reason=REASON,
                             changes={"final_grade_id": grade.id, "cycle_id": grade.cycle_id,
                                      "automatic": True})


def init_app(_app: Flask) -> None:
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_flush_postexec", _mark)
