"""The demo's issued letters and responses, dated from the day it is seeded.

An earlier closed cycle's letters went out two weeks after it ended; every agency answered
(one a few days late) and the board has seen the responses. The latest closed cycle's letters
went out days ago: two agencies have answered and the rest are still within their time.
Runs through the same operations a chair and an agency lead use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.panels.models import Panel
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.letters.models import Letter
from qa_app.letters.operations import issue_letter, mark_presented, response_working_days
from qa_app.letters.responses import ChangeRow, submit_response
from qa_app.letters.working_days import add_working_days, is_working_day

ISSUE_AFTER_END_DAYS = 14
RECENT_ISSUE_DAYS = 12
"""The latest cycle's letters are at most this old, so their responses are not yet due."""
ANSWERED_OF_LATEST = 2
LATE_BY_WORKING_DAYS = 3
BOARD_AFTER_DAYS = 14
CHANGES = (
    ("Add a section for the child's own views to our advice template.", "Head of service", 45),
    ("Train every writer of advice on specific, measurable outcomes.", "Principal practitioner",
     90),
    ("Audit ten pieces of advice a month against the partnership standard.",
     "Quality lead", 150),
)
"""Each answered response's rows: what will change, who owns it, and how many days after the
day the demo is seeded it will be done by (always after that day, so never overdue)."""


@dataclass(frozen=True)
class CycleLetters:
    """When one cycle's letters were issued and which of them have been answered, when."""

    issued_on: date
    answered_on: tuple[date | None, ...]
    presented_on: date | None


def issue_date(cycle_end: date, today: date, *, latest: bool) -> date:
    """A working day from the cycle's last day (a week after its panel): two weeks on, or
    for the latest cycle recent enough that its responses are still due."""
    day = cycle_end + timedelta(days=ISSUE_AFTER_END_DAYS)
    if latest:
        day = min(today, max(day, today - timedelta(days=RECENT_ISSUE_DAYS)))
    while not is_working_day(day) and day > cycle_end:
        day -= timedelta(days=1)
    return day


def schedule(cycle_end: date, letters: int, today: date, *, latest: bool) -> CycleLetters:
    """The dates of one closed cycle's letters; none is ever later than today."""
    issued = issue_date(cycle_end, today, latest=latest)
    if latest:
        return CycleLetters(issued, tuple(
            min(today, add_working_days(issued, 2 + index)) if index < ANSWERED_OF_LATEST
            else None for index in range(letters)), None)
    answered = [min(today, add_working_days(issued, 4 + (2 * index) % 16))
                for index in range(letters)]
    if letters > 2:
        due = add_working_days(issued, response_working_days())
        answered[2] = min(today, add_working_days(due, LATE_BY_WORKING_DAYS))
    board = min(today, max(answered) + timedelta(days=BOARD_AFTER_DAYS)) if answered else None
    return CycleLetters(issued, tuple(answered), board)


def issue_demo_letters(today: date) -> int:
    """Issue and answer the closed cycles' draft letters; returns how many were issued.

    Runs once: a database that already has an issued letter is left as it is.
    """
    if db.session.scalar(select(func.count()).select_from(Letter)
                         .where(Letter.status == "issued")):
        return 0
    cycles = db.session.execute(select(Cycle).where(Cycle.status == "closed")
                                .order_by(Cycle.start_date)).scalars().all()
    leads = {u.agency_id: u for u in db.session.execute(
        select(User).where(User.role == Role.AGENCY_LEAD).order_by(User.id)).scalars()}
    manager = db.session.scalar(select(User.id).where(User.role == Role.QI_MANAGER)
                                .order_by(User.id).limit(1))
    issued = 0
    for position, cycle in enumerate(cycles):
        issued += _issue_cycle(cycle, today, leads, manager, latest=position == len(cycles) - 1)
    return issued


def _issue_cycle(cycle: Cycle, today: date, leads: dict[int | None, User],
                 manager_id: int | None, *, latest: bool) -> int:
    chair_id = db.session.scalar(select(Panel.chair_id).where(Panel.cycle_id == cycle.id)
                                 .order_by(Panel.id).limit(1))
    letters = db.session.execute(select(Letter).where(Letter.cycle_id == cycle.id,
                                                      Letter.status == "draft")
                                 .order_by(Letter.agency_id)).scalars().all()
    if chair_id is None or not letters:
        return 0
    plan = schedule(cycle.end_date, len(letters), today, latest=latest)
    for letter, answered_on in zip(letters, plan.answered_on, strict=True):
        issue_letter(letter.id, actor_id=chair_id, today=plan.issued_on)
        lead = leads.get(letter.agency_id)
        if answered_on is None or lead is None:
            continue
        submit_response(letter.id, actor_id=lead.id, rows=planned_changes(today),
                        now=datetime.combine(answered_on, time(9, 30)))
        if plan.presented_on is not None and manager_id is not None:
            mark_presented(letter.id, actor_id=manager_id, presented_on=plan.presented_on,
                           today=today)
    db.session.flush()
    return len(letters)


def planned_changes(today: date) -> list[ChangeRow]:
    return [ChangeRow(change, owner, today + timedelta(days=days))
            for change, owner, days in CHANGES]
