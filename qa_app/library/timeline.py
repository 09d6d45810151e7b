"""A plan's case timeline: the approved examples of good practice taken from its audits."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from sqlalchemy import or_, select

from qa_app.extensions import db
from qa_app.learning.timeline import TimelineEvent, add_source
from qa_app.library.models import APPROVED, PracticeExample
from qa_app.library.queries import subject_text
from qa_app.standards.titles import criterion_title


def approved_from_plan(plan_id: int) -> Iterable[TimelineEvent]:
    from qa_app.audits.scoring.models import Audit
    from qa_app.register.models import Advice

    of_plan = select(Audit.id).where(or_(
        Audit.plan_id == plan_id,
        Audit.advice_id.in_(select(Advice.id).where(Advice.plan_id == plan_id))))
    examples = db.session.execute(
        select(PracticeExample).where(PracticeExample.status == APPROVED,
                                      PracticeExample.audit_id.in_(of_plan))
        .order_by(PracticeExample.id)).scalars().all()
    for example in examples:
        yield TimelineEvent(
            when=example.decided_at or example.created_at,
            what="Example of good practice approved",
            detail=(f"{subject_text(example.subject_kind, example.advice_type)}: "
                    f"{criterion_title(example.criterion_id, example.rubric_id)} "
                    f"({example.reference} in the good-practice library)"),
            agency_id=example.agency_id,
            url=f"/library/{example.id}")


def init_app(app: Flask) -> None:
    add_source(app, approved_from_plan)
