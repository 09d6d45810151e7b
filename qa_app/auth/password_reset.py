"""Forgotten passwords: anyone may ask for a reset link for an email address; the answer is
the same whether or not an account has that address, and the link (single use, RESET_HOURS)
goes only to the address itself. Setting a new password ends every session and API token of
the account, so whoever knew the old password is shut out."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from qa_app import audit_log
from qa_app.auth.account_links import new_link, use_link
from qa_app.auth.link_models import PASSWORD_RESET, AccountLink
from qa_app.auth.models import User
from qa_app.auth.operations import UserError, find_user_by_email, revoke_access
from qa_app.auth.passwords import MIN_LENGTH, burn_time, hash_password
from qa_app.mail import link, send_email
from qa_app.timeutil import format_datetime


def request_reset(email: str) -> None:
    """Email a reset link if an active account has this address; otherwise do about the
    same work and send nothing. Either way the audit log notes the request."""
    email = (email or "").strip().lower()[:254]
    user = find_user_by_email(email) if email else None
    burn_time()
    if user is None or not user.active:
        audit_log.record("user.password_reset_request", "user", "unknown",
                         changes={"email": email, "account": "none or deactivated"})
        return
    hours = int(current_app.config.get("RESET_HOURS") or 1)
    token, row = new_link(user, PASSWORD_RESET, timedelta(hours=hours))
    audit_log.record("user.password_reset_request", "user", user.id)
    send_email(user.email, "password_reset", {
        "link": link("links.reset_password", token=token),
        "expires": format_datetime(row.expires_at),
    }, user_id=user.id)


def reset(row: AccountLink, password: str) -> User:
    """Set the new password, use up the link, and end every session and API token."""
    if len(password) < MIN_LENGTH:
        raise UserError(f"Password must be {MIN_LENGTH} characters or more", "new_password")
    user = row.user
    user.password_hash = hash_password(password)
    use_link(row)
    revoke_access(user, "password reset")
    audit_log.record("user.password_reset", "user", user.id, user_id=user.id)
    return user
