"""What is due for whom on a given day: one `Due` per person, reminder kind, item and
threshold, read from the same places the home pages read (never a child's reference or a
grade: only ids, names of panels, cycles and agencies, counts and dates).

Every threshold is "on or after" a day, so a run missed (a worker down on the day) is made up
by the next one; the sent-once table keeps each from going twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.main.queries import AWAITING_RESPONSE, current_letters
from qa_app.reminders import kinds as k
from qa_app.reporting.models import ImprovementAction


@dataclass(frozen=True)
class Due:
    user_id: int
    kind: str
    item_key: str
    threshold: str
    group: str
    """The line of the digest this item is counted under (a panel, a letter, an action)."""
    link: tuple[str, dict[str, Any]] = field(default=("main.home", {}))
    """The page to open: an endpoint and its values."""


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def audits_due_days() -> int:
    """The REMINDER_AUDITS_DUE_DAYS setting (qa_app/config.py)."""
    return int(current_app.config["REMINDER_AUDITS_DUE_DAYS"])


def due_on(today: date) -> list[Due]:
    """Everything due on `today`, before opt-outs, inactive people and what was sent."""
    return [*_audits(today), *_moderation(today), *_letters(today), *_actions(today),
            *_weekly(today)]


def _panel_words(panel_name: str, cycle_name: str, meeting: date | None) -> str:
    when = f", meeting on {long_date(meeting)}" if meeting else ""
    return f"{panel_name} ({cycle_name}){when}"


def unfinished_panel_audits() -> list[Any]:
    """Panel audits not yet submitted in open cycles: what an auditor still has to do."""
    return list(db.session.execute(
        select(Audit.id, Audit.auditor_id, Audit.created_at, Panel.id.label("panel_id"),
               Panel.name, Panel.meeting_date, Cycle.name.label("cycle_name"))
        .join(Cycle, Cycle.id == Audit.cycle_id)
        .join(Panel, Panel.id == Audit.panel_id)
        .where(Audit.source == "panel", Audit.status != "submitted",
               Audit.auditor_id.is_not(None), Cycle.status == "open")
        .order_by(Audit.id)
    ).all())


def _audits(today: date) -> Iterator[Due]:
    soon = timedelta(days=audits_due_days())
    for row in unfinished_panel_audits():
        group = _panel_words(row.name, row.cycle_name, row.meeting_date)
        key = f"audit:{row.id}"
        link = ("scoring.my_audits", {})
        if row.created_at.date() <= today:
            yield Due(row.auditor_id, k.AUDITS_ASSIGNED, key, "assigned", group, link)
        meeting = row.meeting_date
        if meeting is None:
            continue
        if meeting - soon <= today <= meeting:
            yield Due(row.auditor_id, k.AUDITS_DUE, key, f"due:{meeting}", group, link)
        elif today > meeting:
            yield Due(row.auditor_id, k.AUDITS_OVERDUE, key, f"overdue:{meeting}", group, link)


def subjects_waiting_moderation() -> list[tuple[Any, str, int, str]]:
    """(panel row, "plan" or "advice", subject id, last submitted day) for every subject whose
    audits at a panel of an open cycle are all in (two or more, all submitted) and that has no
    final grade: the rule the moderation pages and the chair's home page count by."""
    panels = {p.id: p for p in db.session.execute(
        select(Panel.id, Panel.name, Panel.chair_id, Panel.meeting_date, Panel.cycle_id,
               Cycle.name.label("cycle_name"))
        .join(Cycle, Cycle.id == Panel.cycle_id).where(Cycle.status == "open"))}
    if not panels:
        return []
    found: dict[tuple[int, int | None, int | None], list[Any]] = {}
    for panel_id, plan_id, advice_id, status, submitted_at in db.session.execute(
        select(Audit.panel_id, Audit.plan_id, Audit.advice_id, Audit.status, Audit.submitted_at)
        .where(Audit.panel_id.in_(list(panels)), Audit.source == "panel")
    ):
        found.setdefault((panel_id, plan_id, advice_id), []).append((status, submitted_at))
    finals = set(db.session.execute(
        select(FinalGrade.cycle_id, FinalGrade.plan_id, FinalGrade.advice_id)
        .where(FinalGrade.cycle_id.in_({p.cycle_id for p in panels.values()}))).all())
    waiting = []
    for (panel_id, plan_id, advice_id), audits in sorted(found.items(), key=str):
        panel = panels[panel_id]
        if (panel.cycle_id, plan_id, advice_id) in finals or len(audits) < 2:
            continue
        if any(status != "submitted" for status, _ in audits):
            continue
        last = max((at for _, at in audits if at is not None), default=None)
        kind, subject_id = ("plan", plan_id) if plan_id is not None else ("advice", advice_id)
        waiting.append((panel, kind, subject_id, last.date().isoformat() if last else ""))
    return waiting


