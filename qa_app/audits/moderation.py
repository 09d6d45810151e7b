"""Moderation and final grades: where a panel's two auditors agree, and what the chair decides.

A subject needs moderation when all its audits are submitted and they differ on the overall
grade or on any limiting criterion. Final criterion grades: where the auditors agree, their
grade; where they differ, the lower of their grades for an agreed subject, and for a
moderated subject the chair's choice (the form offers the lower one first). A finalised
grade is locked: changing it needs a reason, and both the old and new grades are logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from qa_app import audit_log
from qa_app.audits.models import Audit, Cycle, FinalCriterionGrade, FinalGrade, Panel
from qa_app.audits.panels import Subject, subject_of
from qa_app.audits.scoring import rubric_for
from qa_app.extensions import db
from qa_app.register.models import Advice
from qa_app.standards.grading import is_good_or_better
from qa_app.standards.rubric import Rubric
from qa_app.timeutil import utcnow

REASON_MAX = 2000


class ModerationError(ValueError):
    """A final grade that breaks a rule; `field` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class SubjectReview:
    """One subject's audits at one panel, and its final grade if there is one."""

    panel: Panel
    subject: Subject
    audits: list[Audit]
    final: FinalGrade | None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject.id}"

    @property
    def kind(self) -> str:
        return "plan" if self.audits[0].plan_id is not None else "advice"

    @property
    def rubric(self) -> Rubric:
        return rubric_for(self.audits[0].rubric_version)

    @property
    def all_submitted(self) -> bool:
        return len(self.audits) >= 2 and all(a.status == "submitted" for a in self.audits)

    def grades(self) -> dict[str, list[int | None]]:
        """Each criterion's grade from each audit, in audit order."""
        found: dict[str, list[int | None]] = {}
        for index, audit in enumerate(self.audits):
            for score in audit.scores:
                found.setdefault(score.criterion_id, [None] * len(self.audits))[index] = score.grade
        order = [c.id for c in self.rubric.criteria]
        return {cid: found[cid] for cid in order if cid in found}

    def differing_criteria(self) -> list[str]:
        return [cid for cid, values in self.grades().items() if len(set(values)) > 1]

    def disagreements(self) -> list[str]:
        """What the auditors disagree on that moderation must settle (empty when agreed)."""
        rubric = self.rubric
        found = []
        if len({a.overall_grade for a in self.audits}) > 1:
            found.append("overall grade")
        for cid in self.differing_criteria():
            if rubric.criterion(cid).limiting:
                found.append(rubric.criterion(cid).title)
        if len({a.rubric_version_id for a in self.audits}) > 1:
            found.append("practice standard version")
        return found

    @property
    def state(self) -> str:
        if self.final is not None:
            return "finalised"
        if not self.all_submitted:
            return "waiting"
        return "disagree" if self.disagreements() else "agreed"

    def lower_grades(self) -> dict[str, int]:
        return {cid: min(v for v in values if v is not None)
                for cid, values in self.grades().items() if any(v is not None for v in values)}


def chaired_panels(user_id: int | None) -> list[Panel]:
    """Panels the user chairs; None means every panel (read-only staff view)."""
    query = select(Panel).options(selectinload(Panel.cycle)).order_by(Panel.id.desc())
    if user_id is not None:
        query = query.where(Panel.chair_id == user_id)
    return list(db.session.execute(query).scalars())


def reviews_for(panel: Panel, subject: tuple[str, int] | None = None) -> list[SubjectReview]:
    query = (
        select(Audit)
        .where(Audit.panel_id == panel.id, Audit.source == "panel")
        .options(selectinload(Audit.scores), selectinload(Audit.plan),
                 selectinload(Audit.advice).selectinload(Advice.agency),
                 selectinload(Audit.auditor), selectinload(Audit.rubric_version))
        .order_by(Audit.id)
    )
    if subject is not None:
        column = Audit.plan_id if subject[0] == "plan" else Audit.advice_id
        query = query.where(column == subject[1])
    grouped: dict[tuple[str, int], list[Audit]] = {}
    for audit in db.session.execute(query).scalars():
        key = ("plan", audit.plan_id) if audit.plan_id is not None else ("advice", audit.advice_id)
        grouped.setdefault(key, []).append(audit)  # type: ignore[arg-type]
    finals = _finals(panel.cycle_id, list(grouped))
    return [
        SubjectReview(panel, subject_of(audits[0]), audits, finals.get(key))
        for key, audits in sorted(grouped.items(), key=lambda kv: subject_of(kv[1][0]).ref)
    ]


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
    if review.final is None:
        return _create(review, grade, final_criteria, "moderated", reason, actor_id)
    return _change(review, grade, final_criteria, reason, actor_id)


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


def _change(review: SubjectReview, grade: int, criteria: dict[str, int], reason: str,
            actor_id: int | None) -> FinalGrade:
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


def _finals(cycle_id: int, keys: list[tuple[str, int]]) -> dict[tuple[str, int], FinalGrade]:
    plan_ids = [i for kind, i in keys if kind == "plan"]
    advice_ids = [i for kind, i in keys if kind == "advice"]
    if not keys:
        return {}
    rows = db.session.execute(
        select(FinalGrade).where(
            FinalGrade.cycle_id == cycle_id,
            or_(FinalGrade.plan_id.in_(plan_ids), FinalGrade.advice_id.in_(advice_ids)))
        .options(selectinload(FinalGrade.criteria))
    ).scalars()
    return {(("plan", f.plan_id) if f.plan_id is not None else ("advice", f.advice_id)): f
            for f in rows}  # type: ignore[misc]
