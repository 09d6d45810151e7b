"""Marking a below-standard grade for amendment and re-audit, recording the amendment,
withdrawing a mark no sample has taken, and adding amended work to the next sample beside the
random draw. Each step is checked and written to the audit log; nothing here commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.sampling import REAUDIT
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.reaudit.models import ReauditMark
from qa_app.rules import RuleError
from qa_app.timeutil import utcnow

REASON_MAX = 1000


class ReauditError(RuleError):
    """A re-audit step refused, with a message a person can act on."""


def check_markable(grade: FinalGrade) -> None:
    """Only a finalised, below-standard grade of an audit cycle, marked once."""
    if grade.cycle_id is None:
        raise ReauditError("Only a grade from an audit cycle can be re-audited: this one "
                           "was imported from a spreadsheet")
    if grade.finalised_at is None:
        raise ReauditError("The grade is not final yet: it can be marked once the panel has "
                           "finalised it")
    if grade.good_or_better:
        raise ReauditError("The grade is good or better: only work that requires improvement "
                           "or is inadequate is amended and re-audited")
    found = mark_for(grade.id)
    if found is not None and not found.withdrawn:
        raise ReauditError("This grade is already marked to be amended and re-audited")


def mark_for(final_grade_id: int) -> ReauditMark | None:
    """The grade's mark, withdrawn or not (a grade has one row at most)."""
    return db.session.execute(
        select(ReauditMark).where(ReauditMark.final_grade_id == final_grade_id)
    ).scalar_one_or_none()


def mark(grade: FinalGrade, *, actor_id: int | None = None) -> ReauditMark:
    """Mark the grade; a grade whose mark was withdrawn is marked again on the same row,
    starting afresh (the agency records a new amendment date)."""
    check_markable(grade)
    assert grade.cycle_id is not None
    row = mark_for(grade.id)
    again = row is not None
    if row is None:
        row = ReauditMark(final_grade_id=grade.id, plan_id=grade.plan_id,
                          advice_id=grade.advice_id, from_cycle_id=grade.cycle_id)
        db.session.add(row)
    row.agency_id, row.marked_by_id, row.marked_at = grade.agency_id, actor_id, utcnow()
    row.amended_on = row.amended_at = row.amended_by_id = None
    row.withdrawn_at = row.withdrawn_by_id = row.withdrawal_reason = None
    db.session.flush()
    audit_log.record("reaudit.mark", "reaudit_mark", row.id, user_id=actor_id, changes={
        "final_grade_id": grade.id, "cycle_id": grade.cycle_id,
        "subject": _subject_key(row), "again": again})
    return row


def check_withdrawable(mark_: ReauditMark) -> None:
    """Only a mark no sample has taken: once drawn, the re-audit place is part of the
    cycle's sample and the audit goes ahead."""
    if mark_.withdrawn:
        raise ReauditError("This mark is already withdrawn")
    if mark_.included_cycle_id is not None:
        raise ReauditError("The work is already in a cycle's sample for re-audit, so the mark "
                           "can no longer be withdrawn")


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ReauditError("Enter why you are withdrawing the mark", "reason")
    if len(text) > REASON_MAX:
        raise ReauditError(f"The reason must be {REASON_MAX} characters or fewer", "reason")
    return text


