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
    """Stop a person signing in or using the API, keeping their records and history.
    The last active administrator cannot be deactivated."""
    if not user.active:
        raise UserError(f"{user.email} is already deactivated")
    if actor_id == user.id:
        raise UserError("You cannot deactivate your own account: ask another administrator")
    if user.role == Role.ADMIN:
        keep_an_admin(user, "deactivate")
    user.active = False
    if user.role == Role.ADMIN:
        still_an_admin(user, "deactivate")
    revoke_access(user, "deactivated", actor_id=actor_id)
    audit_log.record("user.deactivate", "user", user.id, user_id=actor_id)


def reactivate_user(user: User, actor_id: int | None = None) -> None:
    """Let a deactivated person sign in again with their old role and agency; the tokens and
    sessions that ended stay ended."""
    if user.active:
        raise UserError(f"{user.email} is already active")
    if user.role in ROLES_NEEDING_AGENCY and (user.agency is None or not user.agency.active):
        raise UserError(f"{user.email}'s agency is closed: change their agency first", "agency")
    user.active = True
    audit_log.record("user.reactivate", "user", user.id, user_id=actor_id)


def role_and_agency(role: str, agency_id: int | None) -> tuple[Role, Agency | None]:
    """A role and agency chosen on a form, refused if the role is unknown, the agency is not
    an open one, or the role works for one agency and none is chosen."""
    try:
        new_role = Role(role)
    except ValueError:
        raise UserError("Choose a role from the list", "role") from None
    agency = None
    if agency_id is not None:
        agency = db.session.get(Agency, agency_id)
        if agency is None or not agency.active:
            raise UserError("Choose an agency from the list", "agency")
    if new_role in ROLES_NEEDING_AGENCY and agency is None:
        raise UserError(f"Choose the agency of this {new_role.label.lower()}: "
                        f"{new_role.label.lower()}s work for one agency", "agency")
    return new_role, agency


def check_role_change(user: User, role: str, agency_id: int | None) -> dict[str, list[str | None]]:
    """What changing `user` to `role` and `agency_id` would change, as [old, new] pairs in
    words; refused with a reason when the change breaks a rule or changes nothing."""
    new_role, agency = role_and_agency(role, agency_id)
    changes: dict[str, list[str | None]] = {}
    if new_role.value != user.role:
        changes["role"] = [user.role_enum.label, new_role.label]
    if agency_id != user.agency_id:
        changes["agency"] = [user.agency.name if user.agency else None,
                             agency.name if agency else None]
    if not changes:
        raise UserError(f"{user.email} already has this role and agency: nothing to change",
                        "role")
    if user.role == Role.ADMIN and new_role != Role.ADMIN and user.active:
        keep_an_admin(user, "change")
    return changes


def change_role(user: User, role: str, agency_id: int | None,
                actor_id: int | None = None) -> dict[str, list[str | None]]:
    """Give a person a new role or agency. Their sessions and API keys end, so the new role
    and agency apply from their next sign-in rather than on pages already open."""
    changes = check_role_change(user, role, agency_id)
    was_admin = user.role == Role.ADMIN and user.active
    user.role = Role(role).value
    user.agency_id = agency_id
    if was_admin:
        still_an_admin(user, "change")
    db.session.flush()
    db.session.expire(user, ["agency"])
    revoke_access(user, "role changed", actor_id=actor_id)
    audit_log.record("user.change_role", "user", user.id, changes=changes, user_id=actor_id)
    return changes


def keep_an_admin(user: User, action: str) -> None:
    """Refuse to leave the partnership with no active administrator.

    The active administrators' rows are locked (SELECT ... FOR UPDATE on PostgreSQL) and read
    again, so two administrators removing each other at the same moment are taken one after
    the other: the second sees the first's change and is refused. SQLite has no row locks:
    there `still_an_admin` counts again once the change is written."""
    admins = db.session.execute(
        select(User.id)
        .where(User.role == Role.ADMIN.value, User.active.is_(True))
        .with_for_update()
    ).scalars().all()
    if not set(admins) - {user.id}:
        raise _last_admin(user, action)


def still_an_admin(user: User, action: str) -> None:
    """Counted again after the change is written: SQLite takes its write lock at the first
    write, so a request that raced this one has committed by now and is counted."""
    db.session.flush()
    left = db.session.execute(
        select(func.count()).select_from(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True))
    ).scalar_one()
    if left == 0:
        raise _last_admin(user, action)


def _last_admin(user: User, action: str) -> UserError:
    what = "deactivated" if action == "deactivate" else "moved to another role"
    return UserError(f"{user.email} is the only active administrator, so they cannot be "
                     f"{what}. Make someone else an administrator first.", "role")
