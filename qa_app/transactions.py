"""The one commit point: a request or a task commits once, at its end, and work that must
follow a commit (email, starting a recalculation) waits for it with `after_commit`.

Views and operations add and flush; they never commit. A request whose response is an
error (4xx or 5xx) keeps nothing it wrote unless it says so with `keep_writes()` (a counted
failed sign-in); an exception rolls everything back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from qa_app.extensions import db

PENDING = "after_commit_pending"
READY = "after_commit_ready"
log = logging.getLogger(__name__)


def after_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` once the current transaction has committed; never if it rolls back."""
    db.session().info.setdefault(PENDING, []).append(callback)


def keep_writes() -> None:
    """Keep this request's writes even though it answers with an error status."""
    g.keep_writes = True


def commit_point() -> None:
    """Commit the session now, then run what was waiting for the commit."""
    db.session.commit()
    run_ready()


def finish_request(status: int) -> None:
    """The end of a view: commit a success (or a kept error), roll back anything else."""
    if status < 400 or g.pop("keep_writes", False):
        commit_point()
    else:
        db.session.rollback()


def run_ready() -> None:
    """Run the callbacks whose transaction has committed, each once, in order."""
    session = db.session()
    while session.info.get(READY):
        callback = session.info[READY].pop(0)
        try:
            callback()
        except Exception:  # the commit stands; a follow-up must not undo it
            session.rollback()
            log.exception("work queued after a commit failed")


def _committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        session.info.setdefault(READY, []).extend(pending)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def init_app(app: Flask) -> None:
    """Queue follow-ups on commit, drop them on rollback, and run any still waiting when the
    app context ends (a commit made before a later failure still gets its follow-ups)."""
    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_transaction_end", _ended)

    @app.teardown_appcontext
    def _run_left_over(_exc: BaseException | None) -> None:
        if db.session().info.get(READY):
            db.session.rollback()
            run_ready()
