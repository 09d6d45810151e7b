"""Saving, submitting and reopening an audit; every change to a grade goes in the audit log,
and nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_app import audit_log
from qa_app.audits.errors import ScoringError
from qa_app.audits.scoring.facts import SubjectFacts, facts_for
from qa_app.audits.scoring.forms import ScoreInput
from qa_app.audits.scoring.layout import ScoringLayout, layout_for
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.audits.scoring.queries import final_grade_for
from qa_app.extensions import db
from qa_app.standards.grading import GradingError, overall_grade, resolve_overall
from qa_app.timeutil import utcnow

STALE_MESSAGE = (
    "This audit was changed in another tab or by someone else, so your changes were not "
    "saved. Compare the version saved now with what you typed: the form keeps what you "
    "typed, and saving it again replaces the saved version."
)
CLOSED_MESSAGE = "This cycle is closed: ask the quality improvement manager to reopen it"


class StaleAudit(Exception):
    """The audit changed since the form was rendered; nothing was saved."""


def check_version(audit: Audit, row_version: object) -> None:
    try:
        seen = int(str(row_version))
    except ValueError:
        raise StaleAudit() from None
    if seen != audit.row_version:
        raise StaleAudit()


def save(
    audit: Audit,
    data: ScoreInput,
    *,
    row_version: object,
    submit: bool,
    actor_id: int | None = None,
) -> Audit:
    """Store the auditor's grades as a draft, or submit them (then complete and read-only)."""
    check_version(audit, row_version)
    if audit.status == "submitted":
        raise ScoringError("This audit has been submitted, so it can no longer be changed")
    if audit.in_closed_cycle:
        raise ScoringError(CLOSED_MESSAGE)
    facts = facts_for(audit)
    layout = layout_for(audit.rubric_version, facts.context)
    rubric = layout.rubric
    judged = {c.id: data.grades.get(c.id) for c in layout.judged}
    if submit:
        _check_complete(layout, judged, data)
    grades = _with_computed(judged, layout, facts)
    try:
        result = resolve_overall(rubric, grades, data.override, data.override_reason,
                                 facts.context)
    except GradingError as exc:
        field = "override_grade" if data.override is not None else None
        raise ScoringError(_sentence(str(exc)), field) from None

    before = _snapshot(audit)
    notes = {c.id: data.evidence.get(c.id) or None for c in layout.judged}
    _write_scores(audit, grades, notes)
    audit.computed_grade = result.computed
    audit.override_grade = result.override
    audit.override_reason = result.override_reason
    old_status = audit.status
    audit.status = "submitted" if submit else "draft"
    if submit:
        audit.submitted_at = utcnow()
        audit.audit_date = audit.submitted_at.date()
    audit.updated_at = utcnow()
    db.session.flush()

    changes = _diff(before, _snapshot(audit))
    if submit or changes or old_status != audit.status:
        action = "audit.submit" if submit else "audit.save_draft"
        audit_log.record(action, "audit", audit.id, changes=changes, user_id=actor_id)
    return audit


def submit_saved(audit: Audit, *, row_version: object, actor_id: int | None = None) -> Audit:
    """Submit the draft exactly as stored, the version the auditor checked."""
    return save(audit, stored_input(audit), row_version=row_version, submit=True,
                actor_id=actor_id)


def stored_input(audit: Audit) -> ScoreInput:
    """The audit as stored, in the shape an auditor enters it."""
    layout = layout_for(audit.rubric_version, facts_for(audit).context)
    scores = {s.criterion_id: s for s in audit.scores}
    grades = {c.id: scores[c.id].grade if c.id in scores else None for c in layout.judged}
    evidence = {c.id: (scores[c.id].evidence or "") if c.id in scores else ""
                for c in layout.judged}
    return ScoreInput(grades, evidence, audit.override_grade, audit.override_reason)


def incomplete(audit: Audit) -> list[ScoringError]:
    """What stops the stored draft being submitted, each naming the form field at fault."""
    layout = layout_for(audit.rubric_version, facts_for(audit).context)
    data = stored_input(audit)
    return _gaps(layout, data.grades, data)


def override_choices(audit: Audit, data: ScoreInput) -> tuple[int, ...]:
    """The overall grades an override may choose with these grades: those the grading rules
    accept (no better than any limiting criterion); every grade while a grade is off-scale."""
    facts = facts_for(audit)
    layout = layout_for(audit.rubric_version, facts.context)
    judged = {c.id: data.grades.get(c.id) for c in layout.judged}
    grades = _with_computed(judged, layout, facts)
    allowed = []
    for value in layout.rubric.scale_values:
        try:
            resolve_overall(layout.rubric, grades, value, "reason", facts.context)
        except GradingError:
            continue
        allowed.append(value)
    return tuple(allowed) or tuple(layout.rubric.scale_values)


