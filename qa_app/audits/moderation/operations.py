"""Final grades: where a panel's two auditors agree, and what the chair decides.

Final criterion grades: where the auditors agree, their grade; where they differ, the lower
of their grades for an agreed subject, and for a moderated subject the chair's choice (the
form offers the lower one first). A finalised grade is locked: changing it needs a reason,
and both the old and new grades are logged. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.errors import ModerationError
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.moderation.queries import SubjectReview, reviews_for
from qa_app.audits.panels.models import Panel
from qa_app.extensions import db
from qa_app.standards.grading import is_good_or_better
from qa_app.timeutil import utcnow

REASON_MAX = 2000


def finalise_agreed(panel: Panel, keys: Iterable[str] | None = None, *,
                    actor_id: int | None = None) -> list[FinalGrade]:
    """Final grades for every agreed subject (or those of `keys` still agreed)."""
    wanted = set(keys) if keys is not None else None
    made = []
    for review in reviews_for(panel):
        if review.state != "agreed" or (wanted is not None and review.key not in wanted):
            continue
        grade = review.audits[0].overall_grade
        assert grade is not None
        made.append(_create(review, grade, review.lower_grades(), "agreed", None, actor_id))
    return made


def moderate(review: SubjectReview, grade: int, criteria: dict[str, int], reason: str, *,
             actor_id: int | None = None) -> FinalGrade:
    """The chair's final grade for a subject, new or (with a reason) replacing a locked one."""
    final_criteria = check_decision(review, grade, criteria, reason)
    reason = reason.strip()
    if review.final is None:
        return _create(review, grade, final_criteria, "moderated", reason, actor_id)
    return change_final_grade(review, grade, final_criteria, reason, actor_id)


def check_decision(review: SubjectReview, grade: int, criteria: dict[str, int],
                   reason: str) -> dict[str, int]:
    """Refuse a decision that breaks a rule, writing nothing; the final criterion grades
    it would store (the chair's choice where auditors differ, otherwise the lower grade)."""
    reason = (reason or "").strip()
    if not review.all_submitted:
        raise ModerationError("Both audits must be submitted before the grade is finalised")
    if not reason:
        raise ModerationError("Enter the reason for this final grade", "reason")
    if len(reason) > REASON_MAX:
        raise ModerationError(f"The reason must be {REASON_MAX} characters or fewer", "reason")
    rubric = review.rubric
    if grade not in rubric.scale_values:
        raise ModerationError("Choose the final overall grade from the list", "grade")
    final_criteria = review.lower_grades()
    for cid in review.differing_criteria():
        chosen = criteria.get(cid, final_criteria[cid])
        if chosen not in rubric.scale_values:
            raise ModerationError("Choose a grade from the list", f"criterion_{cid}")
        final_criteria[cid] = chosen
    for cid, value in final_criteria.items():
        criterion = rubric.criterion(cid)
        if criterion.limiting and grade > value:
            raise ModerationError(
                f"The final grade cannot be better than the limiting criterion "
                f"{criterion.title} ({rubric.label_for(value)})", "grade")
    return final_criteria


def _create(review: SubjectReview, grade: int, criteria: dict[str, int], method: str,
            reason: str | None, actor_id: int | None) -> FinalGrade:
    rubric = review.rubric
    cycle = db.session.get(Cycle, review.panel.cycle_id)
    assert cycle is not None
    final = FinalGrade(
        cycle_id=cycle.id,
        rubric_version_id=review.audits[0].rubric_version_id,
        academic_year=cycle.academic_year,
        audit_date=_audit_date(review),
        grade=grade,
        good_or_better=is_good_or_better(rubric, grade),
        method=method,
        reason=reason,
        finalised_at=utcnow(),
        finalised_by_id=actor_id,
        criteria=[FinalCriterionGrade(criterion_id=cid, grade=value,
                                      good_or_better=is_good_or_better(rubric, value))
                  for cid, value in criteria.items()],
        **({"plan_id": review.subject.id} if review.kind == "plan"
           else {"advice_id": review.subject.id}),
    )
    db.session.add(final)
    db.session.flush()
    review.final = final
    audit_log.record(f"final_grade.{method}", "final_grade", final.id, reason=reason,
                     user_id=actor_id, changes={
                         "subject": review.key, "grade": grade, "method": method,
                         "criteria": criteria, "audit_ids": [a.id for a in review.audits]})
    return final


def change_final_grade(review: SubjectReview, grade: int, criteria: dict[str, int],
                       reason: str, actor_id: int | None) -> FinalGrade:
    """Replace the subject's locked final grade (now "moderated"), logging old and new.

    No checks: callers check first (`check_decision`, or a challenge's outcome).
    """
    final = review.final
    assert final is not None
    rubric = review.rubric
    old_criteria = {c.criterion_id: c.grade for c in final.criteria}
    changes: dict[str, Any] = {}
    if final.grade != grade:
        changes["grade"] = [final.grade, grade]
    criterion_changes = {cid: [old_criteria.get(cid), value] for cid, value in criteria.items()
                         if old_criteria.get(cid) != value}
    if criterion_changes:
        changes["criteria"] = criterion_changes
    if final.method != "moderated":
        changes["method"] = [final.method, "moderated"]
    final.grade = grade
    final.good_or_better = is_good_or_better(rubric, grade)
    final.method = "moderated"
    final.reason = reason
    final.finalised_at = utcnow()
    final.finalised_by_id = actor_id
    by_id = {c.criterion_id: c for c in final.criteria}
    for cid, value in criteria.items():
        row = by_id.get(cid)
        if row is None:
            final.criteria.append(FinalCriterionGrade(
                criterion_id=cid, grade=value, good_or_better=is_good_or_better(rubric, value)))
        else:
            row.grade = value
            row.good_or_better = is_good_or_better(rubric, value)
    db.session.flush()
    audit_log.record("final_grade.change", "final_grade", final.id, reason=reason,
                     user_id=actor_id, changes=changes)
    return final


def _audit_date(review: SubjectReview) -> date:
    dates = [a.audit_date for a in review.audits if a.audit_date is not None]
    return max(dates) if dates else utcnow().date()
