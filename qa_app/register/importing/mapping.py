"""Which column of an export holds which field (identifying columns: see identifying.py).

Default column names are the field names (DESIGN section 6), matched ignoring case, spaces
and hyphens ("Plan Ref" is plan_ref). A mapping file renames other exports' columns: YAML
(`plan_ref: EHCP Reference`, one field per line) or a CSV of `field,column` rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import yaml

from qa_app.register.importing.report import ImportFileError, ImportReport, RowError
from qa_app.register.importing.values import Cell, ValueProblem, key

MAX_MAPPING_BYTES = 64 * 1024


@dataclass(frozen=True)
class Field:
    name: str
    required: bool = False


@dataclass
class Columns:
    """Field name -> position in the row; `extra` holds the other named columns by key."""

    index: dict[str, int]
    extra: dict[str, int] = field(default_factory=dict)
    extra_names: dict[str, str] = field(default_factory=dict)


def load_mapping(stream: IO[bytes], file_name: str) -> dict[str, str]:
    """Read a mapping file into {field: column in the export}."""
    data = stream.read(MAX_MAPPING_BYTES + 1)
    if len(data) > MAX_MAPPING_BYTES:
        raise ImportFileError("the mapping file is too large (at most 64 KB)")
    try:
        body = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("the mapping file is not UTF-8 text") from None
    pairs = _csv_pairs(body) if file_name.lower().endswith(".csv") else _yaml_pairs(body)
    mapping: dict[str, str] = {}
    for target, column in pairs:
        name = key(target)
        if not name or not column.strip():
            raise ImportFileError(
                f"mapping file: {target!r} -> {column!r} needs both a field and a column name"
            )
        if name in mapping:
            raise ImportFileError(f"mapping file: {name} is mapped twice")
        mapping[name] = column.strip()
    return mapping


def _yaml_pairs(body: str) -> list[tuple[str, str]]:
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ImportFileError(f"the mapping file is not valid YAML{line}") from None
    if data is None:
        return []
    if not isinstance(data, dict):
        raise ImportFileError(
            "the mapping file must be lines of `field: column in your export`, "
            "e.g. `plan_ref: EHCP Reference`"
        )
    pairs = []
    for target, column in data.items():
        if not isinstance(column, str | int) or isinstance(column, bool):
            raise ImportFileError(f"mapping file: {target}: give the column name as text")
        pairs.append((str(target), str(column)))
    return pairs


def _csv_pairs(body: str) -> list[tuple[str, str]]:
    rows = [row for row in csv.reader(io.StringIO(body)) if any(c.strip() for c in row)]
    if rows and [key(c) for c in rows[0][:2]] == ["field", "column"]:
        rows = rows[1:]
    for number, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise ImportFileError(f"mapping file row {number}: give `field,column`")
    return [(row[0], row[1]) for row in rows]


def resolve_columns(
    header: list[str],
    fields: tuple[Field, ...],
    mapping: dict[str, str] | None = None,
    *,
    other_fields: Iterable[str] = (),
    extra_allowed: bool = False,
) -> Columns:
    """Find each field's column; every missing required column is reported at once.

    `other_fields` are fields of the other import kinds: a shared mapping file may name them.
    With `extra_allowed` (historic audits), unknown mapping keys rename criterion columns.
    """
    mapping = mapping or {}
    positions: dict[str, list[int]] = {}
    for position, column in enumerate(header):
        if column:
            positions.setdefault(key(column), []).append(position)
    own = {f.name for f in fields}
    problems: list[RowError] = []
    unknown = sorted(set(mapping) - own - set(other_fields))
    if unknown and not extra_allowed:
        problems.extend(
            RowError(None, name, "the mapping file names a field the import does not know; "
                     f"the fields are: {', '.join(sorted(own))}")
            for name in unknown
        )
    index: dict[str, int] = {}
    used: set[int] = set()
    for target in fields:
        mapped = mapping.get(target.name)
        found = positions.get(key(mapped or target.name), [])
        if len(found) > 1:
            problems.append(RowError(None, target.name, f"there are {len(found)} columns "
                                     f"called {mapped or target.name!r}; keep one"))
        elif found:
            index[target.name] = found[0]
            used.add(found[0])
        elif mapped:
            problems.append(RowError(None, target.name, f"the mapping file says this is column "
                                     f"{mapped!r}, but the file has no such column"))
        elif target.required:
            problems.append(RowError(None, target.name, "the file has no column for this "
                                     "required field (add it, or map it in a mapping file)"))
    if problems:
        raise ImportFileError(*problems)
    columns = Columns(index)
    if extra_allowed:
        renamed = {key(column): name for name, column in mapping.items() if name in unknown}
        for position, column in enumerate(header):
            if column and position not in used:
                name = renamed.get(key(column), key(column))
                columns.extra[name] = position
                columns.extra_names[name] = column
    return columns


Reader = Callable[[Cell], Any]


def field_readers(columns: Columns, readers: dict[str, Reader]) -> list[tuple[str, Reader, int]]:
    """(field, reader, position) in the given order; a field without a column reads as blank."""
    chosen: list[tuple[str, Reader, int]] = []
    for name, read in readers.items():
        position = columns.index.get(name)
        if position is None:
            chosen.append((name, lambda _cell, read=read: read(""), 0))
        else:
            chosen.append((name, read, position))
    return chosen


def read_fields(
    readers: list[tuple[str, Reader, int]], number: int, cells: list[Cell], report: ImportReport
) -> tuple[list[Any], bool]:
    """Each field's value (None where unreadable) and whether the whole row read cleanly."""
    values: list[Any] = []
    clean = True
    for name, read, position in readers:
        try:
            values.append(read(cells[position]))
        except ValueProblem as problem:
            report.add(number, name, str(problem))
            values.append(None)
            clean = False
    return values, clean
