"""What every feature's commands share: a command group that commits once when a command
finishes, a plain table printer, and the development server."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from qa_app import transactions

Decorator = Callable[[Callable[..., Any]], click.Command]


def _committing(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Commit once when the command returns; an exception (a ClickException too) keeps
    nothing it wrote."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = callback(*args, **kwargs)
        transactions.commit_point()
        return result

    return run


class FeatureGroup(AppGroup):
    """A feature's `ehcp-qa <group>`: every command runs in an app context and commits once."""

    def command(self, *args: Any, **kwargs: Any) -> Decorator:  # type: ignore[override]
        def decorator(callback: Callable[..., Any]) -> click.Command:
            return AppGroup.command(self, *args, **kwargs)(_committing(callback))

        return decorator


def command(name: str | None = None, **kwargs: Any) -> Decorator:
    """A top-level `ehcp-qa <name>` command with the same app context and commit point."""

    def decorator(callback: Callable[..., Any]) -> click.Command:
        return click.command(name, **kwargs)(with_appcontext(_committing(callback)))

    return decorator


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def serve(app: Flask, host: str, port: int) -> None:
    """Werkzeug's server directly: Flask ignores app.run() inside its own CLI."""
    from werkzeug.serving import run_simple

    from qa_app.serving import NeutralRequestHandler, use_served_address

    use_served_address(app, host, port)
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False,
               request_handler=NeutralRequestHandler)
