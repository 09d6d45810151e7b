"""Practice standards: rubric and targets files loaded into typed objects, and pure grading."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The practice standards pages and `ehcp-qa rubrics`."""
    from qa_app.navigation import add_item
    from qa_app.standards import commands, upload_views, views
    from qa_app.standards.titles import rubric_title

    assert upload_views.bp is views.bp  # the upload pages are routes of the same blueprint
    app.register_blueprint(views.bp)
    app.add_template_global(rubric_title, "rubric_title")
    app.cli.add_command(commands.rubrics_group)
    add_item(app, "Practice standards", "standards.index", 610, ("standards.",),
             group="Administration",
             description="The standards plans and advice are graded against, and the targets.")
