"""Writes for users and sessions: add and flush, log, never commit."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from qa_app import audit_log
from qa_app.auth.models import ROLES_NEEDING_AGENCY, Role, User, UserSession
from qa_app.auth.passwords import MIN_LENGTH, hash_password
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.rules import RuleError
from qa_app.timeutil import utcnow


class UserError(RuleError):
    """A user could not be created or changed; the message says why."""


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()


def create_user(
    *,
    email: str,
    role: str,
    password: str,
    agency_name: str | None = None,
    display_name: str | None = None,
    actor_id: int | None = None,
) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise UserError(f"{email!r} is not an email address")
    try:
        role_value = Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise UserError(f"Unknown role {role!r}; choose one of: {known}") from None
    agency = None
    if agency_name:
        agency = db.session.execute(
            select(Agency).where(Agency.name == agency_name)
        ).scalar_one_or_none()
        if agency is None:
            raise UserError(f"No agency called {agency_name!r} (see `ehcp-qa agencies list`)")
    if role_value in ROLES_NEEDING_AGENCY and agency is None:
        raise UserError(f"A user with role {role_value.value} needs --agency")
    if len(password) < MIN_LENGTH:
        raise UserError(f"Password must be {MIN_LENGTH} characters or more")
    if find_user_by_email(email) is not None:
        raise UserError(f"A user with email {email} already exists")
    user = User(
        email=email,
        role=role_value.value,
        agency=agency,
        display_name=display_name or email.split("@")[0],
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit_log.record(
        "user.create",
        "user",
        user.id,
        changes={"email": email, "role": role_value.value, "agency": agency_name},
        user_id=actor_id,
    )
    return user


def start_session(user: User) -> UserSession:
    session_row = UserSession(id=UserSession.new_id(), user_id=user.id)
    db.session.add(session_row)
    user.last_login_at = utcnow()
    user.login_session_id = session_row.id  # type: ignore[attr-defined]
    return session_row


def end_session(session_id: str) -> None:
    db.session.execute(delete(UserSession).where(UserSession.id == session_id))


def set_password(user: User, new_password: str) -> None:
    """Change the password and end every session and API token of this user."""
    user.password_hash = hash_password(new_password)
    revoke_access(user, "password changed")
    audit_log.record("user.password_change", "user", user.id, user_id=user.id)


def revoke_access(user: User, reason: str, actor_id: int | None = None) -> None:
    """End every server-side session of a person and revoke all their API tokens: after a
    password change, and when they are deactivated."""
    from qa_app.api.tokens import revoke_all

    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    revoke_all(user.id, reason, actor_id=actor_id)


def deactivate_user(user: User, actor_id: int | None = None) -> None:
    """Stop a person signing in or using the API, keeping their records and history."""
    user.active = False
    revoke_access(user, "deactivated", actor_id=actor_id)
    audit_log.record("user.deactivate", "user", user.id, user_id=actor_id)
