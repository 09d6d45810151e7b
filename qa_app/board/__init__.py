"""The partnership board's exceptions report: the headline against the targets, only what is
below target or worse, each accountable agency's commentary, and the improvement actions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The board report pages."""
    from qa_app.board import models, views  # noqa: F401  (models: complete metadata)
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Board reports", "board.index", 230, ("board.",), group="Results",
             description="Exceptions to report to the SEND board, with agencies' commentary.")
