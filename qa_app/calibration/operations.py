"""Writes for calibration: start a round, save and submit an auditor's blind grades, record
the agreed reference and close the round. Each step is in the audit log; nothing commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.scoring.layout import ScoringLayout
from qa_app.calibration.models import (
    CalibrationGrade,
    CalibrationParticipant,
    CalibrationReference,
    CalibrationRound,
)
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from qa_app.rules import RuleError
from qa_app.standards.models import RubricVersion
from qa_app.timeutil import utcnow

RECORD = "calibration_round"
CLOSED_MESSAGE = "This calibration round is closed: its grades can no longer be changed"
SUBMITTED_MESSAGE = "You have already submitted your grades for this round"


def create_round(*, name: str, subject: Plan | Advice, version: RubricVersion,
                 chair_id: int | None, auditor_ids: Sequence[int], actor_id: int | None,
                 writer_agency_id: int, auditor_agencies: Mapping[int, int | None]
                 ) -> CalibrationRound:
    """A round for one plan or advice. Auditors from the agency that wrote it are refused,
    as on a live panel."""
    kind = "plan" if isinstance(subject, Plan) else "advice"
    if version.applies_to != kind:
        raise RuleError(f"That practice standard is for {version.applies_to}, "
                        f"but {subject.ref} is {'a plan' if kind == 'plan' else 'advice'}",
                        "rubric_version_id")
    if len(set(auditor_ids)) < 2:
        raise RuleError("Choose at least two auditors", "auditor_ids")
    own = [a for a in auditor_ids if auditor_agencies.get(a) == writer_agency_id]
    if own:
        raise RuleError("Leave out auditors from the agency that wrote this "
                        f"{'plan' if kind == 'plan' else 'advice'}: {len(own)} chosen",
                        "auditor_ids")
    row = CalibrationRound(
        name=name, plan_id=subject.id if kind == "plan" else None,
        advice_id=subject.id if kind == "advice" else None, rubric_version_id=version.id,
        chair_id=chair_id, created_by_id=actor_id,
        participants=[CalibrationParticipant(auditor_id=a) for a in sorted(set(auditor_ids))])
    db.session.add(row)
    db.session.flush()
    audit_log.record("calibration.create", RECORD, row.id, user_id=actor_id, changes={
        "subject": subject.ref, "rubric_version_id": version.id, "chair_id": chair_id,
        "auditor_ids": sorted(set(auditor_ids))})
    return row


def _check_grades(layout: ScoringLayout, grades: Mapping[str, int | None]) -> None:
    judged = {c.id for c in layout.judged}
    allowed = set(layout.rubric.scale_values)
    for criterion_id, grade in grades.items():
        if criterion_id not in judged:
            raise RuleError("That criterion is not graded for this subject")
        if grade is not None and grade not in allowed:
            raise RuleError("Choose a grade on the practice standard's scale",
                            f"grade_{criterion_id}")


def _open_for(round_: CalibrationRound, member: CalibrationParticipant | None) -> None:
    if not round_.is_open:
        raise RuleError(CLOSED_MESSAGE)
    if member is None:
        raise RuleError("You are not taking part in this round")
    if member.submitted_at is not None:
        raise RuleError(SUBMITTED_MESSAGE)


def save_grades(round_: CalibrationRound, member: CalibrationParticipant | None,
                layout: ScoringLayout, grades: Mapping[str, int | None],
                evidence: Mapping[str, str]) -> None:
    """Keep an auditor's grades as a draft (they may change them until they submit)."""
    _open_for(round_, member)
    _check_grades(layout, grades)
    assert member is not None
    stored = {g.criterion_id: g for g in db.session.scalars(select(CalibrationGrade).where(
        CalibrationGrade.round_id == round_.id, CalibrationGrade.auditor_id == member.auditor_id))}
    for criterion in layout.judged:
        grade, note = grades.get(criterion.id), evidence.get(criterion.id) or None
        row = stored.get(criterion.id)
        if row is None:
            db.session.add(CalibrationGrade(round_id=round_.id, auditor_id=member.auditor_id,
                                            criterion_id=criterion.id, grade=grade,
                                            evidence=note))
        else:
            row.grade, row.evidence = grade, note
    db.session.flush()
    audit_log.record("calibration.save_draft", RECORD, round_.id, user_id=member.auditor_id,
                     changes={"grades": {k: v for k, v in grades.items()}})


def submit_grades(round_: CalibrationRound, member: CalibrationParticipant | None,
                  layout: ScoringLayout) -> None:
    """Make the auditor's saved grades final: every judged criterion must be graded."""
    _open_for(round_, member)
    assert member is not None
    stored = {g.criterion_id: g.grade for g in db.session.scalars(select(CalibrationGrade).where(
        CalibrationGrade.round_id == round_.id, CalibrationGrade.auditor_id == member.auditor_id))}
    missing = [c.title for c in layout.judged if stored.get(c.id) is None]
    if missing:
        raise RuleError("Grade every criterion before you submit: " + ", ".join(missing))
    member.submitted_at = utcnow()
    db.session.flush()
    audit_log.record("calibration.submit", RECORD, round_.id, user_id=member.auditor_id,
                     changes={"grades": stored})


def save_reference(round_: CalibrationRound, layout: ScoringLayout,
                   grades: Mapping[str, int | None], actor_id: int | None) -> None:
    """The panel's agreed grades, kept until they are checked and the round is closed."""
    if not round_.is_open:
        raise RuleError(CLOSED_MESSAGE)
    _check_grades(layout, grades)
    stored = {r.criterion_id: r for r in db.session.scalars(
        select(CalibrationReference).where(CalibrationReference.round_id == round_.id))}
    for criterion in layout.judged:
        grade = grades.get(criterion.id)
        row = stored.get(criterion.id)
        if grade is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(CalibrationReference(round_id=round_.id, criterion_id=criterion.id,
                                                grade=grade))
        else:
            row.grade = grade
    db.session.flush()
    audit_log.record("calibration.reference_draft", RECORD, round_.id, user_id=actor_id,
                     changes={"grades": {k: v for k, v in grades.items()}})


def close_round(round_: CalibrationRound, layout: ScoringLayout, actor_id: int | None) -> None:
    """Confirm the reference and close: auditors then see how they compare, and nothing in
    the round changes again. Needs a reference grade for every judged criterion and at least
    one auditor's submitted grades."""
    if not round_.is_open:
        raise RuleError(CLOSED_MESSAGE)
    agreed = {r.criterion_id: r.grade for r in db.session.scalars(
        select(CalibrationReference).where(CalibrationReference.round_id == round_.id))}
    missing = [c.title for c in layout.judged if c.id not in agreed]
    if missing:
        raise RuleError("Record the agreed grade for every criterion: " + ", ".join(missing))
    if not any(m.submitted_at is not None for m in round_.participants):
        raise RuleError("No auditor has submitted their grades yet")
    round_.status, round_.closed_at, round_.closed_by_id = "closed", utcnow(), actor_id
    db.session.flush()
    audit_log.record("calibration.close", RECORD, round_.id, user_id=actor_id,
                     changes={"grades": agreed,
                              "submitted": sum(1 for m in round_.participants
                                               if m.submitted_at is not None)})
