"""One import of each kind at a time, held from before its first read until its commit.

Two imports of the same file at once would each find the rows missing and both insert them
(the loser then fails on the unique reference); two updating imports could wait on each
other's rows. So an import first takes its kind's lock: a transaction-scoped advisory lock
on PostgreSQL, and an exclusive lock on a file beside the database on SQLite (SQLite's own
write lock is taken only at the first write, after the reads that decide what to write).
Both are released when the session commits or rolls back. An import that cannot get the
lock within its wait is refused with `ImportBusy`, never a driver error.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

ADVISORY_CLASS = 0x45484350
"""The first key of the two-key advisory lock: 'EHCP'; the second is the kind's number."""
KIND_KEYS = {"plans": 1, "advice": 2, "audits": 3}
HELD = "import_lock_files"
POLL = 0.2


class ImportBusy(RuntimeError):
    """Another import of the same kind is running; nothing was read or written."""


def hold(session: Session, kind: str, wait: float,
         waiting: Callable[[], None] | None = None) -> None:
    """Take the `kind` lock for the session's transaction, waiting up to `wait` seconds
    (calling `waiting` now and then meanwhile); raise ImportBusy if it stays taken."""
    bind = session.get_bind()
    deadline = time.monotonic() + max(0.0, wait)
    if bind.dialect.name == "postgresql":
        take = select(func.pg_try_advisory_xact_lock(ADVISORY_CLASS, KIND_KEYS[kind]))
        _poll(lambda: bool(session.execute(take).scalar()), deadline, kind, waiting)
        return
    path = lock_path(bind.url.database, kind)
    held: dict[str, IO[str]] = session.info.setdefault(HELD, {})
    if path is None or kind in held:
        return
    handle = path.open("a")

    def take_file() -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        _poll(take_file, deadline, kind, waiting)
    except ImportBusy:
        handle.close()
        raise
    held[kind] = handle


def _poll(take: Callable[[], bool], deadline: float, kind: str,
          waiting: Callable[[], None] | None) -> None:
    while not take():
        if time.monotonic() >= deadline:
            raise ImportBusy(f"another {kind} import is running, so this file was not "
                             "imported. Nothing was changed: try again when it has finished.")
        if waiting is not None:
            waiting()
        time.sleep(POLL)


def lock_path(database: str | None, kind: str) -> Path | None:
    """The lock file beside an SQLite database (none for an in-memory one, which one
    process holds alone)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.import-{kind}-lock")


def _release(session: Session) -> None:
    for handle in session.info.pop(HELD, {}).values():
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _release_after_rollback(session: Session, transaction: Any) -> None:
    if not transaction.nested:
        _release(session)


def init_app() -> None:
    """Release the lock files when a session ends (registered once, when the app is built)."""
    if not event.contains(Session, "after_commit", _release):
        event.listen(Session, "after_commit", _release)
        event.listen(Session, "after_soft_rollback", _release_after_rollback)
