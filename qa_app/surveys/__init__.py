"""Surveys: families' feedback on their plan through single-use links, and staff confidence
in writing advice through a link per agency each term; measured beside the audits."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The survey pages (the manager's, and the public answer pages) and `ehcp-qa surveys`."""
    from qa_app.navigation import add_item
    from qa_app.surveys import answer_views, commands, models, redaction, views  # noqa: F401

    redaction.install()
    app.register_blueprint(views.bp)
    app.register_blueprint(answer_views.bp)
    app.cli.add_command(commands.surveys_group)
    add_item(app, "Surveys", "surveys.index", 240, ("surveys.",), group="Results",
             description="What families and practitioners say about plans and advice.")
