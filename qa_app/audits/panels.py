"""Panels for a cycle and who scores what: two auditors per subject, never the writer's agency.

Assignment is greedy and deterministic: subjects are taken in sample order, and each gets
the eligible panel auditors with the fewest audits in the cycle so far (ties: an auditor
from an agency not already on the subject, then the lower user id). Running it again only
tops up subjects that have fewer than two auditors, so it is safe to repeat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from qa_app import audit_log
from qa_app.audits.models import Audit, Cycle, Panel, PanelMember, Sample, SampleItem
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from qa_app.standards.models import RubricVersion
from qa_app.standards.operations import current_versions

AUDITORS_PER_SUBJECT = 2
PREFERRED_PLAN_RUBRIC = "ehcp-plan"

Subject = Plan | Advice


class PanelError(ValueError):
    """A panel or assignment change that breaks a rule; the message says which."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def subject_of(audit: Audit) -> Subject:
    subject = audit.plan if audit.plan_id is not None else audit.advice
    assert subject is not None
    return subject


def subject_key(subject: Subject) -> tuple[str, int]:
    return ("plan", subject.id) if isinstance(subject, Plan) else ("advice", subject.id)


def subject_label(subject: Subject) -> str:
    if isinstance(subject, Plan):
        return f"plan {subject.ref}"
    return f"{subject.advice_type.replace('_', ' ')} advice {subject.ref}"


def subject_filter(subject: Subject) -> dict[str, int | None]:
    if isinstance(subject, Plan):
        return {"plan_id": subject.id, "advice_id": None}
    return {"plan_id": None, "advice_id": subject.id}


# --- panels -------------------------------------------------------------------------------


def create_panel(
    *,
    cycle_id: int,
    name: str,
    chair_id: int,
    auditor_ids: Iterable[int],
    meeting_date: date | None = None,
    actor_id: int | None = None,
) -> Panel:
    cycle = open_cycle(cycle_id)
    name = checked_name(cycle, name)
    chair = user_with_role(chair_id, Role.PANEL_CHAIR, "the chair", "chair_id")
    auditors = [user_with_role(uid, Role.AUDITOR, "an auditor", "auditor_ids")
                for uid in dict.fromkeys(auditor_ids)]
    if len(auditors) < AUDITORS_PER_SUBJECT:
        raise PanelError("Choose at least two auditors", "auditor_ids")
    if len({a.agency_id for a in auditors}) < 2:
        raise PanelError("Choose auditors from at least two agencies: panels are multi-agency",
                         "auditor_ids")
    panel = Panel(
        cycle_id=cycle.id,
        name=name,
        chair_id=chair.id,
        meeting_date=meeting_date,
        members=[PanelMember(user_id=a.id) for a in auditors],
    )
    db.session.add(panel)
    db.session.flush()
    audit_log.record(
        "panel.create",
        "panel",
        panel.id,
        changes={
            "cycle": cycle.name,
            "name": name,
            "chair_id": chair.id,
            "auditor_ids": [a.id for a in auditors],
            "meeting_date": meeting_date.isoformat() if meeting_date else None,
        },
        user_id=actor_id,
    )
    return panel


def checked_name(cycle: Cycle, name: str | None, panel_id: int | None = None) -> str:
    """A panel's name: given, not too long, and not another panel's in the same cycle."""
    name = (name or "").strip()
    if not name:
        raise PanelError("Enter a name for the panel", "name")
    if len(name) > 120:
        raise PanelError("The panel name must be 120 characters or fewer", "name")
    clash = db.session.execute(
        select(Panel.id).where(Panel.cycle_id == cycle.id, func.lower(Panel.name) == name.lower(),
                               Panel.id != (panel_id or 0))
    ).first()
    if clash:
        raise PanelError(f"Cycle {cycle.name} already has a panel called {name!r}", "name")
    return name


def add_member(panel: Panel, user_id: int, *, actor_id: int | None = None) -> PanelMember:
    auditor = user_with_role(user_id, Role.AUDITOR, "a panel member")
    if any(m.user_id == auditor.id for m in panel.members):
        raise PanelError(f"{auditor.display_name} is already on this panel")
    member = PanelMember(user_id=auditor.id)
    panel.members.append(member)
    db.session.flush()
    audit_log.record("panel.add_member", "panel", panel.id,
                     changes={"user_id": auditor.id}, user_id=actor_id)
    return member


def remove_member(panel: Panel, user_id: int, *, actor_id: int | None = None) -> None:
    member = next((m for m in panel.members if m.user_id == user_id), None)
    if member is None:
        raise PanelError("That person is not on this panel")
    held = db.session.scalar(
        select(func.count()).select_from(Audit).where(
            Audit.panel_id == panel.id, Audit.auditor_id == user_id
        )
    )
    if held:
        raise PanelError(
            f"{member.user.display_name} has {held} audit(s) on this panel: reassign them first"
        )
    panel.members.remove(member)
    db.session.flush()
    audit_log.record("panel.remove_member", "panel", panel.id,
                     changes={"user_id": user_id}, user_id=actor_id)


