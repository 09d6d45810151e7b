"""Importing the plan register, the advice log and historic audits from spreadsheet exports.

All or nothing: every row is read and checked first and every problem reported; only a file
without problems is written, in the caller's one transaction (the caller commits).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from flask import current_app

from qa_app import audit_log
from qa_app.audits.history_import import records as audits
from qa_app.extensions import db
from qa_app.register.importing import advice, lock, plans
from qa_app.register.importing.identifying import checked_rows, refuse_identifying_columns
from qa_app.register.importing.lock import ImportBusy
from qa_app.register.importing.mapping import Columns, Field, load_mapping, resolve_columns
from qa_app.register.importing.readers import (
    MAX_BYTES,
    MAX_COMPRESSION_RATIO,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    Table,
    open_table,
)
from qa_app.register.importing.report import ImportFileError, ImportReport, RowError

__all__ = ["KINDS", "ImportBusy", "ImportReport", "RowError", "max_bytes", "max_rows",
           "run_import"]

PROGRESS_EVERY = 5_000
"""Rows between two calls of an import's `on_rows` (the job's progress)."""

lock.init_app()


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    fields: tuple[Field, ...]
    validate: Callable[[Table, Columns, ImportReport], Any]
    write: Callable[[Any, ImportReport], None]
    extra_columns: bool = False


KINDS: dict[str, Kind] = {
    "plans": Kind("plans", "EHCP register (plans)", plans.FIELDS, plans.validate, plans.write),
    "advice": Kind("advice", "Advice log", advice.FIELDS, advice.validate, advice.write),
    "audits": Kind("audits", "Historic audits", audits.FIELDS, audits.validate, audits.write,
                   extra_columns=True),
}


FREE_TEXT = frozenset({"setting", "exception", "exception_note", "override_reason", "cycle"})
"""Fields whose values are written as typed: each value is checked for an NHS number or a
postcode (identifying.checked_rows)."""


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES))


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS", MAX_ROWS))


def xlsx_limits() -> dict[str, int]:
    """The XLSX unpacked-size and compression-ratio limits (readers.check_zip)."""
    config = current_app.config
    return {
        "max_unpacked": int(config.get("IMPORT_XLSX_MAX_UNPACKED_BYTES", MAX_UNPACKED_BYTES)),
        "max_ratio": int(config.get("IMPORT_XLSX_MAX_RATIO", MAX_COMPRESSION_RATIO)),
    }


def run_import(
    kind: str,
    stream: IO[bytes],
    file_name: str,
    *,
    mapping: IO[bytes] | None = None,
    mapping_name: str = "",
    actor_id: int | None = None,
    check_only: bool = False,
    lock_wait: float | None = None,
    on_rows: Callable[[int], None] | None = None,
    waiting: Callable[[], None] | None = None,
) -> ImportReport:
    """Check the whole file, then write it if nothing is wrong; the caller commits or rolls back.

    With `check_only` the file is checked in full but nothing is written. Otherwise the
    kind's lock is taken first (see lock.py), waiting up to `lock_wait` seconds (default
    IMPORT_LOCK_WAIT, calling `waiting` meanwhile) before ImportBusy is raised; it is held
    until the caller commits or rolls back. `on_rows(n)` is called every PROGRESS_EVERY rows
    read, before anything is written.
    `stream` must be seekable (a file, or an upload spooled by the web server). The cyclic
    garbage collector is paused while hundreds of thousands of short-lived rows pass through:
    its repeated full scans otherwise cost more than the import (reference counting still
    frees every row as soon as it is done with).
    """
    if not check_only:
        wait = current_app.config.get("IMPORT_LOCK_WAIT", 30) if lock_wait is None else lock_wait
        lock.hold(db.session, kind, float(wait), waiting)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(KINDS[kind], stream, file_name, mapping, mapping_name, actor_id,
                    check_only, on_rows)
    finally:
        if collecting:
            gc.enable()


def _run(spec: Kind, stream: IO[bytes], file_name: str, mapping: IO[bytes] | None,
         mapping_name: str, actor_id: int | None, check_only: bool,
         on_rows: Callable[[int], None] | None = None) -> ImportReport:
    """The import itself; the cyclic garbage collector is paused meanwhile (see run_import)."""
    kind = spec.name
    report = ImportReport(kind, PurePath(file_name.replace("\\", "/")).name[:200], actor_id)
    try:
        renames = load_mapping(mapping, mapping_name) if mapping is not None else None
        with open_table(stream, file_name, max_bytes=max_bytes(), max_rows=max_rows(),
                        **xlsx_limits()) as table:
            refuse_identifying_columns(table.header)
            if on_rows is not None:
                table.rows = _counted(table.rows, on_rows)
            others = {f.name for k in KINDS.values() if k is not spec for f in k.fields}
            columns = resolve_columns(table.header, spec.fields, renames, other_fields=others,
                                      extra_allowed=spec.extra_columns)
            table.rows = checked_rows(table.rows, {
                table.header[at]: at for name, at in columns.index.items() if name in FREE_TEXT
            }, report)
            prepared = spec.validate(table, columns, report)
            if report.rows == 0:
                raise ImportFileError("the file has column names but no rows below them")
    except ImportFileError as exc:
        report.add_file_errors(exc)
    if not report.ok or check_only:
        return report
    spec.write(prepared, report)
    audit_log.record(f"import.{kind}", "import", kind, changes=report.log_changes(),
                     user_id=actor_id)
    return report


def _counted(rows: Iterator[Any], on_rows: Callable[[int], None]) -> Iterator[Any]:
    """The rows unchanged, calling `on_rows` with how many have passed every PROGRESS_EVERY."""
    for count, row in enumerate(rows, 1):
        yield row
        if count % PROGRESS_EVERY == 0:
            on_rows(count)
