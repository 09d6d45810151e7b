"""Reads for improvement actions: the lines people see, grouped by where each stands, the
partnership items that gather one measure missed by most agencies, and what is overdue.

`actions_by_status()` and `ActionLine` are a contract: the board's exceptions report lists
actions through them. Scoping applies as everywhere: a lead sees their own agency's only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import has_request_context, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, defer

from qa_app.audits.cycles.models import Cycle
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.improvement.models import ImprovementNote
from qa_app.letters.models import Letter
from qa_app.register.models import Agency
from qa_app.reporting.labels import describe
from qa_app.reporting.models import ImprovementAction, RateSnapshot
from qa_app.reporting.periods import ACADEMIC_YEAR
from qa_app.reporting.queries import current_runs

OPEN, CLOSING, CLOSED = "open", "closing", "closed"
STATUS_TEXT = {OPEN: "Open", CLOSING: "Waiting for confirmation", CLOSED: "Closed"}
"""The lifecycle (see the README): open, then closing once someone asks to close it with a
note of what changed, then closed when the figure recovers or the manager closes it anyway."""

OVERDUE_HEADING = "Overdue"
HEADINGS = {OPEN: "Open", CLOSING: "Waiting for confirmation", CLOSED: "Closed this year"}

SYSTEMIC_SHARE = 0.5
"""A measure is systemic in a year when at least this share of the agencies counted for it
have an action that is not closed (see `is_systemic`)."""
SYSTEMIC_FEWEST = 2


def action_path(action_id: int) -> str:
    if has_request_context():
        return url_for("improvement.show", action_id=action_id)
    return f"/improvement-actions/{action_id}"


@dataclass(frozen=True)
class ActionLine:
    """One improvement action as a list, a home page or the board report shows it."""

    id: int
    agency_id: int
    agency_name: str
    measure: str
    scope: str
    measure_text: str
    academic_year: str
    owner_id: int | None
    owner_name: str | None
    due_date: date | None
    status: str
    status_text: str
    overdue: bool
    url: str
    opened_at: datetime
    closed_at: datetime | None

    @property
    def key(self) -> tuple[str, str, str]:
        """What a partnership item groups by: the same measure, scope and year."""
        return self.measure, self.scope, self.academic_year


@dataclass(frozen=True)
class PartnershipItem:
    """One measure missed by most agencies in a year, shown once with its agencies inside."""

    measure_text: str
    academic_year: str
    agencies_counted: int
    lines: list[ActionLine] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(line.overdue for line in self.lines)

    @property
    def earliest_due(self) -> date | None:
        dates = [line.due_date for line in self.lines if line.due_date is not None]
        return min(dates) if dates else None


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    """Overdue: the due date has passed and the action is not closed."""
    return status != CLOSED and due_date is not None and due_date < today


def is_systemic(with_action: int, counted: int) -> bool:
    """The grouping rule: one measure is a partnership item in a year when at least two
    agencies, and at least half of the agencies counted for that measure, have an action on
    it that is not closed (every agency below a 100% target is the plainest case)."""
    return with_action >= SYSTEMIC_FEWEST and with_action >= SYSTEMIC_SHARE * counted


def _lines_query() -> Select:
    owner = aliased(User)
    return (
        select(ImprovementAction, Agency.name, owner.display_name)
        .join(Agency, Agency.id == ImprovementAction.agency_id)
        .outerjoin(owner, owner.id == ImprovementAction.owner_id)
    )


def _line(action: ImprovementAction, agency_name: str, owner_name: str | None,
          today: date) -> ActionLine:
    return ActionLine(
        id=action.id, agency_id=action.agency_id, agency_name=agency_name,
        measure=action.measure, scope=action.scope,
        measure_text=describe(action.measure, action.scope),
        academic_year=action.academic_year, owner_id=action.owner_id, owner_name=owner_name,
        due_date=action.due_date, status=action.status,
        status_text=STATUS_TEXT.get(action.status, action.status),
        overdue=is_overdue(action.status, action.due_date, today),
        url=action_path(action.id), opened_at=action.opened_at, closed_at=action.closed_at)


def action_lines(today: date, *, status: str | None = None, agency_id: int | None = None,
                 overdue_only: bool = False, owner_id: int | None = None,
                 closed_since: date | None = None) -> list[ActionLine]:
    """Actions as lines, overdue first (soonest due first), then by due date, agency and
    measure. `closed_since` leaves out actions closed before that day."""
    query = _lines_query()
    if status is not None:
        query = query.where(ImprovementAction.status == status)
    if agency_id is not None:
        query = query.where(ImprovementAction.agency_id == agency_id)
    if owner_id is not None:
        query = query.where(ImprovementAction.owner_id == owner_id)
    if overdue_only:
        query = query.where(ImprovementAction.status != CLOSED,
                            ImprovementAction.due_date < today)
    if closed_since is not None:
        query = query.where((ImprovementAction.status != CLOSED)
                            | (ImprovementAction.closed_at >= closed_since))
    lines = [_line(a, name, owner, today) for a, name, owner in db.session.execute(query).all()]
    return sorted(lines, key=_order)


def _order(line: ActionLine) -> tuple:
    return (not line.overdue, line.status == CLOSED, line.due_date is None,
            line.due_date or date.max, line.agency_name.casefold(), line.measure_text, line.id)


def academic_year_start(today: date) -> date:
    """1 September of the academic year `today` falls in."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def actions_by_status(today: date | None = None) -> list[tuple[str, list[ActionLine]]]:
    """Every action the user may see under a plain heading: overdue first, then open, then
    waiting for confirmation, then closed this academic year. A heading with no action is
    still listed, with an empty list, so a report can say "none"."""
    today = today or date.today()
    lines = action_lines(today, closed_since=academic_year_start(today))
    return [
        (OVERDUE_HEADING, [line for line in lines if line.overdue]),
        (HEADINGS[OPEN], [line for line in lines if line.status == OPEN and not line.overdue]),
        (HEADINGS[CLOSING],
         [line for line in lines if line.status == CLOSING and not line.overdue]),
        (HEADINGS[CLOSED], [line for line in lines if line.status == CLOSED]),
    ]


