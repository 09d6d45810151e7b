"""How a job reads on the page and in `ehcp-qa jobs list`: the same words in both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_app.auth.models import User
from qa_app.jobs.kinds import kind_words, params_in_words
from qa_app.jobs.models import JobRun
from qa_app.jobs.recovery import can_run_again, is_stalled
from qa_app.timeutil import format_datetime

STATUS_WORDS = {
    "queued": "Waiting to start",
    "running": "Running",
    "done": "Done",
    "partial": "Partly done",
    "failed": "Failed",
    "stalled": "Stalled",
}
STATUS_TAGS = {
    "queued": "govuk-tag--grey",
    "running": "govuk-tag--blue",
    "done": "govuk-tag--green",
    "partial": "govuk-tag--yellow",
    "failed": "govuk-tag--red",
    "stalled": "govuk-tag--orange",
}
ORIGIN_WORDS = {
    "web": "A web page",
    "command": "Command line",
    "schedule": "Schedule",
    "demo": "Demo set-up",
    "automatic": "Automatically, after a change",
}


def shown_status(run: JobRun) -> str:
    return "stalled" if is_stalled(run) else run.status


def status_words(run: JobRun) -> str:
    return STATUS_WORDS[shown_status(run)]


def started_by(run: JobRun, users: dict[int, User]) -> str:
    user = users.get(run.started_by_id) if run.started_by_id is not None else None
    if user is not None:
        return f"{user.display_name} ({user.email})"
    return ORIGIN_WORDS.get(run.origin, run.origin.capitalize())


@dataclass(frozen=True)
class JobRow:
    id: int
    kind: str
    what: str
    params: str
    started_by: str
    status: str
    status_words: str
    tag: str
    progress: int
    attempts: int
    created: str
    started: str
    finished: str
    message: str
    error: str
    can_run_again: bool


def figures_message(periods: list[dict[str, Any]]) -> str:
    """What a recalculation did, in words: which cycles and years changed, not a count of codes."""
    if not periods:
        return "There were no figures to check"
    updated = [p["label"] for p in periods if p["status"] == "new"]
    kept = len(periods) - len(updated)
    if not updated:
        return f"Checked the figures for {_list(p['label'] for p in periods)}: nothing had changed"
    others = f"; {kept} other{'s' if kept != 1 else ''} had not changed" if kept else ""
    return f"Updated the figures for {_list(updated)}{others}"


def _list(labels: Any) -> str:
    names = list(labels)
    if len(names) > 4:
        return f"{len(names)} cycles and years"
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _when(at: Any) -> str:
    return format_datetime(at) if at is not None else ""


def row(run: JobRun, users: dict[int, User]) -> JobRow:
    shown = shown_status(run)
    return JobRow(
        id=run.id, kind=run.job, what=kind_words(run.job), params=params_in_words(run.job,
                                                                                  run.params),
        started_by=started_by(run, users), status=shown, status_words=STATUS_WORDS[shown],
        tag=STATUS_TAGS[shown], progress=run.progress, attempts=run.attempts,
        created=_when(run.created_at), started=_when(run.started_at),
        finished=_when(run.finished_at), message=run.message or "", error=run.error or "",
        can_run_again=can_run_again(run),
    )


def as_json(run: JobRun, users: dict[int, User]) -> dict[str, Any]:
    """One job for `ehcp-qa jobs list --format json`: times as ISO 8601 UTC."""

    def iso(at: Any) -> str | None:
        return at.isoformat() + "Z" if at is not None else None

    return {
        "id": run.id, "kind": run.job, "description": kind_words(run.job),
        "params": run.params or {}, "params_text": params_in_words(run.job, run.params),
        "status": run.status, "stalled": is_stalled(run), "progress": run.progress,
        "attempts": run.attempts, "message": run.message, "error": run.error,
        "started_by": started_by(run, users), "created_at": iso(run.created_at),
        "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
        "heartbeat_at": iso(run.heartbeat_at),
    }
