"""The secret links emailed for an invitation or a password reset: made, checked, used.

The secret is in the link only; the database keeps its SHA-256 hash. A link works once,
until it expires; making a new link of the same kind for the same person stops the old one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from qa_app.auth.link_models import INVITATION, PASSWORD_RESET, AccountLink
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.timeutil import utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_link(user: User, purpose: str, lifetime: timedelta,
             created_by_id: int | None = None) -> tuple[str, AccountLink]:
    """A fresh secret for `user`; any unused link of this kind for them stops working."""
    now = utcnow()
    stop_links(user.id, purpose, now)
    token = secrets.token_urlsafe(32)
    row = AccountLink(purpose=purpose, token_hash=token_hash(token), user_id=user.id,
                      created_by_id=created_by_id, created_at=now, expires_at=now + lifetime)
    db.session.add(row)
    db.session.flush()
    return token, row


def stop_links(user_id: int, purpose: str, now: datetime | None = None) -> None:
    db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user_id, AccountLink.purpose == purpose,
               AccountLink.used_at.is_(None))
        .values(used_at=now or utcnow())
    )


def live_link(token: str, purpose: str) -> AccountLink | None:
    """The link this secret opens, if it is of this kind, unused, unexpired and its person
    can still sign in; otherwise None (the page says the link no longer works)."""
    if not token or len(token) > 200:
        return None
    row = db.session.execute(
        select(AccountLink).where(AccountLink.token_hash == token_hash(token),
                                  AccountLink.purpose == purpose)
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.active:
        return None
    return row


def use_link(row: AccountLink) -> None:
    """Use up the link; a password set through one link also stops every other link sent to
    that person (an invitation still waiting, an earlier reset)."""
    row.used_at = utcnow()
    for purpose in (INVITATION, PASSWORD_RESET):
        stop_links(row.user_id, purpose, row.used_at)
