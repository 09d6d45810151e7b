"""Formal feedback letters: facts, the typed document, the one PDF layout, their pages and
the agencies' responses."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The letters pages and `ehcp-qa letters`."""
    from qa_app.letters import commands, issue_views, response_views, views  # noqa: F401
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.letters_group)
    add_item(app, "Letters", "letters.index", 300, ("letters.",),
             description="Feedback letters to each agency after a cycle, and their responses.")
