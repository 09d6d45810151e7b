"""Users administration in the browser: list, invite, change role or agency, deactivate and
reactivate people, with each change checked first and kept in the audit log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The Users pages (at /users, where the read-only list used to be) and their nav item."""
    from qa_app.navigation import add_item
    from qa_app.people import invite_views, views  # noqa: F401  (its pages join views.bp)

    app.register_blueprint(views.bp)
    add_item(app, "Users", "people.index", 620, ("people.",), group="Administration",
             description="Who can sign in and in which role; invite, change or deactivate.")
