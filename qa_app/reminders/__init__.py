"""Email reminders: what is due for each person and by when, each sent once, and the page
where each person turns off the reminders their role does not require."""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask


def init_app(app: Flask) -> None:
    """The reminders page, `ehcp-qa reminders send`, and the daily run at 07:00."""
    from qa_app.jobs.schedule import add_beat
    from qa_app.reminders import commands, models, views  # noqa: F401  (models: metadata)
    from qa_app.reminders.tasks import TASK

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.reminders_group)
    add_beat(app, "send-reminders", TASK, crontab(hour=7, minute=0))
