"""Invitations: an administrator (or `ehcp-qa users invite`) adds a person by email, and they
choose their own password through a single-use link that expires after INVITATION_DAYS.

An invited person has no password until they accept: their stored hash is a marker that no
password matches, so they cannot sign in before then.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from qa_app import audit_log
from qa_app.auth.account_links import new_link, use_link
from qa_app.auth.link_models import INVITATION, AccountLink
from qa_app.auth.models import ROLES_NEEDING_AGENCY, Role, User
from qa_app.auth.operations import UserError, find_user_by_email, revoke_access
from qa_app.auth.passwords import MIN_LENGTH, hash_password
from qa_app.extensions import db
from qa_app.mail import link, send_email
from qa_app.register.models import Agency
from qa_app.timeutil import format_datetime

NO_PASSWORD = "!invited"
"""The stored hash of someone invited who has not yet set a password: matches nothing."""


def is_invited(user: User) -> bool:
    """True while the person has not yet accepted their invitation."""
    return user.password_hash == NO_PASSWORD


def invite(email: str, role: str, agency_id: int | None, invited_by_id: int | None, *,
           display_name: str | None = None) -> User:
    """Add a person without a password and email them a link to set one."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise UserError("Enter an email address in the correct format, like name@example.org",
                        "email")
    try:
        role_value = Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise UserError(f"Choose a role: one of {known}", "role") from None
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    if agency_id is not None and agency is None:
        raise UserError("Choose an agency from the list", "agency")
    if role_value in ROLES_NEEDING_AGENCY and agency is None:
        raise UserError(f"Choose the agency of this {role_value.label.lower()}", "agency")
    if find_user_by_email(email) is not None:
        raise UserError(f"There is already an account for {email}", "email")
    user = User(email=email, role=role_value.value, agency=agency,
                display_name=(display_name or "").strip()[:120] or email.split("@")[0],
                password_hash=NO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    audit_log.record("user.invite", "user", user.id, user_id=invited_by_id, changes={
        "email": email, "role": role_value.value, "agency": agency.name if agency else None})
    _send(user, invited_by_id)
    return user


def resend_invitation(user: User, by_id: int | None) -> int:
    """A new link for someone who has not yet accepted; the old link stops working.
    Returns the outbox id of the new message."""
    if not is_invited(user):
        raise UserError(f"{user.email} has already set a password; they can use "
                        "'Forgotten your password?' on the sign-in page")
    if not user.active:
        raise UserError(f"{user.email} is deactivated: reactivate them first")
    audit_log.record("user.invitation_resend", "user", user.id, user_id=by_id)
    return _send(user, by_id)


def _send(user: User, by_id: int | None) -> int:
    days = int(current_app.config.get("INVITATION_DAYS") or 7)
    token, row = new_link(user, INVITATION, timedelta(days=days), created_by_id=by_id)
    inviter = db.session.get(User, by_id) if by_id is not None else None
    return send_email(user.email, "invitation", {
        "invited_by": inviter.display_name if inviter else "The service administrator",
        "role": user.role_enum.label.lower(),
        "link": link("links.accept_invitation", token=token),
        "expires": format_datetime(row.expires_at),
    }, user_id=user.id)


def accept(row: AccountLink, password: str) -> User:
    """Set the invited person's first password and use up the link."""
    if len(password) < MIN_LENGTH:
        raise UserError(f"Password must be {MIN_LENGTH} characters or more", "new_password")
    user = row.user
    user.password_hash = hash_password(password)
    use_link(row)
    revoke_access(user, "invitation accepted")
    audit_log.record("user.invitation_accept", "user", user.id, user_id=user.id)
    return user
