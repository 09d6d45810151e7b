"""Formal feedback letters to agencies, their immutable issued versions, and responses."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.extensions import db
from qa_app.timeutil import utcnow

if TYPE_CHECKING:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.auth.access import Scope
    from qa_app.register.models import Agency


class IssuedLetterError(RuntimeError):
    """An issued letter is a formal record: its row and bytes never change."""


class Letter(db.Model):
    """One version of an agency's letter for a cycle: a draft until a chair issues it.

    `content` is the assembled letter (see qa_app.letters.content) that the PDF and the
    HTML page are both built from; once issued it is frozen with the PDF bytes, and both are
    fingerprinted (`sha256` of the PDF, `content_sha256` of the canonical content). A letter
    written before the whole sample was finalised records how much was (`sample_finalised`
    of `sample_size`).
    """

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("agency_id", "cycle_id", "version"),
        CheckConstraint("status IN ('draft', 'issued')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "status = 'draft' OR (pdf IS NOT NULL AND sha256 IS NOT NULL)", name="issued_has_pdf"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    reference: Mapped[str] = mapped_column(String(60))
    opening: Mapped[str | None] = mapped_column(Text)
    strengths: Mapped[str | None] = mapped_column(Text)
    areas_for_development: Mapped[str | None] = mapped_column(Text)
    correction_note: Mapped[str | None] = mapped_column(Text)
    inputs_hash: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    omitted_evidence: Mapped[list[str] | None] = mapped_column(JSON)
    letter_date: Mapped[date | None]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    sample_finalised: Mapped[int | None]
    sample_size: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agency: Mapped[Agency] = relationship()
    cycle: Mapped[Cycle] = relationship()
    response: Mapped[LetterResponse | None] = relationship(
        back_populates="letter", passive_deletes=True
    )

    @property
    def is_issued(self) -> bool:
        return self.status == "issued"

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        return cls.agency_id == scope.agency_id


class LetterResponse(db.Model):
    """The agency's formal reply, later presented to the partnership board.

    A draft until `submitted_at` is set: its `planned_changes` may be saved and changed until
    then, and never after. `changes`, `owner` and `complete_by` are the single box of
    responses sent before a response had one row per change; they are kept for reading.
    """

    __tablename__ = "letter_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), unique=True
    )
    due_date: Mapped[date]
    changes: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    complete_by: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    presented_on: Mapped[date | None]
    presented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    draft_saved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="response")
    planned_changes: Mapped[list[LetterResponseChange]] = relationship(
        back_populates="response", order_by="LetterResponseChange.position",
        cascade="all, delete-orphan", passive_deletes=True)

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        own_letters = select(Letter.id).where(Letter.agency_id == scope.agency_id)
        return cls.letter_id.in_(own_letters)

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def submitted_late(self) -> bool:
        return self.submitted_at is not None and self.submitted_at.date() > self.due_date


class LetterResponseChange(db.Model):
    """One change an agency commits to in its response: what, who owns it, and by when.
    A draft row may be incomplete; a sent one has all three."""

    __tablename__ = "letter_response_changes"
    __table_args__ = (
        UniqueConstraint("response_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("letter_responses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    change: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    complete_by: Mapped[date | None]

    response: Mapped[LetterResponse] = relationship(back_populates="planned_changes")

    @classmethod
    def lead_sees(cls, scope: Scope) -> Any:
        own = select(LetterResponse.id).join(Letter, Letter.id == LetterResponse.letter_id)\
            .where(Letter.agency_id == scope.agency_id)
        return cls.response_id.in_(own)


@event.listens_for(LetterResponseChange, "before_insert")
@event.listens_for(LetterResponseChange, "before_update")
@event.listens_for(LetterResponseChange, "before_delete")
def _refuse_changing_a_sent_response(_mapper: Any, connection: Any,
                                     row: LetterResponseChange) -> None:
    """A sent response is a formal record: its rows never change, whatever the code path."""
    sent = connection.execute(
        select(LetterResponse.submitted_at).where(LetterResponse.id == row.response_id)
    ).scalar_one_or_none()
    if sent is not None:
        raise IssuedLetterError("the response has been sent and its changes cannot be altered")


@event.listens_for(Letter, "before_update")
def _refuse_changing_an_issued_letter(_mapper: Any, _connection: Any, letter: Letter) -> None:
    """Checked on every flush, so no code path can alter an issued letter's record."""
    state = inspect(letter)
    was_issued = state.attrs.status.history.deleted == ["issued"] or (
        letter.status == "issued" and not state.attrs.status.history.has_changes()
    )
    if was_issued and any(attr.history.has_changes() for attr in state.attrs
                          if attr.key not in {"response", "agency", "cycle"}):
        raise IssuedLetterError(f"letter {letter.reference} is issued and cannot be changed")


@event.listens_for(Letter, "before_delete")
def _refuse_deleting_an_issued_letter(_mapper: Any, _connection: Any, letter: Letter) -> None:
    if inspect(letter).attrs.status.loaded_value == "issued":
        raise IssuedLetterError(f"letter {letter.reference} is issued and cannot be deleted")
