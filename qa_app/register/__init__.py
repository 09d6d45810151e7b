"""The register: plans, advice and agencies; their imports; the nightly count of overdue
advice."""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask


def init_app(app: Flask) -> None:
    """The register and import pages, `ehcp-qa agencies|import|sweep`, and the nightly sweep."""
    from qa_app.jobs.schedule import add_beat
    from qa_app.navigation import add_item
    from qa_app.register import commands, import_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(import_views.bp)
    for command in (commands.agencies_group, commands.import_group, commands.sweep):
        app.cli.add_command(command)
    add_item(app, "Register", "register.plans", 500, ("register.plan", "register.advice"),
             group="Register", description="Find EHC plans and advice by reference.")
    add_item(app, "Imports", "imports.index", 510, ("imports.",), group="Register",
             description="Load plans, advice and historic audits from files.")
    add_beat(app, "nightly-sweep", "workers.tasks.nightly_sweep", crontab(hour=2, minute=0))
