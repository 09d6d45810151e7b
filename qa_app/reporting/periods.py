"""The periods rates are reported for: an audit cycle, or an English academic year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from qa_app.audits.cycles import queries as cycle_queries
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.standards.targets import is_academic_year

CYCLE = "cycle"
ACADEMIC_YEAR = "academic_year"
PERIOD_KINDS = (CYCLE, ACADEMIC_YEAR)


class PeriodError(ValueError):
    """A period that does not exist or is malformed; the message says which."""


@dataclass(frozen=True)
class Period:
    """`key` is the cycle id as text, or the academic year such as "2025/26"."""

    kind: str
    key: str
    label: str
    academic_year: str
    start: date
    end: date

    @property
    def cycle_id(self) -> int | None:
        return int(self.key) if self.kind == CYCLE else None


def year_bounds(academic_year: str) -> tuple[date, date]:
    first = int(academic_year[:4])
    return date(first, 9, 1), date(first + 1, 8, 31)


def cycle_period(cycle: Cycle) -> Period:
    return Period(CYCLE, str(cycle.id), cycle.name, cycle.academic_year, cycle.start_date,
                  cycle.end_date)


def year_period(academic_year: str) -> Period:
    if not is_academic_year(academic_year):
        raise PeriodError(f"{academic_year!r} is not an academic year such as 2025/26")
    start, end = year_bounds(academic_year)
    return Period(ACADEMIC_YEAR, academic_year, academic_year, academic_year, start, end)


def find_cycle(name_or_id: str) -> Cycle:
    """A cycle by its name (any case), or by its id (the key the worker is given)."""
    cycle = cycle_queries.find_cycle(name_or_id)
    if cycle is None:
        raise PeriodError(f"there is no audit cycle called {name_or_id!r}")
    return cycle


def period_for(kind: str, key: str) -> Period:
    if kind == CYCLE:
        return cycle_period(find_cycle(key))
    if kind == ACADEMIC_YEAR:
        return year_period(key)
    raise PeriodError(f"{kind!r} is not a period kind ({', '.join(PERIOD_KINDS)})")


def default_periods(as_of: date) -> list[Period]:
    """Every cycle that has begun or has final grades, and every academic year of those
    cycles or of final grades (imported historic grades may have no cycle)."""
    graded_cycles = select(FinalGrade.cycle_id).where(FinalGrade.cycle_id.is_not(None))
    cycles = db.session.execute(
        select(Cycle)
        .where((Cycle.start_date <= as_of) | Cycle.id.in_(graded_cycles))
        .order_by(Cycle.start_date, Cycle.id)
    ).scalars().all()
    graded_years = db.session.execute(select(FinalGrade.academic_year).distinct()).scalars()
    years = sorted({c.academic_year for c in cycles} | set(graded_years))
    return [cycle_period(c) for c in cycles] + [
        year_period(y) for y in years if is_academic_year(y)
    ]


def resolve_periods(
    kind: str | None, key: str | None, as_of: date, *, cycle: str | None = None,
    year: str | None = None,
) -> list[Period]:
    """The periods one aggregation covers: the one named, the cycle and/or year given, or
    by default every period with something to report."""
    if kind or key:
        if not (kind and key):
            raise PeriodError("give both a period kind and a period key, or neither")
        return [period_for(kind, key)]
    chosen = []
    if cycle:
        chosen.append(cycle_period(find_cycle(cycle)))
    if year:
        chosen.append(year_period(year))
    return chosen or default_periods(as_of)
