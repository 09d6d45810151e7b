"""`ehcp-qa panels ...`: set up, change or remove a cycle's panel and assign the sample."""

from __future__ import annotations

from datetime import date

import click
from sqlalchemy import func, select

from qa_app.audits.cycles.queries import find_cycle
from qa_app.audits.errors import PanelError
from qa_app.audits.panels.assignment import assign_panel
from qa_app.audits.panels.models import Panel
from qa_app.audits.panels.operations import change_panel, create_panel, delete_panel
from qa_app.auth.models import User
from qa_app.console import FeatureGroup
from qa_app.extensions import db

panels_group = FeatureGroup("panels", help="Multi-agency audit panels: members and assignment.")


@panels_group.command("create")
@click.option("--cycle", "cycle_name", required=True, help="the cycle's name")
@click.option("--name", required=True, help="a name for the panel")
@click.option("--chair", "chair_email", required=True, help="email of a panel_chair user")
@click.option("--auditor", "auditor_emails", multiple=True, required=True,
              help="email of an auditor (repeat for each; at least two agencies)")
@click.option("--meeting-date", default=None, help="YYYY-MM-DD (optional)")
def panels_create(cycle_name: str, name: str, chair_email: str, auditor_emails: tuple[str, ...],
                  meeting_date: str | None) -> None:
    """Create a panel for a cycle with its chair and auditors."""
    cycle = find_cycle(cycle_name)
    if cycle is None:
        raise click.ClickException(f"No cycle called {cycle_name!r}")
    when = _date(meeting_date)
    try:
        panel = create_panel(
            cycle_id=cycle.id, name=name, chair_id=_user_id(chair_email),
            auditor_ids=[_user_id(email) for email in auditor_emails], meeting_date=when)
    except PanelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created panel {panel.id}: {panel.name} ({cycle.name}) with "
               f"{len(panel.members)} auditors")


@panels_group.command("change")
@click.option("--panel", "panel_id", required=True, type=int, help="the panel's id")
@click.option("--name", default=None, help="a new name")
@click.option("--chair", "chair_email", default=None, help="email of the new panel_chair")
@click.option("--meeting-date", default=None, help="YYYY-MM-DD, or 'none' to clear it")
def panels_change(panel_id: int, name: str | None, chair_email: str | None,
                  meeting_date: str | None) -> None:
    """Change a panel's name, chair or meeting date; what is not given stays as it is."""
    panel = _panel(panel_id)
    when = panel.meeting_date if meeting_date is None else (
        None if meeting_date.lower() == "none" else _date(meeting_date))
    try:
        changed = change_panel(
            panel, name=panel.name if name is None else name,
            chair_id=panel.chair_id if chair_email is None else _user_id(chair_email),
            meeting_date=when)
    except PanelError as exc:
        raise click.ClickException(str(exc)) from None
    if not changed:
        click.echo("Nothing was changed.")
    for field, (old, new) in changed.items():
        click.echo(f"{field}: {old} -> {new}")


@panels_group.command("remove")
@click.option("--panel", "panel_id", required=True, type=int, help="the panel's id")
def panels_remove(panel_id: int) -> None:
    """Remove a panel none of whose audits has been started, with its unstarted audits."""
    panel = _panel(panel_id)
    name = panel.name
    try:
        removed = delete_panel(panel)
    except PanelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Removed panel {panel_id}: {name}, with {removed} unstarted audits")


@panels_group.command("assign")
@click.option("--panel", "panel_id", required=True, type=int, help="the panel's id")
def panels_assign(panel_id: int) -> None:
    """Give every sampled subject two auditors from other agencies, least loaded first."""
    panel = _panel(panel_id)
    try:
        result = assign_panel(panel)
    except PanelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Assigned {len(result.created)} audits; {result.already_assigned} subjects "
               "already had two auditors.")
    for line in result.skipped:
        click.echo(f"Skipped {line}")
    members = {m.user_id: m.user for m in panel.members}
    click.echo("auditor  agency  audits in the cycle")
    for user_id, load in sorted(result.loads.items(), key=lambda kv: members[kv[0]].email):
        user = members[user_id]
        click.echo(f"{user.email}  {user.agency.name if user.agency else '-'}  {load}")


def _panel(panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None:
        raise click.ClickException(f"No panel with id {panel_id}")
    return panel


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(
            f"--meeting-date {text!r} is not a date (use YYYY-MM-DD)") from None


def _user_id(email: str) -> int:
    user_id = db.session.execute(
        select(User.id).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user_id is None:
        raise click.ClickException(f"No user with email {email}")
    return user_id


commands = [panels_group]
