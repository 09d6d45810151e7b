"""`ehcp-qa demo`: a working partnership on the embedded defaults, in one command."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from sqlalchemy import func, select

from qa_app.extensions import db


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
    from qa_app.jobs import enqueue_record
    from workers.tasks import nightly_sweep

    run = enqueue_record("nightly_sweep", {})
    db.session.commit()
    nightly_sweep.delay(None, run.id)
    click.echo("Jobs: nightly sweep run")


commands = [demo]
