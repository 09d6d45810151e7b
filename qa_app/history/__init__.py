"""The audit log as a page: who changed what and when (the log itself is qa_app/audit_log.py)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from qa_app.history import views
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Audit log", "history.index", 640, ("history.",), group="Administration",
             description="Every change to grades, panels, assignments and standards.")
