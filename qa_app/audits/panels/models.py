"""A cycle's panels and their auditors."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.auth.models import User


class Panel(db.Model):
    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    meeting_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    chair: Mapped[User] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )


class PanelMember(db.Model):
    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
