"""Improvement actions to act on: owners, due dates, notes, closing with a check, and the
partnership items that group one measure missed by most agencies."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The improvement actions pages."""
    from qa_app.improvement import models, views  # noqa: F401  (models: the notes table)
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Improvement actions", "improvement.index", 220, ("improvement.",),
             group="Results",
             description="What each agency will change, who owns it and when it is due.")
