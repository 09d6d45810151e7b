"""Large imports as background jobs: the upload is kept in the instance folder for the worker.

A file with more than IMPORT_JOB_ROWS rows would hold a web request (and a worker thread)
for too long, so the page keeps the file under `instance/imports/` with a random name, starts
an `import_file` job whose parameters carry only that name, and shows the job's progress.
The job checks and writes the file exactly as an import in the request does (all or
nothing, the same lock), keeps its row errors for the page, and deletes the file once it
has ended (its outcome committed once, when the task returns); a database error it will
retry keeps the file for the retry.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePath
from typing import IO, Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from qa_app import jobs, transactions
from qa_app.extensions import db
from qa_app.jobs.models import ENDED, JobRun
from qa_app.register.importing import (
    ImportBusy,
    ImportReport,
    RowError,
    max_bytes,
    max_rows,
    run_import,
    xlsx_limits,
)
from qa_app.register.importing.readers import open_table
from qa_app.register.importing.report import ImportFileError
from qa_app.timeutil import utcnow

log = logging.getLogger(__name__)

KIND = "import_file"
SHOWN_ERRORS = 1_000
"""Row errors kept on the job for its page (the page in the request shows as many)."""
JOB_LOCK_WAIT = 45
"""Seconds a job waits for another import of its kind (the request waits IMPORT_LOCK_WAIT);
with the longest import (about a minute) it stays within the task's 120-second limit."""
STALE_SECONDS = 2 * 24 * 3600
"""A kept upload older than this belongs to a job that never ended: it is deleted."""
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(csv|xlsx)")


def job_rows() -> int:
    return int(current_app.config.get("IMPORT_JOB_ROWS", 5000))


def is_large(stream: IO[bytes], file_name: str) -> bool:
    """True when the file has more than IMPORT_JOB_ROWS rows (reading no further than that).
    A file that cannot be read is not large: the import in the request says what is wrong."""
    limit = job_rows()
    try:
        with open_table(stream, file_name, max_bytes=max_bytes(), max_rows=max_rows(),
                        **xlsx_limits()) as table:
            return next(islice(table.rows, limit, None), None) is not None
    except (ImportFileError, ValueError):
        return False
    finally:
        stream.seek(0)


