"""The quality improvement dashboard and its exports: read-only views over rate snapshots."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from qa_app.dashboard import views
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Dashboard", "dashboard.index", 200, ("dashboard.",), group="Results",
             description="Rates by agency, cycle and standard, with charts and downloads.")
