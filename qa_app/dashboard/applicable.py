"""Which measures apply to an agency, by its kind of work: the local authority writes the
plans, the other agencies give advice, so neither is offered the other's measures."""

from __future__ import annotations

from collections.abc import Iterable

from qa_app.extensions import db
from qa_app.register.models import Agency, AgencyType
from qa_app.reporting import measures as m

PLAN_MEASURES = frozenset({m.PLANS, m.ISSUED, m.CHILD_VOICE})
ADVICE_MEASURES = frozenset({m.ADVICE, m.ASSURED, m.ON_TIME, m.CHILD_VOICE})
"""Child voice is judged in plans and in advice alike, so it applies to both."""

BY_KIND: dict[str, frozenset[str]] = {
    AgencyType.LOCAL_AUTHORITY: PLAN_MEASURES,
    AgencyType.EDUCATION: ADVICE_MEASURES,
    AgencyType.HEALTH: ADVICE_MEASURES,
    AgencyType.SOCIAL_CARE: ADVICE_MEASURES,
    AgencyType.SETTING: ADVICE_MEASURES,
}


def agency_kind(agency_id: int | None) -> str | None:
    """The agency's type, or None for the whole partnership (or an unknown agency)."""
    if agency_id is None:
        return None
    return db.session.scalar(db.select(Agency.type).where(Agency.id == agency_id))


def applies(measure: str, kind: str | None) -> bool:
    """Every measure applies to the partnership and to an agency of a kind not listed."""
    return kind not in BY_KIND or measure in BY_KIND[kind]


def only_applicable(measures: Iterable[str], kind: str | None) -> list[str]:
    return [measure for measure in measures if applies(measure, kind)]
