"""Changing a panel after it is set up: its name, chair and meeting date, or removing it.

A chair can change (illness, a clash of interest) while the panel's audits carry on. A panel
can be removed only while none of its audits has been started: the unstarted assignments go
with it, so the sample's subjects can be assigned to another panel.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select

from qa_app import audit_log
from qa_app.audits.models import Audit, AuditScore, Panel
from qa_app.audits.panels import PanelError, checked_name, open_cycle, user_with_role
from qa_app.auth.models import Role
from qa_app.extensions import db


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


def started_audits(panel: Panel) -> int:
    """Audits of the panel that an auditor has begun (a draft, a grade or a submission)."""
    scored = select(AuditScore.audit_id).where(AuditScore.grade.is_not(None))
    return db.session.scalar(
        select(func.count()).select_from(Audit).where(
            Audit.panel_id == panel.id,
            (Audit.status != "assigned") | Audit.id.in_(scored),
        )
    ) or 0


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


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
