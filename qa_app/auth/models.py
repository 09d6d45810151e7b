"""People who sign in, their roles, and the server-side sessions that can be revoked."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db, sql_in
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.register.models import Agency


class Role(enum.StrEnum):
    ADMIN = "admin"
    QI_MANAGER = "qi_manager"
    PANEL_CHAIR = "panel_chair"
    AUDITOR = "auditor"
    AGENCY_LEAD = "agency_lead"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.QI_MANAGER: "Quality improvement manager",
    Role.PANEL_CHAIR: "Panel chair",
    Role.AUDITOR: "Auditor",
    Role.AGENCY_LEAD: "Agency lead",
}

ROLES_NEEDING_AGENCY = (Role.AUDITOR, Role.AGENCY_LEAD)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_in([r.value for r in Role])})", name="role_known"),
        CheckConstraint(
            f"role NOT IN ({sql_in([r.value for r in ROLES_NEEDING_AGENCY])}) "
            "OR agency_id IS NOT NULL",
            name="agency_for_scoped_roles",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    agency: Mapped[Agency | None] = relationship(lazy="joined")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(db.Model):
    """One row per signed-in browser; deleting it ends that session on the server."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(32)


def _login_mixin(cls: type[User]) -> type[User]:
    """Flask-Login's contract, with the login id being the server session, not the user."""
    cls.is_authenticated = property(lambda self: True)  # type: ignore[attr-defined]
    cls.is_anonymous = property(lambda self: False)  # type: ignore[attr-defined]
    cls.is_active = property(lambda self: self.active)  # type: ignore[attr-defined]
    cls.get_id = lambda self: getattr(self, "login_session_id", None)  # type: ignore[attr-defined]
    return cls


_login_mixin(User)