# --- assignment ---------------------------------------------------------------------------


@dataclass
class AssignmentResult:
    created: list[Audit] = field(default_factory=list)
    already_assigned: int = 0
    skipped: list[str] = field(default_factory=list)
    loads: dict[int, int] = field(default_factory=dict)


def sample_subjects(cycle_id: int) -> list[Subject]:
    """Every plan and piece of advice in the cycle's sample, in the order it was drawn."""
    items = db.session.execute(
        select(SampleItem)
        .join(Sample, Sample.id == SampleItem.sample_id)
        .where(Sample.cycle_id == cycle_id)
        .order_by(SampleItem.id)
    ).scalars().all()
    plans = _by_id(Plan, [i.plan_id for i in items if i.plan_id is not None])
    advice = _by_id(Advice, [i.advice_id for i in items if i.advice_id is not None])
    subjects: list[Subject] = []
    for item in items:
        found = plans.get(item.plan_id) if item.plan_id is not None else advice.get(item.advice_id)
        if found is not None:
            subjects.append(found)
    return subjects


def assign_panel(panel: Panel, *, actor_id: int | None = None) -> AssignmentResult:
    """Give every sampled subject two eligible auditors; all or nothing."""
    cycle = open_cycle(panel.cycle_id)
    has_sample = db.session.scalar(select(func.count()).select_from(Sample)
                                   .where(Sample.cycle_id == cycle.id))
    if not has_sample:
        raise PanelError(f"Cycle {cycle.name} has no sample yet: draw the sample first")
    auditors = [m.user for m in panel.members if m.user.active and m.user.role == Role.AUDITOR]
    loads = cycle_loads(cycle.id)
    existing = _existing_auditors(cycle.id)
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


def eligible_auditors(panel: Panel, audit: Audit) -> list[User]:
    """Panel auditors who may take over `audit`: other agency, not already on the subject."""
    subject = subject_of(audit)
    taken = {
        uid for (uid,) in db.session.execute(
            select(Audit.auditor_id).where(
                Audit.cycle_id == audit.cycle_id, Audit.id != audit.id, Audit.source == "panel",
                *_subject_clauses(subject))
        )
    }
    return [
        m.user for m in panel.members
        if m.user.active and m.user.role == Role.AUDITOR and m.user.id != audit.auditor_id
        and m.user.agency_id != subject.agency_id and m.user.id not in taken
    ]


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


def cycle_loads(cycle_id: int) -> Counter[int]:
    rows = db.session.execute(
        select(Audit.auditor_id, func.count())
        .where(Audit.cycle_id == cycle_id, Audit.source == "panel", Audit.auditor_id.is_not(None))
        .group_by(Audit.auditor_id)
    ).all()
    return Counter({uid: n for uid, n in rows})


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


# --- helpers ------------------------------------------------------------------------------


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


def _existing_auditors(cycle_id: int) -> dict[tuple[str, int], list[User]]:
    rows = db.session.execute(
        select(Audit.plan_id, Audit.advice_id, User)
        .join(User, User.id == Audit.auditor_id)
        .where(Audit.cycle_id == cycle_id, Audit.source == "panel")
    ).all()
    found: dict[tuple[str, int], list[User]] = {}
    for plan_id, advice_id, user in rows:
        key = ("plan", plan_id) if plan_id is not None else ("advice", advice_id)
        found.setdefault(key, []).append(user)
    return found


def _subject_clauses(subject: Subject) -> list[object]:
    if isinstance(subject, Plan):
        return [Audit.plan_id == subject.id]
    return [Audit.advice_id == subject.id]


def _by_id(model: type[Plan] | type[Advice], ids: list[int]) -> dict[int, Subject]:
    if not ids:
        return {}
    rows = db.session.execute(select(model).where(model.id.in_(ids))).scalars()
    return {row.id: row for row in rows}


def open_cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise PanelError("Choose a cycle", "cycle_id")
    if cycle.status != "open":
        raise PanelError(f"Cycle {cycle.name} is closed: panels can only change in open cycles",
                         "cycle_id")
    return cycle


def user_with_role(user_id: int | None, role: Role, what: str,
                    field: str | None = None) -> User:
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise PanelError(f"Choose {what}", field)
    if user.role != role or not user.active:
        raise PanelError(f"{user.email} cannot be {what}: they need the active role "
                         f"{role.label.lower()}", field)
    if role == Role.AUDITOR and user.agency_id is None:
        raise PanelError(f"{user.email} has no agency, so cannot audit", field)
    return user


def subjects_without_auditors(cycle_id: int) -> tuple[int, int]:
    """(sampled subjects, those with fewer than two panel auditors) for a cycle."""
    existing = _existing_auditors(cycle_id)
    subjects = sample_subjects(cycle_id)
    short = sum(1 for s in subjects if len(existing.get(subject_key(s), [])) < AUDITORS_PER_SUBJECT)
    return len(subjects), short
