"""The home page (the list of users is in qa_app/people/)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from qa_app.main import views
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Home", "main.home", 10)
