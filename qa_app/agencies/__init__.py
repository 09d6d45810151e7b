"""Agencies run from the browser by an administrator: add, rename, change type, deactivate."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The agency administration pages; `ehcp-qa agencies` stays with the register."""
    from qa_app.agencies import views
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Agencies", "agencies.index", 600, ("agencies.",), group="Administration",
             description="The partnership's agencies and their leads.")
