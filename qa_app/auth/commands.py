"""`ehcp-qa users create|reset-second-factor`: people who sign in."""

from __future__ import annotations

import click

from qa_app.console import FeatureGroup


@click.group("users", cls=FeatureGroup)
def users_group() -> None:
    """People who sign in."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, help="admin, qi_manager, panel_chair, auditor, agency_lead")
@click.option("--agency", "agency_name", default=None, help="exact agency name (auditors and "
              "agency leads need one)")
@click.option("--name", "display_name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(email: str, role: str, agency_name: str | None, display_name: str | None,
                 password: str) -> None:
    """Create a user who can sign in."""
    from qa_app.auth.operations import UserError, create_user

    try:
        user = create_user(email=email, role=role, password=password, agency_name=agency_name,
                           display_name=display_name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created user {user.id}: {user.email} ({user.role})")


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
