"""The read-only JSON API under /api/v1/ for Power BI, Excel and other tools."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The API and the page where people manage their API tokens."""
    from qa_app.api import token_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(token_views.bp)
