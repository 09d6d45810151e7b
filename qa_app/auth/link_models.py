"""Single-use, expiring links sent by email: an invitation to set a first password, and a
password reset. Only a hash of each link's secret is stored, so a copy of the database
cannot be used to take over an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.timeutil import utcnow

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"


class AccountLink(db.Model):
    __tablename__ = "account_links"
    __table_args__ = (
        CheckConstraint(f"purpose IN ('{INVITATION}', '{PASSWORD_RESET}')",
                        name="account_link_purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    """When the link was followed to the end, or stopped by a newer link of the same kind."""

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
