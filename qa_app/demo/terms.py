"""School terms around the day the demo is seeded, so its audit cycles are always recent.

Each term is one audit cycle. The month and day of each term's bounds are those of the
2025/26 terms the demo was first written for; in other years a start moves forward to a
weekday and an end back to a Friday. The autumn term always starts on 1 September, so every
day of an academic year lies in or after one of its own terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

FRIDAY = 4

TERMS: tuple[tuple[str, int, tuple[int, int], tuple[int, int]], ...] = (
    ("Autumn", 0, (9, 1), (12, 19)),
    ("Spring", 1, (1, 5), (3, 27)),
    ("Summer", 1, (4, 20), (7, 17)),
)
"""(name, years after the academic year's first, (month, day) of start, of end)."""


@dataclass(frozen=True)
class Term:
    season: str
    start: date
    end: date

    @property
    def name(self) -> str:
        return f"{self.season} term {self.start.year}"


def _weekday_from(day: date) -> date:
    while day.weekday() > FRIDAY:
        day += timedelta(days=1)
    return day


def _friday_by(day: date) -> date:
    return day - timedelta(days=(day.weekday() - FRIDAY) % 7)


def year_start(day: date) -> int:
    """The calendar year in which the day's academic year (September to August) began."""
    return day.year if day.month >= 9 else day.year - 1


def terms_of(first_year: int) -> list[Term]:
    """The three terms of the academic year that begins in September of `first_year`."""
    terms = []
    for season, offset, (start_month, start_day), (end_month, end_day) in TERMS:
        year = first_year + offset
        start = date(year, start_month, start_day)
        if season != "Autumn":
            start = _weekday_from(start)
        terms.append(Term(season, start, _friday_by(date(year, end_month, end_day))))
    return terms


def recent_terms(today: date) -> list[Term]:
    """The two terms that ended most recently, then the term under way (none in a holiday)."""
    first_year = year_start(today)
    terms = terms_of(first_year - 1) + terms_of(first_year)
    ended = [term for term in terms if term.end < today][-2:]
    current = [term for term in terms if term.start <= today <= term.end]
    return ended + current
