"""The `ehcp-qa` command line: parse arguments, call operations, print."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from flask_migrate.cli import db as migrate_cli
from sqlalchemy import select
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from qa_app.config import ConfigError
from qa_app.extensions import db


def _create_app(*_args: Any) -> Flask:
    from qa_app import create_app

    return create_app()


cli = FlaskGroup(
    name="ehcp-qa",
    create_app=_create_app,
    add_default_commands=False,
    help="EHCP multi-agency audit and quality assurance.",
)
cli.add_command(shell_command)
cli.add_command(routes_command)
cli.add_command(migrate_cli, "db")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the site (development server; use a WSGI server such as gunicorn in production)."""
    from qa_app import require_secret_key

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    require_secret_key(app)
    _check_database()
    serve(app, host, port)


def serve(app: Flask, host: str, port: int) -> None:
    """Werkzeug's server directly: Flask ignores app.run() inside its own CLI."""
    from werkzeug.serving import run_simple

    from qa_app.serving import NeutralRequestHandler

    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False,
               request_handler=NeutralRequestHandler)


def _check_database() -> None:
    """Fail with one line when the database cannot be reached or is not created yet."""
    from sqlalchemy import inspect

    try:
        with db.engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    except OperationalError as exc:
        raise click.ClickException(f"Cannot reach the database: {_first_line(exc)}") from None
    if "users" not in tables:
        raise click.ClickException(
            "The database has no tables yet: run `ehcp-qa db upgrade` (or `ehcp-qa demo`)."
        )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- agencies -----------------------------------------------------------------------------


@cli.group("agencies")
def agencies_group() -> None:
    """Organisations that write plans or advice."""


@agencies_group.command("add")
@click.argument("name")
@click.option("--type", "agency_type", required=True, help="local_authority, education, "
              "health, social_care or setting")
@with_appcontext
def agencies_add(name: str, agency_type: str) -> None:
    """Add an agency with its exact NAME (imports match agencies by this name)."""
    from qa_app.register.operations import RegisterError, add_agency

    try:
        agency = add_agency(name, agency_type)
    except RegisterError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Added agency {agency.id}: {agency.name} ({agency.type})")


@agencies_group.command("list")
@with_appcontext
def agencies_list() -> None:
    """List agencies with their type."""
    from qa_app.register.models import Agency

    rows = db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()
    if not rows:
        click.echo("No agencies yet: add one with `ehcp-qa agencies add NAME --type TYPE`.")
        return
    _print_table(["id", "type", "name"], [[a.id, a.type, a.name] for a in rows])


# --- users --------------------------------------------------------------------------------


@cli.group("users")
def users_group() -> None:
    """People who sign in."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, help="admin, qi_manager, panel_chair, auditor, agency_lead")
@click.option("--agency", "agency_name", default=None, help="exact agency name (auditors and "
              "agency leads need one)")
@click.option("--name", "display_name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_create(email: str, role: str, agency_name: str | None, display_name: str | None,
                 password: str) -> None:
    """Create a user who can sign in."""
    from qa_app.auth.operations import UserError, create_user

    try:
        user = create_user(email=email, role=role, password=password, agency_name=agency_name,
                           display_name=display_name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created user {user.id}: {user.email} ({user.role})")


@users_group.command("reset-second-factor")
@click.option("--email", required=True)
@with_appcontext
def users_reset_second_factor(email: str) -> None:
    """Turn off someone's authenticator app (a lost phone and no recovery codes left)."""
    from qa_app.auth.operations import find_user_by_email
    from qa_app.auth.second_factor import is_enabled, turn_off

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    if not is_enabled(user):
        click.echo(f"{user.email} has no authenticator app set up; nothing to do.")
        return
    turn_off(user)
    db.session.commit()
    click.echo(f"Turned off the authenticator app of {user.email}: they sign in with their "
               "password and, if their role needs one, set up a new app straight away.")


# --- jobs ---------------------------------------------------------------------------------


@cli.command("sweep")
@click.option("--today", default=None, help="date to sweep as of (YYYY-MM-DD); default today")
@with_appcontext
def sweep(today: str | None) -> None:
    """Run the nightly sweep now (on the worker when a broker is configured)."""
    from qa_app.jobs import launch

    launched = launch("nightly_sweep", {"today": today})
    if launched.queued:
        click.echo(f"Queued job {launched.run.id} on the worker (task {launched.task_id}).")
        return
    if not launched.ok:
        raise click.ClickException(launched.run.message or "the sweep did not finish")
    data = launched.result
    click.echo(f"Overdue advice as of {data['as_of']}:")
    _print_table(["agency", "overdue"], [[k, v] for k, v in data["overdue_by_agency"].items()])


# --- helpers ------------------------------------------------------------------------------


def _print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


COMMAND_MODULES = (
    "qa_app.demo_command",
    "qa_app.standards.commands",
    "qa_app.register.commands",
    "qa_app.audits.commands",
    "qa_app.audits.panel_commands",
    "qa_app.reporting.commands",
    "qa_app.letters.commands",
    "qa_app.jobs.commands",
)


def _register_feature_commands() -> None:
    from qa_app import feature_modules

    for module in feature_modules(COMMAND_MODULES):
        for command in module.commands:
            cli.add_command(command)


_register_feature_commands()


def _failure(exc: BaseException) -> tuple[str, int] | None:
    """The one line and exit code for an expected failure; None for a real bug."""
    from kombu.exceptions import OperationalError as BrokerError

    from workers import BrokerUnavailable

    if isinstance(exc, ConfigError | BrokerUnavailable):
        return str(exc), 2 if isinstance(exc, ConfigError) else 1
    if isinstance(exc, ArgumentError):
        return f"DATABASE_URL is not usable: {exc}", 2
    if isinstance(exc, BrokerError):
        return f"cannot reach the job broker (CELERY_BROKER_URL): {exc}", 1
    if isinstance(exc, OperationalError):
        return f"cannot reach the database: {_first_line(exc)}", 1
    if isinstance(exc, IntegrityError):
        return f"the change conflicts with existing data: {_first_line(exc)}", 1
    return None


def main() -> None:
    """Entry point: turn configuration and connection problems into one clear line."""
    try:
        cli.main(prog_name="ehcp-qa")
    except Exception as exc:
        failure = _failure(exc)
        if failure is None:
            raise
        click.echo(f"Error: {failure[0]}", err=True)
        sys.exit(failure[1])




if __name__ == "__main__":
    main()
