"""The case timeline's own events: the sample, every submitted audit, each final grade and
its moderation or change (from the audit log), and every issued letter that lists the plan or
its advice. Each is read through the request's access scope, so a viewer's timeline holds
only what the plan's page would show them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from flask import has_request_context, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.sampling import REAUDIT
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.models import Audit
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.learning.timeline import TimelineEvent
from qa_app.register.models import Advice, Plan

FINAL_GRADE_WORDS = {
    "final_grade.agreed": "Final grade agreed",
    "final_grade.moderated": "Moderated: final grade decided by the panel chair",
    "final_grade.imported": "Final grade imported",
    "final_grade.reimport": "Imported final grade updated",
    "final_grade.change": "Final grade changed",
}
HOW = {
    "final_grade.agreed": "The auditors agreed",
    "final_grade.moderated": "The auditors disagreed and the panel chair decided",
    "final_grade.imported": "Imported from an earlier spreadsheet of agreed grades",
    "final_grade.reimport": "Imported again from an earlier spreadsheet of agreed grades",
}


def at_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def subject_words(plan: Plan | None, advice: Advice | None) -> str:
    """The subject by its pseudonymous reference only."""
    if plan is not None:
        return f"the EHC plan {plan.ref}"
    assert advice is not None
    return f"the {advice.advice_type.replace('_', ' ')} advice {advice.ref}"


def subject_agency(plan: Plan | None, advice: Advice | None) -> int:
    return plan.agency_id if plan is not None else advice.agency_id  # type: ignore[union-attr]


def _of_plan(model: Any, plan_id: int) -> Any:
    return or_(model.plan_id == plan_id,
               model.advice_id.in_(select(Advice.id).where(Advice.plan_id == plan_id)))


def _labels(body: dict[str, Any] | None) -> dict[int, str]:
    return {level["value"]: level["label"] for level in (body or {}).get("scale", [])}


def _grade_words(value: Any, labels: dict[int, str]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return labels.get(value, "a grade not on the scale")
    return "not recorded"


def case_events(plan_id: int) -> Iterator[TimelineEvent]:
    """The plan's story as this app records it; other features add theirs as sources."""
    yield from _sampled(plan_id)
    yield from _audits(plan_id)
    finals = list(db.session.execute(
        select(FinalGrade).options(selectinload(FinalGrade.plan), selectinload(FinalGrade.advice),
                                   selectinload(FinalGrade.rubric_version))
        .where(_of_plan(FinalGrade, plan_id)).order_by(FinalGrade.id)).scalars())
    yield from _final_grades(finals)
    yield from _letters(finals)


def _sampled(plan_id: int) -> Iterator[TimelineEvent]:
    """The random draws that took the plan or its advice (a re-audit place is the re-audit
    feature's event)."""
    rows = db.session.execute(
        select(Cycle.name, Sample.drawn_at).join(Sample, Sample.cycle_id == Cycle.id)
        .join(SampleItem, SampleItem.sample_id == Sample.id)
        .where(_of_plan(SampleItem, plan_id), SampleItem.stratum != REAUDIT).distinct()
    ).all()
    for cycle_name, drawn_at in rows:
        yield TimelineEvent(drawn_at, "Chosen for the audit sample",
                            f"The plan or its advice was drawn in the sample for {cycle_name}.",
                            None)


def _audits(plan_id: int) -> Iterator[TimelineEvent]:
    rows = db.session.execute(
        select(Audit, Cycle.name).outerjoin(Cycle, Cycle.id == Audit.cycle_id)
        .options(selectinload(Audit.plan), selectinload(Audit.advice),
                 selectinload(Audit.rubric_version))
        .where(_of_plan(Audit, plan_id), Audit.status == "submitted")
        .order_by(Audit.id)
    ).all()
    for audit, cycle_name in rows:
        when = audit.submitted_at or (at_start(audit.audit_date) if audit.audit_date else None)
        if when is None:
            continue
        subject = subject_words(audit.plan, audit.advice)
        grade = _grade_words(audit.overall_grade, _labels(audit.rubric_version.body))
        if audit.source == "import":
            what, said = "Historic audit imported", f"An earlier audit of {subject} was imported"
        else:
            what, said = "Audit submitted", f"An auditor submitted an audit of {subject}"
        where = f" in {cycle_name}" if cycle_name else ""
        yield TimelineEvent(when, what, f"{said}{where}. Overall grade: {grade}.",
                            subject_agency(audit.plan, audit.advice))