@dataclass(frozen=True)
class Provisional:
    """The overall grade the chosen grades would give now, before anything is saved."""

    grade: int | None
    label: str | None
    graded: int
    judged: int


def provisional_overall(audit: Audit, data: ScoreInput) -> Provisional:
    """Works out the overall grade from unsaved grades with the same rules as saving does;
    writes nothing. Grades off the scale are refused as they would be on saving."""
    facts = facts_for(audit)
    layout = layout_for(audit.rubric_version, facts.context)
    judged = {c.id: data.grades.get(c.id) for c in layout.judged}
    try:
        grade = overall_grade(layout.rubric, _with_computed(judged, layout, facts),
                              facts.context)
    except GradingError as exc:
        raise ScoringError(_sentence(str(exc))) from None
    label = None if grade is None else layout.rubric.label_for(grade)
    graded = sum(1 for value in judged.values() if value is not None)
    return Provisional(grade, label, graded, len(judged))


def _with_computed(judged: dict[str, int | None], layout: ScoringLayout,
                   facts: SubjectFacts) -> dict[str, int | None]:
    """The auditor's grades plus those worked out from dates (advice timeliness)."""
    return {**judged, **layout.computed_grades(facts)}


def reopen(audit: Audit, reason: str, *, actor_id: int | None = None) -> Audit:
    """The chair sends a submitted audit back to its auditor as a draft, with a reason."""
    reason = (reason or "").strip()
    if audit.status != "submitted":
        raise ScoringError("Only a submitted audit can be reopened")
    if not reason:
        raise ScoringError("Enter the reason for reopening this audit", "reason")
    if final_grade_for(audit) is not None:
        raise ScoringError(
            "The final grade for this subject is already set: change the final grade instead"
        )
    audit.status = "draft"
    audit.submitted_at = None
    audit.updated_at = utcnow()
    db.session.flush()
    audit_log.record("audit.reopen", "audit", audit.id, reason=reason, user_id=actor_id,
                     changes={"status": ["submitted", "draft"]})
    return audit


def _check_complete(layout: ScoringLayout, judged: dict[str, int | None], data: ScoreInput) -> None:
    gaps = _gaps(layout, judged, data)
    if gaps:
        raise gaps[0]


def _gaps(layout: ScoringLayout, judged: dict[str, int | None],
          data: ScoreInput) -> list[ScoringError]:
    rubric = layout.rubric
    gaps = []
    for criterion in layout.judged:
        grade = judged.get(criterion.id)
        if grade is None:
            gaps.append(ScoringError(f"Select a grade for {criterion.title}",
                                     f"grade_{criterion.id}"))
        elif grade < rubric.good_or_better and not (
                data.evidence.get(criterion.id) or "").strip():
            gaps.append(ScoringError(
                f"Enter the evidence for grading {criterion.title} as {rubric.label_for(grade)}",
                f"evidence_{criterion.id}",
            ))
    return gaps


def _write_scores(audit: Audit, grades: dict[str, int | None],
                  notes: dict[str, str | None]) -> None:
    existing = {s.criterion_id: s for s in audit.scores}
    for criterion_id, grade in grades.items():
        score = existing.get(criterion_id)
        if score is None:
            score = AuditScore(criterion_id=criterion_id)
            audit.scores.append(score)
        score.grade = grade
        if criterion_id in notes:
            score.evidence = notes[criterion_id]


def _snapshot(audit: Audit) -> dict[str, Any]:
    return {
        "grades": {s.criterion_id: s.grade for s in audit.scores},
        "evidence": {s.criterion_id: s.evidence for s in audit.scores},
        "computed_grade": audit.computed_grade,
        "override_grade": audit.override_grade,
        "override_reason": audit.override_reason,
        "status": audit.status,
    }


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """[old, new] for each changed grade; evidence notes are named, not copied."""
    changes: dict[str, Any] = {}
    grades = {
        cid: [old["grades"].get(cid), new["grades"].get(cid)]
        for cid in sorted(set(old["grades"]) | set(new["grades"]))
        if old["grades"].get(cid) != new["grades"].get(cid)
    }
    if grades:
        changes["grades"] = grades
    notes = sorted(
        cid for cid in set(old["evidence"]) | set(new["evidence"])
        if (old["evidence"].get(cid) or None) != (new["evidence"].get(cid) or None)
    )
    if notes:
        changes["evidence_changed"] = notes
    for key in ("computed_grade", "override_grade", "override_reason", "status"):
        if old[key] != new[key]:
            changes[key] = [old[key], new[key]]
    return changes


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
