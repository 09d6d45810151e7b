"""Sign-in, users and roles, the second factor, and the one agency-scoping mechanism."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The sign-in, second-factor and account pages, and `ehcp-qa users`."""
    from qa_app.auth import account_views, commands, link_views, second_factor_views, views

    for blueprint in (views.bp, second_factor_views.bp, account_views.bp, link_views.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(commands.users_group)
