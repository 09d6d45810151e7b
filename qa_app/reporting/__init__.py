"""Reporting: the measures (the aggregation SQL), rate snapshots, their recalculation when
inputs change, and the rates pages."""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask


def init_app(app: Flask) -> None:
    """The rates pages, `ehcp-qa aggregate|rates`, recalculation on change, and the nightly
    and frequent recalculations."""
    from qa_app.jobs.schedule import add_beat, check_seconds
    from qa_app.navigation import add_item
    from qa_app.reporting import commands, recalculation, run_lock, views

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.aggregate)
    app.cli.add_command(commands.rates)
    add_item(app, "Rates", "rates.index", 210, ("rates.",), group="Results",
             description="Each agency's good or better and on-time rates against the targets.")
    add_beat(app, "nightly-aggregate", "workers.tasks.aggregate", crontab(hour=2, minute=30))
    add_beat(app, "recalculate-pending", "workers.tasks.recalculate_pending",
             check_seconds(app))
    recalculation.init_app(app)
    run_lock.init_app()
