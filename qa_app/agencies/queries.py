"""What the agency pages read: leads per agency, an agency's people, and what stands in the
way of deactivating one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, AgencyType, Plan

TYPE_WORDS = {
    AgencyType.LOCAL_AUTHORITY.value: "Local authority",
    AgencyType.EDUCATION.value: "Education",
    AgencyType.HEALTH.value: "Health",
    AgencyType.SOCIAL_CARE.value: "Social care",
    AgencyType.SETTING.value: "School or other setting",
}


@dataclass(frozen=True)
class AgencyRow:
    agency: Agency
    leads: int
    plans: int = 0

    @property
    def type_words(self) -> str:
        return TYPE_WORDS.get(self.agency.type, self.agency.type)


@dataclass(frozen=True)
class LeaderlessAgency:
    """An active agency with issued letters and nobody who can sign in to answer them."""

    agency: Agency
    letters: int
    awaiting: int


def _active_leads() -> object:
    return and_(User.role == Role.AGENCY_LEAD.value, User.active.is_(True))


def agency_rows() -> list[AgencyRow]:
    """Every agency with its number of active leads and of plans it owns, active agencies
    first."""
    leads = (
        select(User.agency_id, func.count().label("n")).where(_active_leads())
        .group_by(User.agency_id).subquery()
    )
    plans = (
        select(Plan.agency_id, func.count().label("n")).group_by(Plan.agency_id).subquery()
    )
    rows = db.session.execute(
        select(Agency, func.coalesce(leads.c.n, 0), func.coalesce(plans.c.n, 0))
        .outerjoin(leads, leads.c.agency_id == Agency.id)
        .outerjoin(plans, plans.c.agency_id == Agency.id)
        .order_by(Agency.active.desc(), func.lower(Agency.name))
    ).all()
    return [AgencyRow(agency, int(n), int(p)) for agency, n, p in rows]


def people_of(agency_id: int) -> tuple[list[User], list[User]]:
    """(active leads, everyone else of the agency), each by name."""
    users = db.session.execute(
        select(User).where(User.agency_id == agency_id)
        .order_by(func.lower(User.display_name), User.email)
    ).scalars().all()
    leads = [u for u in users if u.role == Role.AGENCY_LEAD.value and u.active]
    return leads, [u for u in users if u not in leads]


def letters_awaiting_response(agency_id: int, today: date) -> int:
    """The agency's current issued letters still waiting for its response (as the home
    pages count them)."""
    from qa_app.main.queries import awaiting_response, current_letters

    return len(awaiting_response(current_letters(today, agency_id)))


def open_cycles_sampling(agency_id: int) -> list[str]:
    """Names of open cycles whose sample holds the agency's plans or advice."""
    return list(db.session.execute(
        select(Cycle.name).distinct()
        .join(Sample, Sample.cycle_id == Cycle.id)
        .join(SampleItem, SampleItem.sample_id == Sample.id)
        .outerjoin(Plan, Plan.id == SampleItem.plan_id)
        .outerjoin(Advice, Advice.id == SampleItem.advice_id)
        .where(Cycle.status == "open",
               or_(Plan.agency_id == agency_id, Advice.agency_id == agency_id))
        .order_by(Cycle.name)
    ).scalars())


def active_accounts(agency_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User)
        .where(User.agency_id == agency_id, User.active.is_(True))
    ) or 0


def leaderless_agencies(lines: Sequence[object]) -> list[LeaderlessAgency]:
    """From the home page's current letter lines (main.queries.current_letters): the active
    agencies among them that have no active lead, by name."""
    from qa_app.main.queries import AWAITING_RESPONSE

    counts: dict[int, list[int]] = {}
    agencies: dict[int, Agency] = {}
    for line in lines:
        letter = line.letter  # type: ignore[attr-defined]
        tally = counts.setdefault(letter.agency_id, [0, 0])
        tally[0] += 1
        tally[1] += line.status.key in AWAITING_RESPONSE  # type: ignore[attr-defined]
        agencies[letter.agency_id] = letter.agency
    if not counts:
        return []
    led = set(db.session.execute(
        select(User.agency_id).where(_active_leads(), User.agency_id.in_(counts))
    ).scalars())
    found = [
        LeaderlessAgency(agencies[agency_id], *counts[agency_id])
        for agency_id in counts
        if agency_id not in led and agencies[agency_id].active
    ]
    return sorted(found, key=lambda row: row.agency.name.casefold())
