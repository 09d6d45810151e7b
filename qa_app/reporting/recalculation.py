"""Keep the figures current: every change that affects a figure asks for a recalculation.

A change to a final grade (or its criteria), to a submitted audit, or to a plan or advice
in the register adds a request for the periods it affects, in the same transaction as the
change (a session hook, so no write path can forget it), and queues the start of a
recalculation to follow that transaction's commit (qa_app/transactions.py), whether a
request, a task or a command made it; a rollback drops both. The recalculation of just
those periods runs on the worker when a broker is set (one queued job serves every
request made before it starts), else in-process. Until it lands, pages say the figures
are being recalculated and since when. Bulk register imports, which write through Core
rather than the ORM, ask with `request_everything`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session, SessionTransaction

from qa_app import transactions
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.register.models import Advice, Plan
from qa_app.reporting.models import EVERY_PERIOD, RecalculationRequest
from qa_app.reporting.periods import ACADEMIC_YEAR, CYCLE
from qa_app.timeutil import format_datetime, utcnow

log = logging.getLogger(__name__)

ASKED = "recalculation_asked"
ASKED_FOR = "recalculation_asked_for"
JOB = "recalculate"

PeriodRef = tuple[str, str]


def request(periods: Iterable[PeriodRef], reason: str, session: Session | None = None) -> None:
    """Ask, within the current transaction, for these periods to be recalculated once it
    commits."""
    session = session or db.session()
    asked = session.info.setdefault(ASKED_FOR, set())
    for kind, key in sorted(set(periods) - asked):
        session.add(RecalculationRequest(period_kind=kind, period_key=key,
                                         reason=reason[:200], requested_at=utcnow()))
        asked.add((kind, key))
    if not session.info.get(ASKED):
        session.info[ASKED] = True
        transactions.after_commit(start_after_commit)


def request_everything(reason: str) -> None:
    request([(EVERY_PERIOD, "")], reason)


def grade_periods(grade: FinalGrade) -> list[PeriodRef]:
    periods = [(ACADEMIC_YEAR, grade.academic_year)]
    if grade.cycle_id is not None:
        periods.append((CYCLE, str(grade.cycle_id)))
    return periods


def _affected(session: Session) -> tuple[set[PeriodRef], list[str]]:
    """The periods that the pending changes of a flush affect, and why."""
    periods: set[PeriodRef] = set()
    reasons: list[str] = []
    changed = [*session.new, *session.dirty, *session.deleted]
    for obj in changed:
        if isinstance(obj, FinalGrade):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            periods.update(grade_periods(obj))
            reasons.append("a final grade changed")
        elif isinstance(obj, FinalCriterionGrade):
            grade = obj.final_grade or (session.get(FinalGrade, obj.final_grade_id)
                                        if obj.final_grade_id else None)
            if grade is not None:
                periods.update(grade_periods(grade))
                reasons.append("a final grade changed")
        elif isinstance(obj, Audit | AuditScore):
            audit = obj if isinstance(obj, Audit) else obj.audit
            if audit is not None and audit.cycle_id is not None and _submitted(session, audit):
                periods.add((CYCLE, str(audit.cycle_id)))
                cycle = audit.cycle or session.get(Cycle, audit.cycle_id)
                if cycle is not None:  # the year's agreement counts the cycle's pairs too
                    periods.add((ACADEMIC_YEAR, cycle.academic_year))
                reasons.append("a submitted audit changed")
        elif isinstance(obj, Plan | Advice):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            periods.add((EVERY_PERIOD, ""))
            reasons.append("the register changed")
    return periods, reasons


def _submitted(session: Session, audit: Audit) -> bool:
    """Agreement counts submitted audits only: a draft's changes affect no figure."""
    if audit.status == "submitted":
        return True
    history = db.inspect(audit).attrs.status.history
    return "submitted" in (history.deleted or ())


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("recalculation_off"):
        return
    with session.no_autoflush:
        periods, reasons = _affected(session)
    if periods:
        request(periods, reasons[0], session)


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """Committed, rolled back or closed: the next transaction asks afresh."""
    if transaction.parent is None:
        session.info.pop(ASKED, None)
        session.info.pop(ASKED_FOR, None)


def start_after_commit() -> None:
    """Queued by the first request of a transaction: start the recalculation it asked for.
    A failure to start leaves the requests pending for the scheduled check."""
    if not current_app.config.get("RECALCULATE_ON_CHANGE", True):
        return
    try:
        launch()
    except Exception:  # the change itself is saved; the request stays
        db.session.rollback()
        log.exception("could not start the recalculation; it stays pending")


def init_app(app: Flask) -> None:
    """Watch every session, so that every change that affects a figure asks for it."""
    if not getattr(Session, "_recalculation_hooks", False):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_transaction_end", _transaction_ended)
        Session._recalculation_hooks = True  # type: ignore[attr-defined]

    @app.template_global()
    def recalculating_since(kind: str, key: str) -> str | None:
        since = pending_since(kind, key)
        return None if since is None else format_datetime(since)


def launch() -> int | None:
    """Start one recalculation of every pending period, unless one is already waiting."""
    from qa_app.jobs import JobNotStarted, note
    from qa_app.jobs import launch as start_job

    if not pending_exists():
        return None
    if not current_app.config.get("CELERY_BROKER_URL"):
        return start_job(JOB, {}, origin="automatic").run.id
    stall = timedelta(seconds=current_app.config.get("JOB_STALL_SECONDS", 300))
    waiting = db.session.scalar(
        select(JobRun.id).where(JobRun.job == JOB, JobRun.status == "queued",
                                JobRun.created_at > utcnow() - stall).limit(1)
    )
    if waiting is not None:
        return waiting
    try:
        return start_job(JOB, {}, origin="automatic").run.id
    except JobNotStarted as exc:
        note(exc.run_id, f"Not started: {exc}; the next scheduled check will try again")
        return exc.run_id


def pending_exists() -> bool:
    return db.session.scalar(select(RecalculationRequest.id).limit(1)) is not None


def pending_periods() -> tuple[list[PeriodRef], bool]:
    """The periods with requests waiting, and whether one of them asks for every period."""
    rows = db.session.execute(
        select(RecalculationRequest.period_kind, RecalculationRequest.period_key).distinct()
    ).all()
    everything = any(kind == EVERY_PERIOD for kind, _ in rows)
    return sorted((k, key) for k, key in rows if k != EVERY_PERIOD), everything


def pending_since(kind: str, key: str) -> datetime | None:
    """When the oldest change not yet counted in this period's figures was made."""
    return db.session.scalar(
        select(func.min(RecalculationRequest.requested_at)).where(
            or_(RecalculationRequest.period_kind == EVERY_PERIOD,
                (RecalculationRequest.period_kind == kind)
                & (RecalculationRequest.period_key == key)))
    )
