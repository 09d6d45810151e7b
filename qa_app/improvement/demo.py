"""The demo's improvement actions made to look lived in: most have an owner and a due date,
one is overdue, one has a note and one waits for confirmation."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from qa_app.extensions import db
from qa_app.improvement import operations
from qa_app.improvement.queries import OPEN, agency_leads
from qa_app.register.models import Agency
from qa_app.reporting.models import ImprovementAction
from qa_app.reporting.operations import current_targets

DUE_IN_DAYS = (-14, 30, 45, 60, 90)
"""Due dates relative to today, in turn: the first action's has passed, so it is overdue."""


def bring_demo_actions_to_life(today: date) -> int:
    """Give the open actions (up to one in five left unassigned) an owner and a due date, a
    note on the first and a request to close on the second; returns how many were given an
    owner. Actions the figures have not opened yet (jobs on a worker) are left alone."""
    if db.session.scalar(select(ImprovementAction.id).where(
            ImprovementAction.owner_id.is_not(None)).limit(1)) is not None:
        return 0  # done on an earlier run of the demo
    actions = db.session.execute(
        select(ImprovementAction).join(Agency, Agency.id == ImprovementAction.agency_id)
        .where(ImprovementAction.status == OPEN, ImprovementAction.owner_id.is_(None))
        .order_by(Agency.name, ImprovementAction.measure, ImprovementAction.id)
    ).scalars().all()
    assigned = 0
    for index, action in enumerate(actions):
        leads = agency_leads(action.agency_id)
        if not leads or index % 5 == 4:
            continue
        due = today + timedelta(days=DUE_IN_DAYS[assigned % len(DUE_IN_DAYS)])
        operations.assign(action, owner_id=leads[0].id, due_date=due, actor_id=None)
        if assigned == 0:
            operations.add_note(action, "Reviewing the plans audited below good with the "
                                        "casework officers; a refresher session is booked.",
                                actor_id=leads[0].id)
        elif assigned == 1:
            operations.add_note(action, "New checklist in use for every draft plan.",
                                actor_id=leads[0].id)
            operations.request_close(
                action, "New checklist in use since the last cycle; the next figures should "
                        "show it.", actor_id=leads[0].id, targets=current_targets(), as_of=today)
        assigned += 1
    db.session.flush()
    return assigned
