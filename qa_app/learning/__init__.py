"""Learning from audits: each cycle's learning brief for the board and the workforce, and a
plan's case timeline for an inspection deep dive."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The learning brief and case timeline pages."""
    from qa_app.learning import timeline  # noqa: F401  (sources are added by other features)