def _moderation(today: date) -> Iterator[Due]:
    for panel, kind, subject_id, last_day in subjects_waiting_moderation():
        if last_day and date.fromisoformat(last_day) > today:
            continue
        yield Due(panel.chair_id, k.MODERATION_WAITING,
                  f"panel:{panel.id}:{kind}:{subject_id}", "ready",
                  _panel_words(panel.name, panel.cycle_name, panel.meeting_date),
                  ("moderation.panel", {"panel_id": panel.id}))


def _leads_by_agency() -> dict[int, list[int]]:
    leads: dict[int, list[int]] = {}
    for user_id, agency_id in db.session.execute(
        select(User.id, User.agency_id)
        .where(User.role == str(Role.AGENCY_LEAD), User.agency_id.is_not(None))
        .order_by(User.id)
    ):
        leads.setdefault(agency_id, []).append(user_id)
    return leads


def _letters(today: date) -> Iterator[Due]:
    leads = _leads_by_agency()
    for line in current_letters(today):
        letter, status = line.letter, line.status
        if status.key not in AWAITING_RESPONSE or letter.response is None:
            continue
        due_date = letter.response.due_date
        group = (f"{letter.cycle.name} feedback letter to {letter.agency.name}: response due "
                 f"by {long_date(due_date)}")
        key = f"letter:{letter.id}"
        link = ("letters.show", {"letter_id": letter.id})
        issued = letter.issued_at.date() <= today if letter.issued_at else True
        for user_id in leads.get(letter.agency_id, []):
            if issued:
                yield Due(user_id, k.LETTER_ISSUED, key, "issued", group, link)
            if status.key == "due":
                yield Due(user_id, k.RESPONSE_DUE, key, f"due:{due_date}", group, link)
            elif status.key == "late":
                yield Due(user_id, k.RESPONSE_OVERDUE, key, f"overdue:{due_date}", group, link)


def actions_tracked() -> bool:
    """Improvement actions have owners and due dates (added by the actions feature)."""
    return hasattr(ImprovementAction, "owner_id") and hasattr(ImprovementAction, "due_date")


def _actions(today: date) -> Iterator[Due]:
    if not actions_tracked():
        return
    from qa_app.register.models import Agency
    from qa_app.reporting.labels import MEASURE_TITLES, SCOPE_LABELS

    rows = db.session.execute(
        select(ImprovementAction, Agency.name)
        .join(Agency, Agency.id == ImprovementAction.agency_id)
        .where(ImprovementAction.status == "open", ImprovementAction.owner_id.is_not(None))
        .order_by(ImprovementAction.id)
    ).all()
    for action, agency_name in rows:
        measure = MEASURE_TITLES.get(action.measure, action.measure)
        scope = SCOPE_LABELS.get(action.scope, action.scope)
        due = f", due by {long_date(action.due_date)}" if action.due_date else ""
        group = f"{measure} ({scope}), {agency_name}, {action.academic_year}{due}"
        key = f"action:{action.id}"
        link = ("improvement.show", {"action_id": action.id})
        yield Due(action.owner_id, k.ACTION_ASSIGNED, key, "assigned", group, link)
        if action.due_date is not None and today > action.due_date:
            yield Due(action.owner_id, k.ACTION_OVERDUE, key, f"overdue:{action.due_date}",
                      group, link)


def _weekly(today: date) -> Iterator[Due]:
    """One summary per manager for each ISO week (Monday to Sunday), due from its Monday: a
    Monday run missed (a worker down, a bank holiday outage) is made up by the week's next
    run, and the sent-once row for the week keeps it to one."""
    year, week, _ = today.isocalendar()
    monday = today - timedelta(days=today.weekday())
    for user_id in db.session.scalars(
        select(User.id).where(User.role == str(Role.QI_MANAGER)).order_by(User.id)
    ):
        yield Due(user_id, k.WEEKLY_SUMMARY, f"week:{year}-W{week:02d}", "weekly",
                  f"Week of {long_date(monday)}", ("main.home", {}))


def weekly_counts(today: date) -> dict[str, int]:
    """The figures of the manager's weekly summary, each counted as its page counts it."""
    from qa_app.main.queries import failed_jobs

    letters = [line for line in current_letters(today) if line.status.key in AWAITING_RESPONSE]
    overdue_actions = 0
    if actions_tracked():
        overdue_actions = db.session.scalar(
            select(func.count()).select_from(ImprovementAction)
            .where(ImprovementAction.status != "closed",
                   ImprovementAction.due_date < today)) or 0
    return {
        "audits_outstanding": len(unfinished_panel_audits()),
        "moderation_waiting": len(subjects_waiting_moderation()),
        "letters_awaiting": len(letters),
        "letters_late": sum(1 for line in letters if line.status.key == "late"),
        "actions_overdue": int(overdue_actions),
        "failed_jobs": failed_jobs(),
    }
