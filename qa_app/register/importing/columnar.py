"""Checking a large register a column at a time, in chunks of rows.

A register repeats a few values per column (a few agencies, a few thousand dates), so each
column is read through a memo of the cells already seen: the common path is a C-level
`map` over a dict, and the reader runs once per distinct cell. Problems are still reported
per row, with the row's spreadsheet number.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import islice, repeat
from typing import Any

from qa_app.register.importing.mapping import Columns
from qa_app.register.importing.readers import Table
from qa_app.register.importing.report import ImportReport
from qa_app.register.importing.values import ValueProblem, is_blank, text

ROWS_PER_CHUNK = 20_000
_MISSING = object()


class Memo:
    """Applies `read` to cells (or tuples of cells), once per distinct value; errors not kept."""

    def __init__(self, read: Callable[[Any], Any]) -> None:
        self.read = read
        self.seen: dict[Hashable, Any] = {}

    def get(self, cell: Hashable) -> Any:
        value = self.seen.get(cell, _MISSING)
        if value is _MISSING:
            value = self.seen[cell] = self.read(cell)
        return value


class Chunk:
    """Up to ROWS_PER_CHUNK rows as columns; `bad` holds the positions of rows with problems."""

    def __init__(self, numbers: Sequence[int], cells: Sequence[Sequence[Any]], columns: Columns,
                 report: ImportReport, text_only: bool) -> None:
        self.numbers = numbers
        self.size = len(numbers)
        self._by_position = list(zip(*cells, strict=False))
        self._columns = columns
        self.report = report
        self.text_only = text_only
        self.bad: set[int] = set()

    def cells(self, name: str) -> Sequence[Any]:
        position = self._columns.index.get(name)
        if position is None:
            return ("",) * self.size
        return self._by_position[position]

    def fail(self, i: int, name: str, reason: str) -> None:
        self.bad.add(i)
        self.report.add(self.numbers[i], name, reason)

    def read(self, name: str, memo: Memo, keys: Iterable[Hashable] | None = None) -> list[Any]:
        """Each row's value for a field; None (and a reported problem) where it cannot be read."""
        keys = list(keys) if keys is not None else self.cells(name)
        seen = memo.seen
        values = list(map(seen.get, keys, repeat(_MISSING, self.size)))
        if _MISSING in values:
            for i, value in enumerate(values):
                if value is _MISSING:
                    try:
                        values[i] = memo.get(keys[i])
                    except ValueProblem as problem:
                        self.fail(i, name, str(problem))
                        values[i] = None
        return values

    def texts(self, name: str) -> list[str]:
        cells = self.cells(name)
        return list(map(str.strip, cells)) if self.text_only else list(map(text, cells))

    def required_texts(self, name: str, longest: int) -> list[str]:
        values = self.texts(name)
        if "" in values or max(map(len, values)) > longest:
            for i, value in enumerate(values):
                if not value:
                    self.fail(i, name, f"{name} is required")
                elif len(value) > longest:
                    self.fail(i, name, f"{name} is longer than {longest} characters")
        return values

    def references(self, name: str, first_seen: dict[str, int], longest: int) -> list[str]:
        """Required, at most `longest` characters, and once only in the whole file."""
        refs = self.required_texts(name, longest)
        here = dict(zip(refs, self.numbers, strict=True))
        if len(here) == self.size and here.keys().isdisjoint(first_seen.keys()):
            first_seen.update(here)
            return refs
        for i, ref in enumerate(refs):
            if not ref:
                continue
            earlier = first_seen.setdefault(ref, self.numbers[i])
            if earlier != self.numbers[i]:
                self.fail(i, name, f"{ref!r} is also on row {earlier}")
        return refs

    def keep(self, columns: Sequence[list[Any]]) -> Iterator[list[Any]]:
        """The columns without the rows that had problems."""
        if not self.bad:
            yield from columns
            return
        good = [i for i in range(self.size) if i not in self.bad]
        for column in columns:
            yield [column[i] for i in good]


def chunks(table: Table, columns: Columns, report: ImportReport) -> Iterator[Chunk]:
    rows = iter(table.rows)
    while True:
        part = list(islice(rows, ROWS_PER_CHUNK))
        if not part:
            return
        report.rows += len(part)
        numbers, cells = zip(*part, strict=True)
        yield Chunk(numbers, cells, columns, report, table.text_only)


def check_exceptions(chunk: Chunk, exceptions: list[Any], notes: list[Any]) -> None:
    """A statutory exception (plans and advice alike) needs its reason, and a reason needs
    its exception."""
    raw = chunk.cells("exception")
    for i, (code, reason) in enumerate(zip(exceptions, notes, strict=True)):
        if code and not reason:
            chunk.fail(i, "exception_note", "a statutory exception needs the reason written "
                       "in exception_note")
        elif reason and not code and is_blank(raw[i]):
            chunk.fail(i, "exception", "exception_note is filled in but no statutory "
                       "exception is given")
