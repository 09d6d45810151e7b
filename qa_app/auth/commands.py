"""`ehcp-qa users create|invite|reset-second-factor`: people who sign in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from qa_app.console import FeatureGroup

if TYPE_CHECKING:
    pass


@click.group("users", cls=FeatureGroup)
def users_group() -> None:
    """People who sign in."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, help="admin, qi_manager, panel_chair, auditor, agency_lead")
@click.option("--agency", "agency_name", default=None, help="agency name, in any capitals and "
              "spacing (auditors and agency leads need one)")
@click.option("--name", "display_name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(email: str, role: str, agency_name: str | None, display_name: str | None,
                 password: str) -> None:
    """Create a user who can sign in."""
    from qa_app.auth.operations import UserError, create_user
    from qa_app.register.commands import agency_named

    agency = agency_named(agency_name) if agency_name else None
    try:
        user = create_user(email=email, role=role, password=password,
                           agency_name=agency.name if agency else None,
                           display_name=display_name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created user {user.id}: {user.email} ({user.role})")


@users_group.command("invite")
@click.option("--email", required=True)
@click.option("--role", required=True, help="admin, qi_manager, panel_chair, auditor, agency_lead")
@click.option("--agency", "agency_name", default=None, help="agency name, in any capitals and "
              "spacing (auditors and agency leads need one)")
def users_invite(email: str, role: str, agency_name: str | None) -> None:
    """Invite someone by email: they choose their own password through a single-use link."""
    from qa_app.auth.invitations import invite
    from qa_app.auth.operations import UserError
    from qa_app.register.commands import agency_named
    from qa_app.transactions import after_commit

    agency_id = agency_named(agency_name).id if agency_name else None
    try:
        user = invite(email, role, agency_id, invited_by_id=None)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    user_id, address = user.id, user.email
    click.echo(f"Invited user {user_id}: {address} ({user.role})")
    after_commit(lambda: click.echo(_where_it_went(user_id)))


def _where_it_went(user_id: int) -> str:
    """After delivery was tried: where the newest invitation to this person went."""
    from sqlalchemy import select

    from qa_app.extensions import db
    from qa_app.mail.models import CHANNEL_WORDS, OutboxMessage

    db.session.expire_all()
    message = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.user_id == user_id,
                                    OutboxMessage.kind == "invitation")
        .order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
    if message.status == "kept":
        return (f"The invitation email (outbox {message.id}) is kept in the outbox, not sent: "
                "no mail server or GOV.UK Notify is set up. An administrator can read it on "
                "the Emails page.")
    if message.status in ("queued", "retrying") and not message.channel:
        return f"The invitation email (outbox {message.id}) is with the worker to send."
    way = CHANNEL_WORDS.get(message.channel or "", "the worker")
    if message.status == "sent":
        return f"The invitation email (outbox {message.id}) was sent to {message.to} " \
               f"through {way}."
    return (f"The invitation email (outbox {message.id}) is {message.status_words.lower()}"
            f" through {way}: {message.error or 'no reason given'}")


@users_group.command("reset-second-factor")
@click.option("--email", required=True)
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
    click.echo(f"Turned off the authenticator app of {user.email}: they sign in with their "
               "password and, if their role needs one, set up a new app straight away.")
