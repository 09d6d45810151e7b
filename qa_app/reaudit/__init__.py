"""Targeted re-audit: below-standard work is marked, amended by its agency, and audited again
beside the next cycle's random sample, so the random rates stay unbiased."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The re-audit pages, the plan page's before-and-after section and the timeline events."""
    from qa_app.navigation import add_item
    from qa_app.reaudit import automatic, models, queries, views  # noqa: F401  (models: table)

    app.register_blueprint(views.bp)
    add_item(app, "Re-audits", "reaudit.index", 150, ("reaudit.",), group="Audits",
             description="Work below good that was amended and is audited again.")
    app.add_template_global(queries.plan_stories, "reaudit_plan_stories")
    automatic.init_app(app)
    try:
        from qa_app.learning.timeline import add_source
    except ImportError:  # the case timeline is another feature; re-audits work without it
        return
    from qa_app.reaudit.timeline import events

    add_source(app, events)
