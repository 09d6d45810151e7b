"""`ehcp-qa demo`: a working partnership on the embedded defaults, in one command."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click
from flask import Flask
from sqlalchemy import func, select

from qa_app.extensions import db

if TYPE_CHECKING:
    from qa_app.jobs import Launched


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="set everything up, print the logins, then stop")
@click.option("--port", default=5000, show_default=True, type=int)
def demo(no_serve: bool, port: int) -> None:
    """Create the database, load rubrics, seed a synthetic partnership, run jobs, serve."""
    from qa_app import create_app

    app = create_app("demo")
    with app.app_context():
        _upgrade(app)
        versions = _load_rubrics()
        users = _seed(versions)
        _run_jobs()
        _issue_first_cycle_letters()
        db.session.commit()
        click.echo("")
        click.echo(f"Demo users (every page is at http://127.0.0.1:{port}/):")
        from qa_app.cli import _print_table

        _print_table(["role", "agency", "email", "password"],
                     [[u.role, u.agency_name or "-", u.email, u.password] for u in users])
    if no_serve:
        return
    from qa_app.cli import serve

    serve(app, "127.0.0.1", port)


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


def _seed(versions: dict) -> list:
    from qa_app.demo.seed import DEMO_USERS, seed_partnership
    from qa_app.register.models import Agency

    if db.session.scalar(select(func.count()).select_from(Agency)):
        click.echo("Partnership already seeded: nothing added.")
        return DEMO_USERS
    summary = seed_partnership(date.today(), versions)
    db.session.commit()
    click.echo(f"Seeded: {summary}")
    return DEMO_USERS


def _run_jobs() -> None:
    """The nightly sweep, the rates of every period, then draft letters for closed cycles."""
    from qa_app.audits.models import Cycle
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


def _issue_first_cycle_letters() -> None:
    """Issue the first closed cycle's letters and answer two, so every portal page has data.

    Runs once: a database that already has an issued letter is left as it is.
    """
    from datetime import timedelta

    from qa_app.audits.models import Cycle, Panel
    from qa_app.auth.models import Role, User
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import issue_letter, submit_response

    if db.session.scalar(select(func.count()).select_from(Letter)
                         .where(Letter.status == "issued")):
        return
    cycle = db.session.execute(select(Cycle).where(Cycle.status == "closed")
                               .order_by(Cycle.start_date).limit(1)).scalar_one_or_none()
    chair_id = cycle and db.session.scalar(select(Panel.chair_id)
                                           .where(Panel.cycle_id == cycle.id).limit(1))
    if cycle is None or chair_id is None:
        return
    letters = db.session.execute(select(Letter).where(Letter.cycle_id == cycle.id)
                                 .order_by(Letter.agency_id)).scalars().all()
    issued_on = cycle.end_date + timedelta(days=14)
    for letter in letters:
        issue_letter(letter.id, actor_id=chair_id, today=issued_on)
    leads = {u.agency_id: u for u in db.session.execute(
        select(User).where(User.role == Role.AGENCY_LEAD)).scalars()}
    for letter in letters[:2]:
        lead = leads.get(letter.agency_id)
        if lead is not None:
            submit_response(
                letter.id, actor_id=lead.id, owner="Head of service",
                changes="We will add a child's-voice section to our advice template, train "
                        "staff on writing specific, measurable outcomes, and audit ten pieces "
                        "of advice a month against the partnership standard.",
                complete_by=issued_on + timedelta(days=90))
    click.echo(f"Letters: {len(letters)} issued for {cycle.name}")


commands = [demo]
