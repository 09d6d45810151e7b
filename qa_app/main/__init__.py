"""The home page and the list of users."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from qa_app.main import views
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Home", "main.home", 10)
    add_item(app, "Users", "main.users", 150)