def _final_grades(finals: list[FinalGrade]) -> Iterator[TimelineEvent]:
    if not finals:
        return
    by_id = {str(f.id): f for f in finals}
    entries = db.session.execute(
        select(AuditLogEntry).where(AuditLogEntry.record_type == "final_grade",
                                    AuditLogEntry.record_id.in_(list(by_id)),
                                    AuditLogEntry.action.in_(list(FINAL_GRADE_WORDS)))
        .order_by(AuditLogEntry.at, AuditLogEntry.id)
    ).scalars().all()
    logged = {e.record_id for e in entries if e.action != "final_grade.change"}
    for final in finals:
        if str(final.id) not in logged:
            yield _recorded(final)
    told = _told_by_challenges(entries, by_id)
    for entry in entries:
        if entry.id not in told:
            yield _logged(entry, by_id[entry.record_id])


def _told_by_challenges(entries: list[AuditLogEntry], by_id: dict[str, FinalGrade]) -> set[int]:
    """The changes that a challenge's outcome made: the challenges' source tells each as
    "Grade changed after a challenge", so this source leaves them out. Deciding a challenge
    changes the grade through moderation's own change (logged `final_grade.change`), then logs
    `grade_challenge.changed` naming the grade: that change is the grade's last logged change
    before the challenge's entry."""
    changes = [e for e in entries if e.action == "final_grade.change"]
    if not changes:
        return set()
    outcomes = db.session.execute(
        select(AuditLogEntry).where(AuditLogEntry.record_type == "grade_challenge",
                                    AuditLogEntry.action == "grade_challenge.changed",
                                    AuditLogEntry.at >= min(e.at for e in changes))
        .order_by(AuditLogEntry.id)
    ).scalars().all()
    told = set()
    for outcome in outcomes:
        grade_id = str((outcome.changes or {}).get("final_grade_id"))
        if grade_id not in by_id:
            continue
        before = [e.id for e in changes if e.record_id == grade_id and e.id < outcome.id
                  and e.user_id == outcome.user_id]
        if before:
            told.add(max(before))
    return told


def _recorded(final: FinalGrade) -> TimelineEvent:
    """A final grade with no entry of its own in the audit log (written before the log was)."""
    labels = _labels(final.rubric_version.body)
    subject = subject_words(final.plan, final.advice)
    grade = _grade_words(final.grade, labels)
    return TimelineEvent(final.finalised_at or final.created_at, "Final grade recorded",
                         f"Final grade of {subject}: {grade}.", final.agency_id)


def _logged(entry: AuditLogEntry, final: FinalGrade) -> TimelineEvent:
    labels = _labels(final.rubric_version.body)
    subject = subject_words(final.plan, final.advice)
    changes = entry.changes or {}
    reason = f" Reason given: {entry.reason}" if entry.reason else ""
    if entry.action == "final_grade.change":
        grade = changes.get("grade")
        if isinstance(grade, list) and len(grade) == 2:
            said = (f"The final grade of {subject} changed from "
                    f"{_grade_words(grade[0], labels)} to {_grade_words(grade[1], labels)}.")
        else:
            said = f"Criterion grades of {subject} changed; the overall grade stayed the same."
    else:
        said = (f"{HOW[entry.action]}: final grade of {subject} "
                f"{_grade_words(changes.get('grade', final.grade), labels)}.")
    return TimelineEvent(entry.at, FINAL_GRADE_WORDS[entry.action], said + reason,
                         final.agency_id)


def _letters(finals: list[FinalGrade]) -> Iterator[TimelineEvent]:
    """Issued letters of the (agency, cycle) pairs graded whose stored content lists one of
    the plan's subjects: a letter is the agency's part of the story."""
    from qa_app.letters.models import Letter

    if has_request_context() and current_user.is_authenticated \
            and current_user.role == str(Role.AUDITOR):
        return  # auditors do not read letters (letters/views.py)
    refs: dict[tuple[int, int], set[str]] = {}
    for final in finals:
        if final.cycle_id is not None:
            ref = final.plan.ref if final.plan is not None else final.advice.ref  # type: ignore[union-attr]
            refs.setdefault((final.agency_id, final.cycle_id), set()).add(ref)
    if not refs:
        return
    letters = db.session.execute(
        select(Letter).options(selectinload(Letter.agency), selectinload(Letter.cycle))
        .where(Letter.status == "issued", Letter.issued_at.is_not(None),
               Letter.cycle_id.in_({c for _a, c in refs}),
               Letter.agency_id.in_({a for a, _c in refs}))
        .order_by(Letter.issued_at, Letter.id)
    ).scalars().all()
    for letter in letters:
        listed = {item.get("reference") for item in
                  ((letter.content or {}).get("facts") or {}).get("items", [])}
        cited = sorted(refs.get((letter.agency_id, letter.cycle_id), set()) & listed)
        if not cited:
            continue
        assert letter.issued_at is not None
        yield TimelineEvent(
            letter.issued_at, "Feedback letter issued",
            f"Letter {letter.reference} to {letter.agency.name} for {letter.cycle.name}, "
            f"version {letter.version}, lists {', '.join(cited)}.",
            letter.agency_id, url=url_for("letters.show", letter_id=letter.id)
            if has_request_context() else None)
