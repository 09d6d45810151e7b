"""Who scores what: two auditors per sampled subject, never from the writer's agency.

Assignment is greedy and deterministic: subjects are taken in sample order, and each gets
the eligible panel auditors with the fewest audits in the cycle so far (ties: an auditor
from an agency not already on the subject, then the lower user id). Running it again only
tops up subjects that have fewer than two auditors, so it is safe to repeat.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from qa_app import audit_log
from qa_app.audits.errors import PanelError
from qa_app.audits.panels.models import Panel
from qa_app.audits.panels.operations import open_cycle
from qa_app.audits.panels.queries import (
    AUDITORS_PER_SUBJECT,
    cycle_loads,
    eligible_auditors,
    existing_auditors,
    has_sample,
    sample_subjects,
)
from qa_app.audits.scoring.models import Audit
from qa_app.audits.subjects import Subject, subject_filter, subject_key, subject_label
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.standards.models import RubricVersion
from qa_app.standards.operations import current_versions

PREFERRED_PLAN_RUBRIC = "ehcp-plan"


@dataclass
class AssignmentResult:
    created: list[Audit] = field(default_factory=list)
    already_assigned: int = 0
    skipped: list[str] = field(default_factory=list)
    loads: dict[int, int] = field(default_factory=dict)


def assign_panel(panel: Panel, *, actor_id: int | None = None) -> AssignmentResult:
    """Give every sampled subject two eligible auditors; all or nothing."""
    cycle = open_cycle(panel.cycle_id)
    if not has_sample(cycle.id):
        raise PanelError(f"Cycle {cycle.name} has no sample yet: draw the sample first")
    auditors = [m.user for m in panel.members if m.user.active and m.user.role == Role.AUDITOR]
    loads = cycle_loads(cycle.id)
    existing = existing_auditors(cycle.id)
    versions = current_versions()
    result = AssignmentResult()
    impossible: list[str] = []
    for subject in sample_subjects(cycle.id):
        have = existing.get(subject_key(subject), [])
        need = AUDITORS_PER_SUBJECT - len(have)
        if need <= 0:
            result.already_assigned += 1
            continue
        version = rubric_version_for(subject, versions)
        if version is None:
            result.skipped.append(f"{subject_label(subject)}: no practice standard is loaded "
                                  "for it")
            continue
        for _ in range(need):
            auditor = _pick(auditors, subject, have, loads)
            if auditor is None:
                impossible.append(subject_label(subject))
                break
            audit = _new_audit(panel, subject, auditor, version)
            result.created.append(audit)
            have = [*have, auditor]
            loads[auditor.id] += 1
    if impossible:
        shown = ", ".join(impossible[:5]) + (f" and {len(impossible) - 5} more"
                                             if len(impossible) > 5 else "")
        raise PanelError(
            f"Not enough auditors from other agencies for {len(impossible)} subject(s) "
            f"({shown}): add auditors from more agencies to the panel"
        )
    db.session.add_all(result.created)
    db.session.flush()
    for audit in result.created:
        audit_log.record("audit.assign", "audit", audit.id, user_id=actor_id, changes={
            "panel_id": panel.id, "auditor_id": audit.auditor_id,
            "plan_id": audit.plan_id, "advice_id": audit.advice_id,
            "rubric_version_id": audit.rubric_version_id})
    audit_log.record("panel.assign", "panel", panel.id, user_id=actor_id, changes={
        "created": len(result.created), "already_assigned": result.already_assigned,
        "skipped": len(result.skipped)})
    result.loads = {a.id: loads[a.id] for a in auditors}
    return result


def reassign(audit: Audit, new_auditor_id: int, *, actor_id: int | None = None) -> Audit:
    """Move one audit to another panel member; a draft's unsaved scores are discarded."""
    if audit.panel_id is None or audit.source != "panel":
        raise PanelError("Only panel audits can be reassigned")
    if audit.status == "submitted":
        raise PanelError("This audit has been submitted: the chair must reopen it before it "
                         "can be reassigned")
    panel = db.session.get(Panel, audit.panel_id)
    assert panel is not None
    allowed = {u.id: u for u in eligible_auditors(panel, audit)}
    if new_auditor_id not in allowed:
        raise PanelError("Choose an auditor on this panel, from an agency other than the one "
                         "that wrote it, who is not already auditing it")
    old = {"auditor_id": audit.auditor_id, "status": audit.status,
           "scores": len(audit.scores)}
    audit.auditor_id = new_auditor_id
    audit.status = "assigned"
    audit.scores.clear()
    audit.computed_grade = None
    audit.override_grade = None
    audit.override_reason = None
    db.session.flush()
    audit_log.record("audit.reassign", "audit", audit.id, user_id=actor_id, changes={
        "auditor_id": [old["auditor_id"], new_auditor_id],
        "status": [old["status"], "assigned"], "scores_discarded": old["scores"]})
    return audit


def rubric_version_for(
    subject: Subject, versions: dict[str, RubricVersion]
) -> RubricVersion | None:
    """The current rubric for a plan, or for the advice type of a piece of advice."""
    if isinstance(subject, Plan):
        plans = sorted((v for v in versions.values() if v.applies_to == "plan"),
                       key=lambda v: (v.rubric_id != PREFERRED_PLAN_RUBRIC, v.rubric_id))
        return plans[0] if plans else None
    matches = sorted(
        (v for v in versions.values()
         if v.applies_to == "advice" and subject.advice_type in v.body.get("advice_types", [])),
        key=lambda v: v.rubric_id,
    )
    return matches[0] if matches else None


def _pick(auditors: list[User], subject: Subject, have: list[User],
          loads: Counter[int]) -> User | None:
    taken = {u.id for u in have}
    agencies = {u.agency_id for u in have}
    candidates = [a for a in auditors if a.agency_id != subject.agency_id and a.id not in taken]
    if not candidates:
        return None
    return min(candidates, key=lambda a: (loads[a.id], a.agency_id in agencies, a.id))


def _new_audit(panel: Panel, subject: Subject, auditor: User, version: RubricVersion) -> Audit:
    return Audit(
        cycle_id=panel.cycle_id,
        panel_id=panel.id,
        auditor_id=auditor.id,
        rubric_version_id=version.id,
        status="assigned",
        source="panel",
        **{k: v for k, v in subject_filter(subject).items() if v is not None},
    )
