"""`ehcp-qa reminders send [--today YYYY-MM-DD] [--dry-run]`."""

from __future__ import annotations

from datetime import date

import click

from qa_app.console import FeatureGroup, print_table


@click.group("reminders", cls=FeatureGroup)
def reminders_group() -> None:
    """Email reminders of what is due."""


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2027-01-12")\
            from None


@reminders_group.command("send")
@click.option("--today", callback=_day, metavar="YYYY-MM-DD",
              help="the day to send reminders as of; default today")
@click.option("--dry-run", is_flag=True,
              help="print who would get which reminder, and send and record nothing")
def send(today: date, dry_run: bool) -> None:
    """Send the reminders due today, each once (a digest per person and kind)."""
    from qa_app.reminders.operations import send_due

    outcomes = send_due(today, dry_run=dry_run)
    when = f"{today:%A} {today.day} {today:%B %Y}"
    if not outcomes:
        click.echo(f"No reminders are due on {when}.")
        return
    print_table(["to", "reminder", "items", "what"],
                [[o.to, o.kind, o.items, o.problem or o.summary] for o in outcomes])
    if dry_run:
        click.echo(f"Dry run: {len(outcomes)} emails would be sent for {when}; "
                   "nothing was sent or recorded.")
    else:
        sent = sum(1 for o in outcomes if o.sent)
        click.echo(f"{sent} emails sent for {when}.")
