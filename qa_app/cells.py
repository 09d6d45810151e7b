"""Text written into spreadsheets: one rule for every CSV and XLSX cell the product makes.

A spreadsheet program treats a cell that starts with = + - @ (or a tab or carriage return
before one) as a formula, so a cycle or agency called `=HYPERLINK(...)` would run as one
in whoever opens the download. Every export, header row included, passes its cells
through `safe_cell`; a leading apostrophe makes the program show the text as typed.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write: text that could start a formula gets a leading apostrophe.
    Numbers, dates and empty cells are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """Every cell of a row made safe (see safe_cell)."""
    return [safe_cell(v) for v in values]