def agencies_counted(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    """For each measure, scope and year: how many agencies its current figures count (with a
    target), which is what "most agencies" is measured against."""
    wanted = set(keys)
    if not wanted:
        return {}
    runs = current_runs(ACADEMIC_YEAR).subquery()
    rows = db.session.execute(
        select(RateSnapshot.measure, RateSnapshot.scope, runs.c.period_key,
               func.count(func.distinct(RateSnapshot.agency_id)))
        .join(runs, runs.c.id == RateSnapshot.run_id)
        .where(RateSnapshot.agency_id.is_not(None), RateSnapshot.breakdown == "",
               RateSnapshot.target.is_not(None), RateSnapshot.n > 0,
               RateSnapshot.measure.in_({k[0] for k in wanted}))
        .group_by(RateSnapshot.measure, RateSnapshot.scope, runs.c.period_key)
    ).all()
    return {(m, s, y): int(n) for m, s, y, n in rows if (m, s, y) in wanted}


def grouped(lines: list[ActionLine]) -> list[ActionLine | PartnershipItem]:
    """The list page's items: actions that are not closed on a systemic measure become one
    partnership item each (where the first of them would have stood); the rest stay lines."""
    live: dict[tuple[str, str, str], list[ActionLine]] = {}
    for line in lines:
        if line.status != CLOSED:
            live.setdefault(line.key, []).append(line)
    counted = agencies_counted(live)
    systemic = {key for key, found in live.items()
                if is_systemic(len(found), max(counted.get(key, 0), len(found)))}
    items: list[ActionLine | PartnershipItem] = []
    placed: set[tuple[str, str, str]] = set()
    for line in lines:
        if line.status == CLOSED or line.key not in systemic:
            items.append(line)
        elif line.key not in placed:
            placed.add(line.key)
            found = live[line.key]
            items.append(PartnershipItem(found[0].measure_text, line.academic_year,
                                         max(counted.get(line.key, 0), len(found)), found))
    return items


def overdue_for_owner(owner_id: int, today: date) -> list[ActionLine]:
    return action_lines(today, owner_id=owner_id, overdue_only=True)


def overdue_everywhere(today: date) -> list[ActionLine]:
    return action_lines(today, overdue_only=True)


def agency_leads(agency_id: int) -> list[User]:
    """Who may own an agency's action: its active agency leads."""
    return list(db.session.execute(
        select(User).where(User.agency_id == agency_id, User.role == Role.AGENCY_LEAD.value,
                           User.active.is_(True))
        .order_by(User.display_name, User.id)).scalars())


def letter_for(action: ImprovementAction) -> Letter | None:
    """The agency's letter for a cycle of the action's academic year: the newest cycle, an
    issued version before a draft, the newest version (scoping decides what a lead sees)."""
    return db.session.execute(
        select(Letter).join(Cycle, Cycle.id == Letter.cycle_id)
        .where(Letter.agency_id == action.agency_id,
               Cycle.academic_year == action.academic_year)
        .order_by(Cycle.start_date.desc(), (Letter.status == "issued").desc(),
                  Letter.version.desc())
        .options(defer(Letter.pdf), defer(Letter.content))
        .limit(1)
    ).scalars().first()


def figures_args(action: ImprovementAction, *, own_agency_only: bool) -> dict[str, object]:
    """The rates page's filters for the figures that opened the action."""
    args: dict[str, object] = {"year": action.academic_year, "measure": action.measure}
    if not own_agency_only:
        args["agency"] = action.agency_id
    return args


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(  # type: ignore[arg-type]
        select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def thread(action_id: int) -> list[tuple[ImprovementNote, str | None]]:
    """The thread, oldest first, with each author's name (None: the figures wrote it)."""
    return [(note, name) for note, name in db.session.execute(
        select(ImprovementNote, User.display_name)
        .outerjoin(User, User.id == ImprovementNote.author_id)
        .where(ImprovementNote.action_id == action_id)
        .order_by(ImprovementNote.written_at, ImprovementNote.id)).all()]
