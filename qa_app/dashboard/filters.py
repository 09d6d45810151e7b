"""The dashboard's filters, read from the URL so that any view can be shared as a link."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request
from flask_login import current_user

from qa_app.auth.models import Role
from qa_app.dashboard import queries
from qa_app.dashboard.applicable import agency_kind, applies, only_applicable
from qa_app.inputs import query_int
from qa_app.reporting import measures as m

AGENCY_MEASURES = [m.ADVICE, m.ON_TIME, m.CHILD_VOICE, m.ASSURED, m.PLANS, m.ISSUED]
ADVICE_TYPES = ["educational_psychology", "health", "social_care", "education_setting"]


@dataclass(frozen=True)
class Filters:
    year: str | None
    cycle_id: int | None
    agency_id: int | None
    measure: str
    advice_type: str | None
    heat: str
    heat_all: bool = False
    agency_kind: str | None = None

    @property
    def measures(self) -> list[str]:
        """The measures agencies can be compared on that apply to the chosen agency."""
        return only_applicable(AGENCY_MEASURES, self.agency_kind)

    @property
    def period_kind(self) -> str:
        return "cycle" if self.cycle_id else "academic_year"

    @property
    def period_key(self) -> str | None:
        return str(self.cycle_id) if self.cycle_id else self.year

    @property
    def agency_scope(self) -> str:
        if self.measure == m.ADVICE and self.advice_type:
            return f"advice_type:{self.advice_type}"
        return "all"

    def args(self, **changes: object) -> dict[str, object]:
        """URL arguments of these filters, with some changed; empty ones left out."""
        values: dict[str, object] = {
            "year": self.year, "cycle": self.cycle_id, "agency": self.agency_id,
            "measure": self.measure if self.measure != m.ADVICE else None,
            "advice_type": self.advice_type, "heat": self.heat if self.heat != "advice" else None,
            "heat_all": 1 if self.heat_all else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def read_filters(request: Request) -> Filters:
    """Unknown or stale values fall back to the defaults rather than failing."""
    years = queries.academic_years()
    year = request.args.get("year")
    year = year if year in years else (years[0] if years else None)
    cycle_id = query_int("cycle")
    if cycle_id is not None and year and cycle_id not in {c.id for c in queries.cycles_in(year)}:
        cycle_id = None
    agency_id = query_int("agency")
    if current_user.role == Role.AGENCY_LEAD:
        agency_id = current_user.agency_id
    kind = agency_kind(agency_id)
    fallback = m.ADVICE if applies(m.ADVICE, kind) else only_applicable(AGENCY_MEASURES, kind)[0]
    measure = request.args.get("measure", fallback)
    measure = measure if measure in AGENCY_MEASURES and applies(measure, kind) else fallback
    advice_type = request.args.get("advice_type")
    advice_type = advice_type if advice_type in ADVICE_TYPES else None
    heat = "plan" if request.args.get("heat") == "plan" else "advice"
    heat_all = request.args.get("heat_all") == "1"
    return Filters(year, cycle_id, agency_id, measure, advice_type, heat, heat_all, kind)
