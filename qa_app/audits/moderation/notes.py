"""What the panel wrote about a piece of advice, for the agency whose advice it is to learn
from: shown once the final grade is finalised, never before, with the auditors unnamed.

Every query goes through the request's record scoping (qa_app/auth/access.py), so an agency
lead reading another agency's advice id finds no grade and no audit: nothing is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.layout import rubric_for
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db

METHODS = {"agreed": "Both auditors agreed", "moderated": "Decided by the panel chair",
           "imported": "Imported from the earlier records"}


@dataclass(frozen=True)
class CriterionNotes:
    title: str
    grade: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PanelNotes:
    """One cycle's final grade for the advice, the chair's reason and the auditors' notes."""

    cycle: str
    grade: str
    good_or_better: bool
    method: str
    reason: str | None
    finalised_at: datetime
    criteria: tuple[CriterionNotes, ...]
    override_reasons: tuple[str, ...]


def panel_notes_for_advice(advice_id: int) -> list[PanelNotes]:
    """The panel's notes on each finalised grade of this advice that the reader may see."""
    finals = db.session.execute(
        select(FinalGrade, Cycle.name)
        .join(Cycle, Cycle.id == FinalGrade.cycle_id)
        .where(FinalGrade.advice_id == advice_id, FinalGrade.finalised_at.is_not(None))
        .options(selectinload(FinalGrade.criteria), selectinload(FinalGrade.rubric_version))
        .order_by(FinalGrade.finalised_at, FinalGrade.id)
    ).all()
    return [_notes(final, cycle_name) for final, cycle_name in finals]


def _notes(final: FinalGrade, cycle_name: str) -> PanelNotes:
    rubric = rubric_for(final.rubric_version)
    audits = list(db.session.execute(
        select(Audit)
        .where(Audit.advice_id == final.advice_id, Audit.cycle_id == final.cycle_id,
               Audit.status == "submitted")
        .options(selectinload(Audit.scores))
        .order_by(Audit.id)
    ).scalars())
    final_grades = {c.criterion_id: c.grade for c in final.criteria}
    written: dict[str, list[str]] = {}
    for audit in audits:
        for score in audit.scores:
            if score.evidence:
                written.setdefault(score.criterion_id, []).append(score.evidence)
    criteria = tuple(
        CriterionNotes(
            title=criterion.title,
            grade=rubric.label_for(final_grades[criterion.id])
            if final_grades.get(criterion.id) is not None else None,
            notes=tuple(written.get(criterion.id, ())),
        )
        for criterion in rubric.criteria
        if criterion.id in final_grades or criterion.id in written
    )
    assert final.finalised_at is not None
    return PanelNotes(
        cycle=cycle_name,
        grade=rubric.label_for(final.grade),
        good_or_better=final.good_or_better,
        method=METHODS.get(final.method, final.method),
        reason=final.reason,
        finalised_at=final.finalised_at,
        criteria=criteria,
        override_reasons=tuple(a.override_reason for a in audits if a.override_reason),
    )
