"""Learning from audits: each cycle's learning brief for the board and the workforce, and a
plan's case timeline for an inspection deep dive."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The learning brief and case timeline pages; the timeline's own events are a source
    like any other feature's (see timeline.add_source)."""
    from qa_app.learning import models, views  # noqa: F401  (models: complete metadata)
    from qa_app.learning.case_events import case_events
    from qa_app.learning.timeline import add_source
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Learning briefs", "learning.index", 410,
             ("learning.index", "learning.show", "learning.publish"), group="Learning",
             description="What each audit cycle found, for the board and the workforce.")
    add_source(app, case_events)
