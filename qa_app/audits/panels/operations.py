"""Setting up and changing a cycle's panels: members, chair, name, meeting date, removal.

A chair can change (illness, a clash of interest) while the panel's audits carry on. A panel
can be removed only while none of its audits has been started: the unstarted assignments go
with it, so the sample's subjects can be assigned to another panel. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, func, select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.errors import PanelError
from qa_app.audits.panels.models import Panel, PanelMember
from qa_app.audits.panels.queries import AUDITORS_PER_SUBJECT, started_audits
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.auth.models import Role, User
from qa_app.extensions import db


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


def change_panel(panel: Panel, *, name: str | None, chair_id: int | None,
                 meeting_date: date | None, actor_id: int | None = None) -> dict[str, list]:
    """Apply the changes; returns {field: [old, new]} for what changed (logged once)."""
    cycle = open_cycle(panel.cycle_id)
    new = {
        "name": checked_name(cycle, name, panel.id),
        "chair_id": user_with_role(chair_id, Role.PANEL_CHAIR, "the chair", "chair_id").id,
        "meeting_date": meeting_date,
    }
    changes = {}
    for key, value in new.items():
        old = getattr(panel, key)
        if old != value:
            changes[key] = [_plain(old), _plain(value)]
            setattr(panel, key, value)
    if changes:
        db.session.flush()
        audit_log.record("panel.change", "panel", panel.id, changes=changes, user_id=actor_id)
    return changes


def delete_panel(panel: Panel, *, actor_id: int | None = None) -> int:
    """Remove the panel and its unstarted audits; returns how many audits went with it."""
    open_cycle(panel.cycle_id)
    started = started_audits(panel)
    if started:
        raise PanelError(f"{started} audit(s) on this panel have been started, so it cannot be "
                         "removed: change its chair or members instead")
    unstarted = list(db.session.scalars(
        select(Audit.id).where(Audit.panel_id == panel.id).with_for_update()))
    if unstarted:
        db.session.execute(delete(AuditScore).where(AuditScore.audit_id.in_(unstarted),
                                                    AuditScore.grade.is_(None)))
        gone = db.session.execute(delete(Audit).where(
            Audit.id.in_(unstarted), Audit.status == "assigned",
            ~Audit.id.in_(select(AuditScore.audit_id)))).rowcount
        if gone != len(unstarted):  # an auditor began one in the meantime: keep everything
            raise PanelError("An auditor has just started one of this panel's audits, so it "
                             "cannot be removed: nothing was changed")
    audit_log.record("panel.delete", "panel", panel.id, changes={
        "cycle_id": panel.cycle_id, "name": panel.name, "chair_id": panel.chair_id,
        "auditor_ids": sorted(m.user_id for m in panel.members),
        "unstarted_audits_removed": len(unstarted),
    }, user_id=actor_id)
    db.session.delete(panel)
    db.session.flush()
    return len(unstarted)


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


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
