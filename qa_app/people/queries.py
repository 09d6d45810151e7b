"""Reads for the Users pages: the filtered list, agencies with no lead, a person's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select

from qa_app.audit_log import AuditLogEntry
from qa_app.auth.invitations import NO_PASSWORD, is_invited
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.history.words import SIGN_INS
from qa_app.register.models import Agency

STATUSES = {"active": "Active", "invited": "Invited", "deactivated": "Deactivated"}
STATUS_TAGS = {"active": "govuk-tag--green", "invited": "govuk-tag--blue",
               "deactivated": "govuk-tag--grey"}


@dataclass(frozen=True)
class UserFilters:
    search: str = ""
    role: str = ""
    agency_id: int | None = None
    status: str = ""

    @property
    def any(self) -> bool:
        return bool(self.search or self.role or self.agency_id or self.status)


def status_of(user: User) -> str:
    """Active, invited (not yet accepted their invitation) or deactivated."""
    if not user.active:
        return "deactivated"
    return "invited" if is_invited(user) else "active"


def users_query(filters: UserFilters) -> Select[tuple[User]]:
    query = select(User).order_by(func.lower(User.display_name), User.email, User.id)
    if filters.search:
        pattern = "%" + _escape_like(filters.search.strip().lower()) + "%"
        query = query.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                func.lower(User.display_name).like(pattern, escape="\\")))
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.agency_id is not None:
        query = query.where(User.agency_id == filters.agency_id)
    if filters.status == "deactivated":
        query = query.where(User.active.is_(False))
    elif filters.status == "invited":
        query = query.where(User.active.is_(True), User.password_hash == NO_PASSWORD)
    elif filters.status == "active":
        query = query.where(User.active.is_(True), User.password_hash != NO_PASSWORD)
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def open_agencies() -> list[Agency]:
    return list(db.session.execute(
        select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)).scalars())


def agencies_without_lead() -> list[Agency]:
    """Open agencies with no active agency lead who can sign in: their letters would wait
    with nobody to answer them. A lead still to accept an invitation does not count yet."""
    led = set(db.session.execute(
        select(User.agency_id)
        .where(User.role == Role.AGENCY_LEAD.value, User.active.is_(True),
               User.password_hash != NO_PASSWORD)
    ).scalars())
    return [agency for agency in open_agencies() if agency.id not in led]


def active_admin_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True))
    ).scalar_one()


@dataclass(frozen=True)
class HistoryLine:
    entry: AuditLogEntry
    by: User | None


def history_of(user: User, limit: int = 200) -> list[HistoryLine]:
    """What was done to this person's account, newest first (sign-ins are left out: the last
    one is shown on the page)."""
    entries = db.session.execute(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "user", AuditLogEntry.record_id == str(user.id),
               AuditLogEntry.action.not_in(SIGN_INS))
        .order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
        .limit(limit)
    ).scalars().all()
    ids = {e.user_id for e in entries if e.user_id is not None}
    people = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    return [HistoryLine(e, people.get(e.user_id) if e.user_id else None) for e in entries]


def day_in_words(day: date | None, today: date) -> str:
    """A date as people say it: "Today", "Yesterday", or "3 March 2026"; "Never" for none."""
    if day is None:
        return "Never"
    if day == today:
        return "Today"
    if (today - day).days == 1:
        return "Yesterday"
    return f"{day.day} {day:%B %Y}"


def local_day(at: Any) -> date | None:
    """The UK calendar day of a stored UTC instant."""
    if at is None:
        return None
    from datetime import UTC
    from zoneinfo import ZoneInfo

    return at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/London")).date()
