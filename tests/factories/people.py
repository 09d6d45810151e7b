"""People who sign in: users added the way an administrator adds them, or written directly."""

from __future__ import annotations

from functools import cache

from qa_app.auth.models import User
from qa_app.extensions import db
from tests.factories.register import next_number

PASSWORD = "correct horse battery"


def user(role: str, agency_name: str | None = None, email: str | None = None) -> User:
    """A user made through `create_user`, as the `users add` command makes one."""
    from qa_app.auth.operations import create_user

    row = create_user(
        email=email or f"{role}{next_number()}@example.org",
        role=role,
        password=PASSWORD,
        agency_name=agency_name,
    )
    db.session.flush()
    return row


@cache
def _password_hash() -> str:
    from qa_app.auth.passwords import hash_password

    return hash_password(PASSWORD)


def person(role: str, agency_id: int | None = None, email: str | None = None,
           name: str | None = None) -> User:
    """A user written directly with a display name; the Argon2 hash is made once, as it is slow."""
    email = email or f"{role}{next_number()}@example.org"
    row = User(email=email, role=role, agency_id=agency_id, password_hash=_password_hash(),
               display_name=name or email.split("@")[0])
    db.session.add(row)
    db.session.flush()
    return row
