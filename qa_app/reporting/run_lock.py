"""The aggregation lock: one run at a time, from before its reads until its commit.

On PostgreSQL a transaction-scoped advisory lock. On SQLite (the embedded default, where the
web process and any worker share one file on one machine) an exclusive lock on a file
beside the database, released when the session commits or rolls back: unlike SQLite's own
write lock it lets a run report its progress while it reads. An in-memory SQLite database
falls back to that write lock.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO, Any

from sqlalchemy import event, false, func, select, update
from sqlalchemy.orm import Session

from qa_app.reporting.models import AggregationRun

ADVISORY_KEY = 0x4548435041474752
HELD = "aggregation_lock_file"


def hold(session: Session) -> None:
    """Wait for the lock; it is held until `session` commits or rolls back."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ADVISORY_KEY)))
        return
    path = lock_path(bind.url.database)
    if path is None:
        session.execute(
            update(AggregationRun).where(false()).values(period_key=AggregationRun.period_key)
            .execution_options(synchronize_session=False)
        )
        return
    if HELD in session.info:
        return
    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    session.info[HELD] = handle


def holds_database_write_lock(database: str | None, dialect: str) -> bool:
    """True when a running aggregation holds SQLite's only write lock (in-memory SQLite)."""
    return dialect == "sqlite" and lock_path(database) is None


def lock_path(database: str | None) -> Path | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.aggregation-lock")


def _release(session: Session) -> None:
    handle: IO[str] | None = session.info.pop(HELD, None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _release_after_rollback(session: Session, transaction: Any) -> None:
    if not transaction.nested:
        _release(session)


def init_app() -> None:
    """Release the lock file when a session ends (registered once, when the app is built:
    registering during a commit would change the listeners being called)."""
    if not event.contains(Session, "after_commit", _release):
        event.listen(Session, "after_commit", _release)
        event.listen(Session, "after_soft_rollback", _release_after_rollback)
