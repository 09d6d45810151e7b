"""Test data, made one way.

A builder is a plain function named for what it makes (`agency`, `user`, `plan`,
`final_grade`, `panel_world`, ...). It runs in the caller's app context, takes what it
hangs off by id and everything else as keyword overrides with defaults, adds its rows
through `db.session` and flushes, and returns the model it made (a scene of many rows
returns a small record of the ids and emails tests use). It never commits; the few scenes
that run the app's own jobs (aggregation, sampling, letters) commit as those jobs do.

Outside an app context, call any builder through `on(app)`: it runs the builder in an app
context of its own, commits, and returns the model detached with its columns loaded:

    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    manager = make.on(app).user("qi_manager", casework.name)

One module per area: people, register, audits, reporting, letters, hostile, aggregation
(the register and grades the figures are counted from), imports (export files and import
runs), reads (what tests read back) and web (signing a test client in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from qa_app.extensions import db
from tests.factories.audits import (
    AUDITORS,
    GOOD,
    World,
    agreed_grade,
    cycle,
    final_grade,
    judged_ids,
    panel,
    panel_audit,
    panel_world,
    rubric,
    sampled_cycle,
    shipped_rubrics,
)
from tests.factories.hostile import ROLES, SecurityWorld, security_world
from tests.factories.letters import (
    HOSTILE_NOTES,
    Partnership,
    aggregate,
    letter_partnership,
    regrade,
)
from tests.factories.people import PASSWORD, person, user
from tests.factories.reads import audits_of, log_entries
from tests.factories.register import advice, agency, plan
from tests.factories.reporting import (
    HEADLINE,
    cycle_rates,
    dashboard_world,
    many_agencies,
    snapshot,
    year_rates,
)
from tests.factories.web import csrf_token, sign_in, signed_in

__all__ = [
    "AUDITORS", "GOOD", "HEADLINE", "HOSTILE_NOTES", "PASSWORD", "ROLES", "Partnership",
    "SecurityWorld", "World", "advice", "agency", "aggregate", "agreed_grade", "audits_of",
    "csrf_token", "cycle", "cycle_rates", "dashboard_world", "final_grade", "judged_ids",
    "letter_partnership", "log_entries", "many_agencies", "on", "panel", "panel_audit",
    "panel_world", "person", "plan", "regrade", "rubric", "sampled_cycle", "security_world",
    "shipped_rubrics", "sign_in", "signed_in", "snapshot", "user", "year_rates",
]


class on:
    """Run this package's builders from outside an app context, one commit per call."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Callable[..., Any]:
        build = globals().get(name)
        if not callable(build):
            raise AttributeError(f"tests.factories has no builder called {name!r}")

        def call(*args: object, **overrides: object) -> Any:
            with self._app.app_context():
                made = build(*args, **overrides)
                db.session.commit()
                return _detached(made)

        return call


def _detached(made: Any) -> Any:
    """Models come back loaded and detached, so their columns outlive the app context."""
    if isinstance(made, db.Model):
        db.session.refresh(made)
        db.session.expunge(made)
    elif isinstance(made, list | tuple):
        for item in made:
            _detached(item)
    return made
