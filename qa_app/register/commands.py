"""`ehcp-qa agencies add|list`, `ehcp-qa sweep`, and `ehcp-qa import plans|advice|audits FILE`.

An import is all or nothing, with every problem listed. The command imports in its own
process, whatever the file's size (no worker needed); it takes the same per-kind lock as the
import page and its jobs, and a database that fails mid-import is reported in one line,
nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from qa_app import console
from qa_app.console import FeatureGroup, print_table
from qa_app.extensions import db
from qa_app.register.models import Agency


def agency_named(name: str) -> Agency:
    """For a command's --agency option: the agency called `name` in any capitals and
    spacing, as `agencies add` compares names.
    Agencies added before names were compared so may share a name but for its capitals: then
    only the exact name picks one."""
    from qa_app.register.operations import agency_name_key

    wanted = agency_name_key(name)
    found = [agency for agency in db.session.scalars(select(Agency).order_by(Agency.name))
             if agency_name_key(agency.name) == wanted]
    exact = [agency for agency in found if agency.name == name]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0]
    if not found:
        raise click.ClickException(f"No agency called {name!r} (see `ehcp-qa agencies list`)")
    names = ", ".join(repr(agency.name) for agency in found)
    raise click.ClickException(f"{len(found)} agencies are called {name!r} ignoring capitals "
                               f"and spaces ({names}): give one of those names exactly")


@click.group("agencies", cls=FeatureGroup)
def agencies_group() -> None:
    """Organisations that write plans or advice."""


@agencies_group.command("add")
@click.argument("name")
@click.option("--type", "agency_type", required=True, help="local_authority, education, "
              "health, social_care or setting")
def agencies_add(name: str, agency_type: str) -> None:
    """Add an agency called NAME (imports match agencies by this name, in any capitals)."""
    from qa_app.register.operations import RegisterError, add_agency

    try:
        agency = add_agency(name, agency_type)
    except RegisterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added agency {agency.id}: {agency.name} ({agency.type})")


@agencies_group.command("list")
def agencies_list() -> None:
    """List agencies with their type."""
    from qa_app.register.models import Agency

    rows = db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()
    if not rows:
        click.echo("No agencies yet: add one with `ehcp-qa agencies add NAME --type TYPE`.")
        return
    print_table(["id", "type", "name"], [[a.id, a.type, a.name] for a in rows])


@console.command("sweep")
@click.option("--today", default=None, help="date to sweep as of (YYYY-MM-DD); default today")
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
    print_table(["agency", "overdue"], [[k, v] for k, v in data["overdue_by_agency"].items()])


@click.group("import", cls=FeatureGroup)
def import_group() -> None:
    """Import the plan register, the advice log or historic audits (CSV or XLSX)."""


def _import(kind: str, path: str, mapping: str | None, check_only: bool) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        _import_checked(kind, path, mapping, check_only)
    except SQLAlchemyError as exc:
        db.session.rollback()
        detail = (str(getattr(exc, "orig", None) or exc).strip() or type(exc).__name__)
        raise click.ClickException(
            f"nothing was imported from {Path(path).name}: the database failed during the "
            f"import ({detail.splitlines()[0][:200]}). Try again.") from None


def _import_checked(kind: str, path: str, mapping: str | None, check_only: bool) -> None:
    from qa_app.register.importing import ImportBusy, run_import

    try:
        with open(path, "rb") as stream:
            if mapping:
                with open(mapping, "rb") as renames:
                    report = run_import(kind, stream, path, mapping=renames,
                                        mapping_name=mapping, check_only=check_only)
            else:
                report = run_import(kind, stream, path, check_only=check_only)
    except OSError as exc:
        raise click.ClickException(f"cannot read {exc.filename}: {exc.strerror}") from None
    except ImportBusy as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    if not report.ok:
        db.session.rollback()
        for error in report.sorted_errors():
            click.echo(error.line(), err=True)
        if report.unlisted_errors:
            click.echo(f"... and {report.unlisted_errors} more problems not listed", err=True)
        click.echo(f"Nothing was imported from {Path(path).name}: {report.problem_summary()}.",
                   err=True)
        raise SystemExit(1)
    if check_only:
        db.session.rollback()
        click.echo(f"Checked {report.rows} rows of {Path(path).name}: no problems. "
                   "Nothing was written (run again without --check to import).")
        return
    click.echo(f"Imported {kind} from {Path(path).name}: {report.summary()}")


def _command(kind: str, help_text: str) -> click.Command:
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--mapping", type=click.Path(dir_okay=False), default=None,
                  help="YAML (field: column) or CSV (field,column) renaming your export's "
                  "columns")
    @click.option("--check", "check_only", is_flag=True,
                  help="Check every row and list the problems, but write nothing.")
    def command(file: str, mapping: str | None, check_only: bool) -> None:
        _import(kind, file, mapping, check_only)

    command.__doc__ = help_text
    return import_group.command(kind)(command)


_command("plans", "Import the EHCP register: one row per plan, matched on plan_ref.")
_command("advice", "Import the advice log: one row per piece of advice, matched on advice_ref.")
_command("audits", "Import historic audits: one row per audit, one column per criterion id.")