def withdraw(mark_: ReauditMark, reason: str | None, *,
             actor_id: int | None = None) -> ReauditMark:
    """Withdraw a mark before any sample takes it. The row is locked first, so a sample
    drawn at the same moment either takes the work or sees it withdrawn, never both."""
    text = check_reason(reason)
    locked = db.session.execute(
        select(ReauditMark).where(ReauditMark.id == mark_.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    check_withdrawable(locked)
    locked.withdrawn_at, locked.withdrawn_by_id = utcnow(), actor_id
    locked.withdrawal_reason = text
    db.session.flush()
    audit_log.record("reaudit.withdraw", "reaudit_mark", locked.id, user_id=actor_id,
                     reason=text, changes={
                         "final_grade_id": locked.final_grade_id, "subject": _subject_key(locked),
                         "amended_on": locked.amended_on.isoformat() if locked.amended_on
                         else None})
    return locked


def graded_on(mark_: ReauditMark) -> date:
    """The day the marked grade was finalised (its audit date when no time was recorded)."""
    grade = mark_.final_grade
    return grade.finalised_at.date() if grade.finalised_at else grade.audit_date


def check_amendment(mark_: ReauditMark, amended_on: date | None, today: date) -> date:
    """The amendment date must be real, not in the future and not before the final grade."""
    if mark_.withdrawn:
        raise ReauditError("The mark is withdrawn: mark the grade again to ask for an amendment")
    if mark_.included_cycle_id is not None:
        raise ReauditError("The work is already in a cycle's sample for re-audit, so its "
                           "amendment date can no longer change")
    if amended_on is None:
        raise ReauditError("Enter the date the work was amended", "amended_on")
    if amended_on > today:
        raise ReauditError("The amendment date must be today or in the past", "amended_on")
    first = graded_on(mark_)
    if amended_on < first:
        raise ReauditError(f"The amendment date must be on or after {first:%d/%m/%Y}, the day "
                           "the grade was finalised", "amended_on")
    return amended_on


def record_amendment(mark_: ReauditMark, amended_on: date | None, *, today: date,
                     actor_id: int | None = None) -> ReauditMark:
    day = check_amendment(mark_, amended_on, today)
    before = mark_.amended_on.isoformat() if mark_.amended_on else None
    mark_.amended_on, mark_.amended_at, mark_.amended_by_id = day, utcnow(), actor_id
    db.session.flush()
    audit_log.record("reaudit.amend", "reaudit_mark", mark_.id, user_id=actor_id,
                     changes={"amended_on": [before, day.isoformat()]})
    return mark_


def waiting_for(cycle: Cycle) -> list[ReauditMark]:
    """Amended marks the cycle's draw takes: graded in an earlier cycle, amended by the end
    of this one, not withdrawn and not yet in another cycle's sample. The rows are locked
    (see `withdraw`)."""
    earlier = select(Cycle.id).where(Cycle.start_date < cycle.start_date, Cycle.id != cycle.id)
    return list(db.session.execute(
        select(ReauditMark)
        .where(ReauditMark.amended_on.is_not(None), ReauditMark.amended_on <= cycle.end_date,
               ReauditMark.withdrawn_at.is_(None),
               ReauditMark.from_cycle_id.in_(earlier),
               (ReauditMark.included_cycle_id.is_(None))
               | (ReauditMark.included_cycle_id == cycle.id))
        .order_by(ReauditMark.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalars())


def include_in_sample(cycle: Cycle, sample: Sample, *, actor_id: int | None = None) -> int:
    """Add each amended subject waiting for re-audit as a re-audit place beside the random
    sample; a subject the random draw chose anyway stays a random item. Returns the number
    of places added."""
    drawn = {(i.plan_id, i.advice_id) for i in sample.items}
    added = 0
    for row in waiting_for(cycle):
        at_random = (row.plan_id, row.advice_id) in drawn
        if not at_random:
            sample.items.append(SampleItem(plan_id=row.plan_id, advice_id=row.advice_id,
                                           stratum=REAUDIT))
            added += 1
        row.included_cycle_id, row.included_at = cycle.id, utcnow()
        row.drawn_at_random = at_random
        audit_log.record("reaudit.include", "reaudit_mark", row.id, user_id=actor_id, changes={
            "cycle": cycle.name, "sample_id": sample.id, "drawn_at_random": at_random})
    db.session.flush()
    return added


def release_from(cycle: Cycle) -> None:
    """Before a sample is redrawn: its re-audit places go back to waiting."""
    for row in db.session.execute(
        select(ReauditMark).where(ReauditMark.included_cycle_id == cycle.id)
    ).scalars():
        row.included_cycle_id, row.included_at, row.drawn_at_random = None, None, False


def _subject_key(row: ReauditMark) -> str:
    return f"plan:{row.plan_id}" if row.plan_id is not None else f"advice:{row.advice_id}"
