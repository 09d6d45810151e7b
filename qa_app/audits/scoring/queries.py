"""Reading audits for scoring: an auditor's or a chair's list, the next one to do, and
whether a subject's final grade is already set."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.register.models import Advice


def final_grade_for(audit: Audit) -> FinalGrade | None:
    subject = (FinalGrade.plan_id == audit.plan_id) if audit.plan_id is not None else (
        FinalGrade.advice_id == audit.advice_id)
    return db.session.execute(
        select(FinalGrade).where(FinalGrade.cycle_id == audit.cycle_id, subject)
    ).scalar_one_or_none()


def my_audits(user: User) -> list[Audit]:
    """A chair's panels' audits, or an auditor's own, in the order they were assigned."""
    query = (
        select(Audit)
        .where(Audit.source == "panel")
        .options(
            selectinload(Audit.plan),
            selectinload(Audit.advice).selectinload(Advice.plan),
            selectinload(Audit.auditor),
            selectinload(Audit.cycle),
        )
        .order_by(Audit.id)
    )
    if user.role == Role.PANEL_CHAIR:
        query = query.join(Panel, Panel.id == Audit.panel_id).where(Panel.chair_id == user.id)
    else:
        query = query.where(Audit.auditor_id == user.id)
    return list(db.session.execute(query).scalars())


def next_audit(user: User, after: Audit) -> Audit | None:
    """The next audit in the auditor's list still to do (wrapping round), or None."""
    waiting = [a for a in my_audits(user)
               if a.status != "submitted" and not a.in_closed_cycle and a.id != after.id]
    later = [a for a in waiting if a.id > after.id]
    return (later or waiting or [None])[0]


def panels_of(audits: list[Audit]) -> dict[int, Panel]:
    return {
        p.id: p for p in db.session.execute(
            select(Panel).where(Panel.id.in_({a.panel_id for a in audits if a.panel_id}))
        ).scalars()
    }


def panel_of(audit: Audit) -> Panel | None:
    return db.session.get(Panel, audit.panel_id) if audit.panel_id is not None else None
