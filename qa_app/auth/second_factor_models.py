"""A staff member's authenticator secret and their single-use recovery codes.

Kept in tables of their own beside `users`, so that a person without a second factor has no
row at all and the sign-in code reads one small table. The secret has to be kept readable
(the server must compute the same code as the person's app); recovery codes are random and
long, so, like API tokens, only their SHA-256 hashes are stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.extensions import db
from qa_app.timeutil import utcnow


class SecondFactor(db.Model):
    """One per person who has started setting up an authenticator app; it protects sign-in
    only once `confirmed_at` is set (the person has typed a code the app showed)."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None]
    """The 30-second time step of the last code accepted: a code is never accepted twice."""


class RecoveryCode(db.Model):
    """A code for signing in without the app; each works once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
