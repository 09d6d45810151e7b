"""Set-based reads and writes for imports: one query per chunk of rows, never one per row.

Checked rows travel as columns ({name: list of values}); new rows are written with COPY on
PostgreSQL and executemany on SQLite, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import eq
from typing import Any, TypeVar

from sqlalchemy import Table

from qa_app.extensions import db
from qa_app.timeutil import utcnow

CHUNK = 10_000

T = TypeVar("T")


@dataclass
class Batch:
    """Checked values ready to write, as columns, and the fields the file had columns for."""

    columns: dict[str, list[Any]]
    present: set[str]


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _driver() -> tuple[Any, Any]:
    """The dialect and the DB-API connection of the session's transaction."""
    connection = db.session.connection()
    return connection.dialect, connection.connection.driver_connection


def rows_by_key(table: Table, key: str, names: Sequence[str], keys: Iterable[str]
                ) -> dict[str, tuple[Any, ...]]:
    """{key: (names...)} for the keys that exist, one query per CHUNK keys.

    Values come back as the database stores them (on SQLite, dates are text): compare
    them with `stored_values`, not with Python dates.
    """
    dialect, raw = _driver()
    selected = ", ".join(f'"{name}"' for name in (key, *names))
    found: dict[str, tuple[Any, ...]] = {}
    with raw.cursor() if dialect.name == "postgresql" else _closing(raw.cursor()) as cursor:
        for part in chunks(list(keys)):
            if dialect.name == "postgresql":
                cursor.execute(f'SELECT {selected} FROM "{table.name}" WHERE "{key}" = ANY(%s)',
                               (list(part),))
            else:
                marks = ", ".join("?" * len(part))
                cursor.execute(f'SELECT {selected} FROM "{table.name}" WHERE "{key}" IN ({marks})',
                               part)
            for row in cursor.fetchall():
                found[row[0]] = row[1:]
    return found


class _closing:
    """sqlite3 cursors are not context managers."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def __enter__(self) -> Any:
        return self.cursor

    def __exit__(self, *_exc: object) -> None:
        self.cursor.close()


def stored_values(table: Table, name: str, values: Sequence[Any]) -> Sequence[Any]:
    """Values as the database stores them (SQLite keeps dates as text), once per distinct one."""
    dialect, _ = _driver()
    processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return values
    done: dict[Any, Any] = {}
    out = []
    for value in values:
        stored = done.get(value)
        if stored is None and value is not None:
            stored = done[value] = processor(value)
        out.append(stored)
    return out


def insert_columns(table: Table, columns: dict[str, Sequence[Any]]) -> None:
    """Insert many rows given as columns: COPY on PostgreSQL, else one executemany."""
    names = list(columns)
    if not names or not len(columns[names[0]]):
        return
    dialect, raw = _driver()
    quoted = ", ".join(f'"{name}"' for name in names)
    values = [stored_values(table, name, columns[name]) for name in names]
    if dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(
            f'COPY "{table.name}" ({quoted}) FROM STDIN'
        ) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in names)
    raw.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})',
                    zip(*values, strict=True))


def update_rows(table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Update rows by id; each tuple is (*stored values in `names` order, id)."""
    if not rows:
        return
    dialect, raw = _driver()
    mark = "%s" if dialect.name == "postgresql" else "?"
    assignments = ", ".join(f'"{name}" = {mark}' for name in names)
    statement = f'UPDATE "{table.name}" SET {assignments} WHERE id = {mark}'
    with raw.cursor() if dialect.name == "postgresql" else _closing(raw.cursor()) as cursor:
        cursor.executemany(statement, rows)


def upsert(table: Table, stored: Sequence[str], batch: Batch, present: set[str],
           report: Any) -> None:
    """Insert new references, update changed ones, count the rest.

    Only columns in `present` are compared and updated: a column the file does not have
    leaves what is stored alone. New rows are written whole (absent columns as blank).
    Rows are written in order of reference, whatever the file's order, so two imports that
    update the same rows take their row locks in the same order and cannot deadlock.
    """
    now = utcnow()
    _sort_by_ref(batch)
    kept = [name for name in stored if name in present]
    refs = batch.columns["ref"]
    for start in range(0, len(refs), CHUNK):
        part = {name: batch.columns[name][start : start + CHUNK] for name in ("ref", *stored)}
        existing = rows_by_key(table, "ref", [*kept, "id"], part["ref"])
        new = part
        changed: list[tuple[Any, ...]] = []
        if existing:
            refs_here = part["ref"]
            olds = list(map({ref: row[:-1] for ref, row in existing.items()}.get, refs_here))
            news = list(zip(*(stored_values(table, name, part[name]) for name in kept),
                            strict=True))
            same = list(map(eq, olds, news))
            report.unchanged += same.count(True)
            stamp = stored_values(table, "updated_at", [now])[0]
            fresh = [i for i, old in enumerate(olds) if old is None]
            changed = [(*news[i], stamp, existing[refs_here[i]][-1])
                       for i, old in enumerate(olds) if old is not None and not same[i]]
            new = {name: [column[i] for i in fresh] for name, column in part.items()}
        count = len(new["ref"])
        insert_columns(table, {**new, "created_at": [now] * count, "updated_at": [now] * count})
        update_rows(table, [*kept, "updated_at"], changed)
        report.created += count
        report.updated += len(changed)
        if count or changed:
            from qa_app.reporting.recalculation import request_everything

            request_everything(f"the register's {table.name} were imported")


def _sort_by_ref(batch: Batch) -> None:
    """Put the batch's rows in order of reference (left alone when already in order)."""
    refs = batch.columns["ref"]
    if all(a <= b for a, b in zip(refs, refs[1:], strict=False)):
        return
    order = sorted(range(len(refs)), key=refs.__getitem__)
    for name, column in batch.columns.items():
        if len(column) == len(refs):
            batch.columns[name] = [column[i] for i in order]
