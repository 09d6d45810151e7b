"""`ehcp-qa jobs list` and `ehcp-qa jobs retry`: the Background jobs page on the command line."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from qa_app.auth.models import User
from qa_app.console import FeatureGroup, print_table
from qa_app.extensions import db
from qa_app.inputs import MAX_ID
from qa_app.jobs import display
from qa_app.jobs.launcher import JobNotStarted
from qa_app.jobs.models import STATUSES, JobRun
from qa_app.jobs.recovery import CannotRunAgain, run_again, stalled_query


@click.group("jobs", cls=FeatureGroup)
def jobs_group() -> None:
    """List background jobs and run a failed or stalled one again."""


@jobs_group.command("list")
@click.option("--status", type=click.Choice([*STATUSES, "stalled"]), default=None,
              help="only jobs with this status (stalled: queued or running with no sign of "
                   "life for JOB_STALL_SECONDS)")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True,
              help="how many of the newest jobs to show")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def list_jobs(status: str | None, limit: int, fmt: str) -> None:
    """List the newest jobs: kind, status, progress, attempts and any error."""
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if status == "stalled":
        query = query.where(JobRun.id.in_(stalled_query().with_only_columns(JobRun.id)
                                          .order_by(None)))
    elif status:
        query = query.where(JobRun.status == status)
    runs = db.session.execute(query).scalars().all()
    ids = {r.started_by_id for r in runs if r.started_by_id is not None}
    users = ({u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids)))
              .scalars()} if ids else {})
    if fmt == "json":
        click.echo(json.dumps([display.as_json(r, users) for r in runs], indent=2))
        return
    if not runs:
        click.echo("No jobs match." if status else "No background job has run yet.")
        return
    rows = [display.row(r, users) for r in runs]
    print_table(
        ["id", "kind", "status", "progress", "attempts", "started by", "queued", "ended",
         "message"],
        [[r.id, r.kind, r.status_words, f"{r.progress}%", r.attempts, r.started_by, r.created,
          r.finished or "-", r.message] for r in rows],
    )


@jobs_group.command("retry")
@click.argument("job_id", type=click.IntRange(1, MAX_ID))
def retry(job_id: int) -> None:
    """Run a failed, partly done or stalled job again, as a new job with the same parameters."""
    run = db.session.get(JobRun, job_id)
    if run is None:
        raise click.ClickException(f"there is no job {job_id}")
    try:
        launched = run_again(run, origin="command")
    except CannotRunAgain as exc:
        raise click.ClickException(str(exc)) from None
    except JobNotStarted as exc:
        raise click.ClickException(f"job {job_id} could not be run again: {exc}") from None
    new = launched.run
    if launched.queued:
        click.echo(f"Job {job_id} queued again as job {new.id} on the worker.")
    elif new.status == "done":
        click.echo(f"Job {job_id} ran again as job {new.id}: done. {new.message or ''}".rstrip())
    else:
        raise click.ClickException(
            f"job {job_id} ran again as job {new.id}, which ended "
            f"{display.status_words(new).lower()}: {new.message or 'no reason given'}")

