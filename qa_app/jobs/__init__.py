"""Background jobs as people see them: one row per job, started through `launch`, ended
through `finish` or `fail`, kept alive by heartbeats and recovered by a scheduled check.

The task bodies live with their features (`workers/tasks.py` today); this package is the
one way to start, follow, end and run again a job, and holds the jobs page and command.
"""

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
    "kind_words", "launch", "note", "params_in_words", "progress", "send", "start",
]
