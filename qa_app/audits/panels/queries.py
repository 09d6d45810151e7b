"""Reading panels: who is on them, what they have been assigned, and the choices a manager
is offered."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qa_app.audits.cycles.models import Sample, SampleItem
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.audits.subjects import Subject, subject_key, subject_of
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan

AUDITORS_PER_SUBJECT = 2


def all_panels() -> list[Panel]:
    """Every panel, newest first, with its cycle, chair and members loaded."""
    return list(db.session.execute(
        select(Panel).options(selectinload(Panel.cycle), selectinload(Panel.chair),
                              selectinload(Panel.members))
        .order_by(Panel.created_at.desc(), Panel.id.desc())
    ).scalars())


def audit_counts(*, submitted: bool = False) -> dict[int, int]:
    """Audits per panel (only the submitted ones with `submitted`)."""
    query = select(Audit.panel_id, func.count()).where(Audit.panel_id.is_not(None))
    if submitted:
        query = query.where(Audit.status == "submitted")
    return dict(db.session.execute(query.group_by(Audit.panel_id)).all())  # type: ignore[arg-type]


def assigned_count(panel: Panel) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Audit).where(Audit.panel_id == panel.id)) or 0


def panel_audits(panel: Panel) -> list[Audit]:
    """The panel's audits, plans first, each subject's audits together."""
    return list(db.session.execute(
        select(Audit).where(Audit.panel_id == panel.id)
        .options(selectinload(Audit.plan), selectinload(Audit.advice).selectinload(Advice.agency),
                 selectinload(Audit.auditor))
        .order_by(Audit.plan_id.is_(None), Audit.plan_id, Audit.advice_id, Audit.id)
    ).scalars())


def active_users(role: Role) -> list[User]:
    return list(db.session.execute(
        select(User).where(User.role == role, User.active.is_(True))
        .order_by(User.display_name, User.email)
    ).scalars())


def started_audits(panel: Panel) -> int:
    """Audits of the panel that an auditor has begun (a draft, a grade or a submission)."""
    scored = select(AuditScore.audit_id).where(AuditScore.grade.is_not(None))
    return db.session.scalar(
        select(func.count()).select_from(Audit).where(
            Audit.panel_id == panel.id,
            (Audit.status != "assigned") | Audit.id.in_(scored),
        )
    ) or 0


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


def has_sample(cycle_id: int) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Sample)
                                  .where(Sample.cycle_id == cycle_id)))


def cycle_loads(cycle_id: int) -> Counter[int]:
    """Panel audits per auditor in the cycle."""
    rows = db.session.execute(
        select(Audit.auditor_id, func.count())
        .where(Audit.cycle_id == cycle_id, Audit.source == "panel", Audit.auditor_id.is_not(None))
        .group_by(Audit.auditor_id)
    ).all()
    return Counter({uid: n for uid, n in rows})


def all_loads(cycle_id: int) -> Counter[int]:
    """Audits of any source per auditor in the cycle, as shown when reassigning."""
    return Counter(dict(db.session.execute(  # type: ignore[arg-type]
        select(Audit.auditor_id, func.count()).where(Audit.cycle_id == cycle_id)
        .group_by(Audit.auditor_id)).all()))


def existing_auditors(cycle_id: int) -> dict[tuple[str, int], list[User]]:
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


def eligible_auditors(panel: Panel, audit: Audit) -> list[User]:
    """Panel auditors who may take over `audit`: other agency, not already on the subject."""
    subject = subject_of(audit)
    on_subject = Audit.plan_id == subject.id if isinstance(subject, Plan) else (
        Audit.advice_id == subject.id)
    taken = {
        uid for (uid,) in db.session.execute(
            select(Audit.auditor_id).where(
                Audit.cycle_id == audit.cycle_id, Audit.id != audit.id, Audit.source == "panel",
                on_subject)
        )
    }
    return [
        m.user for m in panel.members
        if m.user.active and m.user.role == Role.AUDITOR and m.user.id != audit.auditor_id
        and m.user.agency_id != subject.agency_id and m.user.id not in taken
    ]


def subjects_without_auditors(cycle_id: int) -> tuple[int, int]:
    """(sampled subjects, those with fewer than two panel auditors) for a cycle."""
    existing = existing_auditors(cycle_id)
    subjects = sample_subjects(cycle_id)
    short = sum(1 for s in subjects if len(existing.get(subject_key(s), [])) < AUDITORS_PER_SUBJECT)
    return len(subjects), short


def _by_id(model: type[Plan] | type[Advice], ids: list[int]) -> dict[int, Subject]:
    if not ids:
        return {}
    rows = db.session.execute(select(model).where(model.id.in_(ids))).scalars()
    return {row.id: row for row in rows}
