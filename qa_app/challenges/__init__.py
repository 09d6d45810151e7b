"""Grade challenges: an agency lead challenges a final grade of their agency's work within a
set number of working days; the panel chair upholds it or changes the grade, and the figures
follow."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The challenge pages, the counts other pages show, and the plan timeline's events."""
    from qa_app.challenges import models, views  # noqa: F401  (models: complete metadata)
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Challenges", "challenges.index", 160, ("challenges.",), group="Audits",
             description="Ask the panel chair to look at a final grade again, and the decisions.")
    views.add_template_globals(app)
    _add_timeline(app)


def _add_timeline(app: Flask) -> None:
    """Challenges to the grades of a plan and its advice, on the plan's case timeline."""
    from qa_app.challenges.timeline import events_for_plan
    from qa_app.learning.timeline import add_source

    add_source(app, events_for_plan)
