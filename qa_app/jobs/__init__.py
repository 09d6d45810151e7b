"""Background jobs as people see them: one row per job, started through `launch`, ended
through `finish` or `fail`, kept alive by heartbeats and recovered by a scheduled check.

The task bodies live with their features (`<feature>/tasks.py`); this package is the one way
to start, follow, end and run again a job, holds the jobs page and command, and keeps the
schedule (`schedule.add_beat`).
"""

from flask import Flask

from qa_app.jobs.kinds import KINDS, UnknownJob, kind_of, kind_words, params_in_words
from qa_app.jobs.launcher import JobNotStarted, Launched, launch, send
from qa_app.jobs.lifecycle import (
    enqueue_record,
    fail,
    fail_now,
    finish,
    heartbeat,
    note,
    progress,
    start,
)
from qa_app.jobs.models import ENDED, STATUSES, JobRun

__all__ = [
    "ENDED", "KINDS", "STATUSES", "JobNotStarted", "JobRun", "Launched", "UnknownJob",
    "enqueue_record", "fail", "fail_now", "finish", "heartbeat", "kind_of",
    "init_app", "kind_words", "launch", "note", "params_in_words", "progress", "send", "start",
]


def init_app(app: Flask) -> None:
    """The Background jobs page, `ehcp-qa jobs`, and the check for stalled jobs."""
    from qa_app.jobs import commands, views
    from qa_app.jobs.schedule import add_beat, check_seconds
    from qa_app.jobs.tasks import CHECK_TASK
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.jobs_group)
    add_item(app, "Background jobs", "jobs.index", 650, ("jobs.",), group="Administration",
             description="Imports, rates and letters worked out in the background.")
    add_beat(app, "check-stalled-jobs", CHECK_TASK, check_seconds(app))
