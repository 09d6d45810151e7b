"""`ehcp-qa demo`: a working partnership on the embedded defaults, in one command.

It builds its own app (the demo settings), so it is a command of the `ehcp-qa` group itself
rather than of a feature: it must work before any database or settings exist. It commits once
at the end; the first job it starts commits the seeded partnership before the job runs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click
from flask import Flask
from sqlalchemy import func, select

from qa_app import transactions
from qa_app.console import print_table, serve
from qa_app.extensions import db

if TYPE_CHECKING:
    from qa_app.jobs import Launched


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="set everything up, print the logins, then stop")
@click.option("--port", default=5000, show_default=True, type=int)
def demo(no_serve: bool, port: int) -> None:
    """Create the database, load rubrics, seed a synthetic partnership, run jobs, serve."""
    from qa_app import create_app
    from qa_app.serving import use_served_address

    app = create_app("demo")
    use_served_address(app, "127.0.0.1", port)
    with app.app_context():
        _upgrade(app)
        users = populate(_load_rubrics(), date.today())
        transactions.commit_point()
        click.echo("")
        click.echo(f"Demo users (every page is at http://127.0.0.1:{port}/):")
        print_table(["role", "agency", "email", "password"],
                     [[u.role, u.agency_name or "-", u.email, u.password] for u in users])
    if no_serve:
        return
    serve(app, "127.0.0.1", port)


def populate(versions: dict, today: date) -> list:
    """Everything the demo adds to a database with its rubrics loaded, each part once (the
    tests call this too); the caller commits. Returns the demo's users."""
    from qa_app.demo.features import bring_features_to_life
    from qa_app.demo.letters import issue_demo_letters
    from qa_app.improvement.demo import bring_demo_actions_to_life
    from qa_app.surveys.demo import bring_surveys_to_life

    users = _seed(versions, today)
    _run_jobs()
    if issued := issue_demo_letters(today):
        click.echo(f"Letters: {issued} issued, dated from {today.isoformat()}")
    if owned := bring_demo_actions_to_life(today):
        click.echo(f"Improvement actions: {owned} given an owner and a due date")
    click.echo(bring_surveys_to_life(today))
    for line in bring_features_to_life(today):
        click.echo(line)
    return users


def _upgrade(app: Flask) -> None:
    from flask_migrate import upgrade

    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    upgrade()


def _load_rubrics() -> dict:
    try:
        from qa_app.standards.operations import load_rubric_directory
    except ImportError:
        return {}
    result = load_rubric_directory()
    click.echo(f"Rubrics: {len(result.loaded)} loaded, {len(result.unchanged)} unchanged")
    return result.current


def _seed(versions: dict, today: date) -> list:
    from qa_app.demo.seed import DEMO_USERS, seed_partnership
    from qa_app.register.models import Agency

    if db.session.scalar(select(func.count()).select_from(Agency)):
        click.echo("Partnership already seeded: nothing added.")
        return DEMO_USERS
    summary = seed_partnership(today, versions)
    click.echo(f"Seeded: {summary}")
    return DEMO_USERS


def _run_jobs() -> None:
    """The nightly sweep, the rates of every period, then draft letters for closed cycles."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.jobs import launch

    sweep = launch("nightly_sweep", {"today": None}, origin="demo")
    rates = launch("aggregate", {"period_kind": None, "period_key": None}, origin="demo")
    click.echo(f"Jobs: nightly sweep {_outcome(sweep)}; rates of every period {_outcome(rates)}")
    closed = db.session.execute(select(Cycle.id).where(Cycle.status == "closed")).scalars().all()
    letters = [launch("generate_cycle_letters", {"cycle_id": cycle_id, "partial": False},
                      origin="demo") for cycle_id in closed]
    outcomes = sorted({_outcome(job) for job in letters})
    click.echo(f"Jobs: draft letters for {len(closed)} closed cycles "
               f"{', '.join(outcomes) or 'not needed'}")


def _outcome(launched: Launched) -> str:
    """What happened to a job: queued on a worker, or run here and how it ended."""
    if launched.queued:
        return f"queued (job {launched.run.id})"
    run = launched.run
    if run.status == "done":
        return "done"
    return f"{run.status} (job {run.id}: {run.message or 'no reason given'})"