def folder() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(stream: IO[bytes], original: str) -> str:
    """Keep an upload under a random name (readable by its owner only); return the name."""
    _discard_stale()
    name = secrets.token_hex(16) + (".xlsx" if original.lower().endswith(".xlsx") else ".csv")
    descriptor = os.open(folder() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        stream.seek(0)
        shutil.copyfileobj(stream, out)
    return name


def stored_path(name: str | None) -> Path | None:
    """The kept file of that name; None for anything that is not one of ours."""
    if not name or not _STORED_NAME.fullmatch(name):
        return None
    return folder() / name


def discard(*names: str | None) -> None:
    for name in names:
        path = stored_path(name)
        if path is not None:
            path.unlink(missing_ok=True)


def _discard_stale() -> None:
    cutoff = time.time() - STALE_SECONDS
    for path in folder().iterdir():
        if _STORED_NAME.fullmatch(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def start_job(kind: str, stream: IO[bytes], file_name: str, *, mapping: IO[bytes] | None = None,
              mapping_name: str = "", actor_id: int | None = None) -> jobs.Launched:
    """Keep the upload and start its import job (run here at once when there is no worker).
    Raises JobNotStarted (the kept files deleted) when the job broker will not take it."""
    stored = store(stream, file_name)
    stored_mapping = store(mapping, mapping_name) if mapping is not None else None
    params = {"kind": kind, "file": stored,
              "file_name": PurePath(file_name.replace("\\", "/")).name[:200],
              "mapping": stored_mapping, "mapping_name": mapping_name[:200],
              "actor_id": actor_id}
    try:
        return jobs.launch(KIND, params)
    except jobs.JobNotStarted:
        discard(stored, stored_mapping)
        raise


def run_stored(kind: str, file: str, file_name: str, mapping: str | None, mapping_name: str,
               actor_id: int | None, job_run_id: int | None, *, last_try: bool
               ) -> dict[str, Any]:
    """The job's body: import the kept file; delete it once the job has ended."""
    run = db.session.get(JobRun, job_run_id) if job_run_id else None
    if run is not None and run.status in ENDED:
        return run.result or {}  # a second delivery of a job that has ended
    params = {"kind": kind, "file": file, "file_name": file_name, "mapping": mapping,
              "mapping_name": mapping_name, "actor_id": actor_id}
    run = jobs.start(job_run_id, KIND, params)
    try:
        result = _import(run, params)
    except (OperationalError, InterfaceError):
        db.session.rollback()
        if last_try:
            discard(file, mapping)
        raise
    except SQLAlchemyError:
        log.exception("import job %s was refused by the database", run.id)
        result = _failed(run, "The database refused the import, so nothing was imported. "
                         "Upload the file again; if it is refused again, the data may need "
                         "checking.")
    except BaseException:
        discard(file, mapping)
        raise
    transactions.after_commit(lambda: discard(file, mapping))
    return result


def _import(run: JobRun, params: dict[str, Any]) -> dict[str, Any]:
    run_id, file_name = run.id, params["file_name"]
    path, renames = stored_path(params["file"]), stored_path(params["mapping"])
    if path is None or not path.exists() or (params["mapping"] and
                                             (renames is None or not renames.exists())):
        return _failed(run, "The uploaded file is no longer kept (it is deleted when its "
                       "import ends). Upload it again.")
    _step(run_id, 2, f"Checking {file_name}")
    with ExitStack() as files:
        stream = files.enter_context(path.open("rb"))
        mapping = files.enter_context(renames.open("rb")) if renames is not None else None
        size = max(1, path.stat().st_size)
        beats = _Throttle()

        def on_rows(count: int) -> None:
            _step(run_id, 2 + int(78 * min(1.0, stream.tell() / size)),
                  f"Checked {count:,} rows of {file_name}")

        try:
            report = run_import(params["kind"], stream, file_name, mapping=mapping,
                                mapping_name=params["mapping_name"],
                                actor_id=params["actor_id"], lock_wait=JOB_LOCK_WAIT,
                                on_rows=on_rows, waiting=lambda: beats(run_id))
        except ImportBusy as exc:
            return _failed(run, _sentence(str(exc)))
    result = summary(report)
    if not report.ok:
        db.session.rollback()
        return _failed(run, f"{report.file_name} has {report.problem_summary()}, so nothing "
                       "was imported.", result)
    run.message = f"Imported {report.file_name}: {report.summary()}"
    jobs.finish(run, result)
    return result


def _failed(run: JobRun, reason: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
    db.session.rollback()
    jobs.fail(run, reason, result)
    return result or {"error": reason}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _step(run_id: int, percent: int, message: str) -> None:
    """Progress committed at once on its own connection (nothing is written before then)."""
    try:
        with db.engine.begin() as conn:
            conn.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
                         .values(progress=max(0, min(99, percent)), message=message,
                                 heartbeat_at=utcnow()))
    except SQLAlchemyError:
        log.warning("could not record the progress of import job %s", run_id)


class _Throttle:
    """A heartbeat at most every 10 seconds while the job waits for the lock."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, run_id: int) -> None:
        if time.monotonic() - self.last >= 10:
            self.last = time.monotonic()
            jobs.heartbeat(run_id)


def summary(report: ImportReport) -> dict[str, Any]:
    """What the job keeps for its page: the counts, or the first SHOWN_ERRORS problems."""
    errors = report.sorted_errors()[:SHOWN_ERRORS]
    return {"kind": report.kind, "file_name": report.file_name, "rows": report.rows,
            "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "error_count": report.error_count,
            "problem_summary": report.problem_summary() if not report.ok else "",
            "errors": [[e.row, e.column, e.reason] for e in errors]}


@dataclass
class KeptReport:
    """An import's outcome read back from its job, shaped like ImportReport for the pages."""

    kind: str
    file_name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    problems: str = ""
    errors: list[RowError] = field(default_factory=list)

    @classmethod
    def of(cls, result: dict[str, Any] | None) -> KeptReport | None:
        if not result or "kind" not in result:
            return None
        return cls(result["kind"], result["file_name"], result["rows"], result["created"],
                   result["updated"], result["unchanged"], result["error_count"],
                   result["problem_summary"],
                   [RowError(row, column, reason) for row, column, reason in result["errors"]])

    @property
    def ok(self) -> bool:
        return not self.error_count

    def problem_summary(self) -> str:
        return self.problems

    def sorted_errors(self) -> list[RowError]:
        return self.errors
