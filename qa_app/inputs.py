"""Whole numbers typed by people: record ids in paths and query strings.

Python's `str.isdigit` accepts characters such as `²` and Arabic-Indic digits that `int()`
then refuses or reads unexpectedly, and a number past 2**63 - 1 overflows the database's
integer columns. Both ended as server errors. Every id and page number in a URL is read
here instead: ASCII digits only, within the range a database id can hold; anything else
is "not found" (or the default, where a page can carry on without it).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**63 - 1
"""The largest value of a 64-bit signed integer column (PostgreSQL BIGINT, SQLite INTEGER)."""
MAX_PAGE = 1_000_000
"""Highest page number of a list: far past any real list, yet its row offset stays in range."""


def ascii_int(raw: str | None) -> int | None:
    """`raw` as a whole number if it is 1 to 19 ASCII digits, else None."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def parse_id(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as a number from `low` to `high`, or None when it is anything else."""
    value = ascii_int(raw)
    return value if value is not None and low <= value <= high else None


def query_int(name: str, default: int | None = None, *, low: int = 0, high: int = MAX_ID,
              strict: bool = False) -> int | None:
    """The query parameter `name` as a number (the first, if it is repeated).

    Missing or empty gives `default`. Anything else that is not a number from `low` to
    `high` gives `default`, or 404 with `strict` (where a wrong number names a record
    that does not exist)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_id(raw.strip(), low, high)
    if value is None:
        if strict:
            abort(404)
        return default
    return value


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits only and at most MAX_ID, else 404."""

    regex = r"[0-9]+"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > 19:
            raise ValidationError()
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Replace the `int` converter before any route is added (routes bind it when added)."""
    app.url_map.converters["int"] = IdConverter
