"""The good-practice library: short excerpts auditors mark while scoring, approved by the
panel's chair once checked to identify nobody, browsed by every partner, cited in letters
and printed as a booklet per criterion. An example is of one practice standard's criterion:
the same criterion id in two standards is two criteria.

    models.py      the example and who may see it
    operations.py  marking, approving (perhaps reworded) and rejecting, each logged
    queries.py     reads, and `approved_examples` for letters and learning briefs
    pdf.py         the booklet for one standard's criterion
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The library pages, its navigation item and its events on a plan's case timeline."""
    from qa_app.library import models, timeline, views  # noqa: F401  (models: metadata)
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Good practice", "library.index", 400, ("library.",), group="Learning",
             description="Good examples of plans and advice that panels chose to share.")
    timeline.init_app(app)
