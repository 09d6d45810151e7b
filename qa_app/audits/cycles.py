"""Audit cycles: create, edit, close and reopen, each checked and written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from qa_app import audit_log
from qa_app.audits.models import Audit, Cycle, FinalGrade, Sample
from qa_app.extensions import db
from qa_app.timeutil import academic_year

NAME_LENGTH = 120
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


class CycleError(ValueError):
    """A cycle change was refused; `field` names the input at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_date(text: str | None, what: str = "date", field: str | None = None) -> date:
    """A UK date (05/01/2026) or an ISO date (2026-01-05)."""
    value = (text or "").strip()
    if not value:
        raise CycleError(f"Enter the {what}", field)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CycleError(
        f"The {what} must be a real date written as dd/mm/yyyy (for example 05/01/2026) "
        f"or yyyy-mm-dd, not {value!r}",
        field,
    )


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class CycleInput:
    name: str
    start: date
    end: date


def find_cycle(name: str) -> Cycle | None:
    clean = _clean_name(name)
    return db.session.execute(
        select(Cycle).where(func.lower(Cycle.name) == clean.lower())
    ).scalar_one_or_none()


def create_cycle(name: str, start: date, end: date, *, actor_id: int | None = None) -> Cycle:
    data = _checked(name, start, end, existing=None)
    cycle = Cycle(name=data.name, start_date=data.start, end_date=data.end,
                  academic_year=academic_year(data.start), status="open")
    db.session.add(cycle)
    db.session.flush()
    audit_log.record("cycle.create", "cycle", cycle.id, user_id=actor_id, changes={
        "name": cycle.name, "start_date": cycle.start_date.isoformat(),
        "end_date": cycle.end_date.isoformat(), "academic_year": cycle.academic_year,
    })
    return cycle


def edit_cycle(
    cycle: Cycle, name: str, start: date, end: date, *, actor_id: int | None = None
) -> Cycle:
    """Change a cycle's name or dates; a closed cycle must be reopened first."""
    if cycle.status == "closed":
        raise CycleError(f"{cycle.name} is closed: reopen it before changing it")
    data = _checked(name, start, end, existing=cycle)
    year = academic_year(data.start)
    if year != cycle.academic_year and has_audits(cycle):
        raise CycleError(
            f"{cycle.name} already has audits counted in {cycle.academic_year}, so its dates "
            f"cannot move into {year}", "start_date")
    before = {"name": cycle.name, "start_date": cycle.start_date.isoformat(),
              "end_date": cycle.end_date.isoformat(), "academic_year": cycle.academic_year}
    cycle.name, cycle.start_date, cycle.end_date = data.name, data.start, data.end
    cycle.academic_year = year
    after = {"name": cycle.name, "start_date": cycle.start_date.isoformat(),
             "end_date": cycle.end_date.isoformat(), "academic_year": cycle.academic_year}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    db.session.flush()
    if changes:
        audit_log.record("cycle.edit", "cycle", cycle.id, changes=changes, user_id=actor_id)
    return cycle


def close_cycle(cycle: Cycle, *, actor_id: int | None = None) -> Cycle:
    if cycle.status == "closed":
        raise CycleError(f"{cycle.name} is already closed")
    cycle.status = "closed"
    db.session.flush()
    audit_log.record("cycle.close", "cycle", cycle.id, changes={"status": ["open", "closed"]},
                     user_id=actor_id)
    return cycle


def reopen_cycle(cycle: Cycle, *, actor_id: int | None = None) -> Cycle:
    if cycle.status == "open":
        raise CycleError(f"{cycle.name} is already open")
    cycle.status = "open"
    db.session.flush()
    audit_log.record("cycle.reopen", "cycle", cycle.id, changes={"status": ["closed", "open"]},
                     user_id=actor_id)
    return cycle


def has_audits(cycle: Cycle) -> bool:
    """Any audit or final grade (draft, assigned or submitted) ties a cycle's sample down."""
    audits = db.session.scalar(select(func.count(Audit.id)).where(Audit.cycle_id == cycle.id))
    finals = db.session.scalar(
        select(func.count(FinalGrade.id)).where(FinalGrade.cycle_id == cycle.id)
    )
    return bool(audits or finals)


def list_cycles() -> list[tuple[Cycle, int | None]]:
    """Every cycle, newest first, with the number of plans in its sample (None: no sample)."""
    rows = db.session.execute(
        select(Cycle, Sample.size)
        .outerjoin(Sample, Sample.cycle_id == Cycle.id)
        .order_by(Cycle.start_date.desc(), Cycle.name)
    ).all()
    return [(cycle, size) for cycle, size in rows]


def _clean_name(name: str | None) -> str:
    return " ".join((name or "").split())


def _checked(name: str, start: date, end: date, existing: Cycle | None) -> CycleInput:
    clean = _clean_name(name)
    if not clean:
        raise CycleError("Enter a name for the cycle, such as Spring term 2026", "name")
    if len(clean) > NAME_LENGTH:
        raise CycleError(f"The name can be at most {NAME_LENGTH} characters", "name")
    if end < start:
        raise CycleError(
            f"The end date ({uk(end)}) must be the same as or after the start date ({uk(start)})",
            "end_date")
    first, last = academic_year(start), academic_year(end)
    if first != last:
        raise CycleError(
            f"A cycle must lie within one academic year (1 September to 31 August): "
            f"{uk(start)} is in {first} but {uk(end)} is in {last}. Use two cycles instead.",
            "end_date")
    same = find_cycle(clean)
    if same is not None and (existing is None or same.id != existing.id):
        raise CycleError(f"A cycle called {same.name!r} already exists: choose another name",
                         "name")
    return CycleInput(clean, start, end)
