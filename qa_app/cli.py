"""The `ehcp-qa` command line. Each feature adds its own commands to the app's `cli` in its
`init_app`; the group finds them when it loads the app. The commands here need no feature:
serving, the database schema, the shell, and the demo (which builds its own app)."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from flask_migrate.cli import db as migrate_cli
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from qa_app.config import ConfigError
from qa_app.console import serve
from qa_app.demo.command import demo
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
cli.add_command(demo)


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
