"""The chair's view of a panel's work: each subject's audits side by side, whether the
auditors agree, and the final grade if there is one.

A subject needs moderation when all its audits are submitted and they differ on the overall
grade or on any limiting criterion.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.layout import rubric_for
from qa_app.audits.scoring.models import Audit
from qa_app.audits.subjects import Subject, subject_of
from qa_app.extensions import db
from qa_app.register.models import Advice
from qa_app.standards.rubric import Rubric


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
