"""Reading spreadsheet cells as the values the register keeps, with reasons a person can act on.

Cells come from CSV (always text) or XLSX (text, numbers, dates). UK dates (31/01/2026) and
ISO dates (2026-01-31) are both normal in exports; so are blank cells and `n/a`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from qa_app.standards.rubric import Rubric

Cell = str | int | float | date | None

NOT_APPLICABLE = frozenset({"", "n/a", "na", "n.a.", "not applicable", "-"})

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_UK = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")

DEFAULT_SCALE = {1: "Inadequate", 2: "Requires improvement", 3: "Good", 4: "Outstanding"}


class ValueProblem(ValueError):
    """A cell that cannot be read; the message is the reason shown against the row."""


def text(cell: Cell) -> str:
    """The cell as trimmed text; whole numbers from XLSX lose their ".0"."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def is_not_applicable(cell: Cell) -> bool:
    return is_blank(cell) or (isinstance(cell, str) and cell.strip().casefold() in NOT_APPLICABLE)


def key(raw: str) -> str:
    """A header or choice in one form: "Plan Ref" and "plan-ref" both become "plan_ref"."""
    return re.sub(r"[\s\-]+", "_", raw.strip().casefold()).strip("_")


class DateReader:
    """Parses dates, remembering each distinct cell: a register repeats a few thousand dates."""

    def __init__(self) -> None:
        self._seen: dict[str, date] = {}

    def __call__(self, cell: Cell) -> date | None:
        if isinstance(cell, str):
            known = self._seen.get(cell)
            if known is not None:
                return known
            stripped = cell.strip()
            if not stripped:
                return None
            day = _parse_date_text(stripped)
            self._seen[cell] = day
            return day
        if cell is None:
            return None
        if isinstance(cell, datetime):
            return cell.date()
        if isinstance(cell, date):
            return cell
        raise ValueProblem(
            f"{text(cell)} is a number, not a date: format the column as dates "
            "(dd/mm/yyyy) or type the date as text"
        )


def _parse_date_text(value: str) -> date:
    iso = _ISO.fullmatch(value)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        return _real_date(value, year, month, day)
    uk = _UK.fullmatch(value)
    if uk:
        day, month, year_text = uk.groups()
        if len(year_text) == 2:
            raise ValueProblem(f"{value!r} has a two-digit year: use four digits, e.g. 31/01/2026")
        return _real_date(value, int(year_text), int(month), int(day))
    raise ValueProblem(f"{value!r} is not a date: use dd/mm/yyyy (31/01/2026) or yyyy-mm-dd")


def _real_date(value: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem(f"{value!r} is not a real date (dd/mm/yyyy)") from None


def whole_number(cell: Cell, lowest: int, highest: int, what: str) -> int:
    """An integer within bounds; "5" and 5.0 are fine, "5.5" and "five" are not."""
    raw = text(cell)
    try:
        number = int(raw)
    except ValueError:
        raise ValueProblem(f"{raw!r} is not a whole number ({what})") from None
    if not lowest <= number <= highest:
        raise ValueProblem(f"{number} is outside {lowest} to {highest} ({what})")
    return number


_YEAR_WORDS = {"r": 0, "reception": 0, "yr": 0, "n1": -2, "n2": -1, "nursery": -1}


def nc_year(cell: Cell) -> int:
    """A national curriculum year: 5, "Year 5", "Y5", or "R"/"Reception" for year 0."""
    raw = text(cell)
    if not raw:
        raise ValueProblem("nc_year is required (a whole number, e.g. 5)")
    word = raw.casefold()
    if word in _YEAR_WORDS:
        return _YEAR_WORDS[word]
    match = re.fullmatch(r"(?:year|yr|y|ncy)?\s*(-?\d+)", word)
    if not match:
        raise ValueProblem(f"{raw!r} is not a national curriculum year (a whole number, e.g. 5)")
    return whole_number(match.group(1), -2, 20, "national curriculum years run from -2 to 20")


def choice(cell: Cell, known: Mapping[str, str], what: str, listed: Iterable[str]) -> str:
    """One of a fixed set, matched on its code or label in any case, spaces or underscores."""
    raw = text(cell)
    if not raw:
        raise ValueProblem(f"{what} is required")
    found = known.get(key(raw))
    if found is None:
        raise ValueProblem(f"unknown {what} {raw!r}; use one of: {', '.join(listed)}")
    return found


class GradeReader:
    """Reads a grade as a scale value or its label, e.g. "3" or "good" on the default scale."""

    def __init__(self, rubric: Rubric | None) -> None:
        scale = {lv.value: lv.label for lv in rubric.scale} if rubric else DEFAULT_SCALE
        self.rubric = rubric
        self.values = tuple(scale)
        self._lookup: dict[str, int] = {}
        for value, label in scale.items():
            self._lookup[label.casefold()] = value
            self._lookup[str(value)] = value
        self.allowed = ", ".join(f"{value} {label}" for value, label in scale.items())

    def __call__(self, cell: Cell) -> int | None:
        if is_not_applicable(cell):
            return None
        raw = text(cell)
        found = self._lookup.get(" ".join(raw.casefold().split()))
        if found is None and self.rubric is not None:
            found = self.rubric.value_for_label(raw)
        if found is None:
            raise ValueProblem(f"{raw!r} is not a grade on the scale ({self.allowed})")
        return found
