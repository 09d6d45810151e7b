"""Section hub pages: one page per navigation group, listing what the role can open in it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from qa_app.sections import views

    app.register_blueprint(views.bp)
