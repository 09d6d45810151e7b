"""Auditor calibration: a plan or advice every auditor grades blind, a reference grade the
panel agrees, and how each auditor's grades compare (leniency, drift across rounds), beside
the agreement of double-scored live audits by criterion. Calibration grades are kept in their
own tables and never count in any rate."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The calibration pages."""
    from qa_app.calibration import models, views  # noqa: F401  (models: complete metadata)
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Calibration", "calibration.index", 120, ("calibration.",), group="Audits",
             description="Grade the same work blind to check auditors read the standards alike.")
