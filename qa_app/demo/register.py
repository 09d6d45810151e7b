"""The demo register: about 300 pseudonymous plans and each agency's advice for them."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from qa_app.demo.people import (
    BROOKSIDE,
    CASEWORK,
    EP_SERVICE,
    OAKFIELD,
    PAEDIATRICS,
    PROFILES,
    SOCIAL_CARE,
    ST_AIDANS,
    THERAPIES,
    AgencyProfile,
)
from qa_app.extensions import db
from qa_app.register.models import Advice, AdviceException, Agency, Plan, PlanKind

PLAN_COUNT = 300
ADVICE_DAYS = 42
ASSESSMENT_DAYS = 140
TRANSITION_YEARS = (5, 9)

OTHER_SETTINGS = {
    "early": ("Little Acorns Day Nursery", "Meadowbank Pre-school"),
    "primary": ("Hillcrest Primary School", "Castle Lane Junior School"),
    "secondary": ("Northfield High School", "Westgate Academy"),
    "post16": ("Riverside College", "Northgate Sixth Form College"),
}

EXCEPTION_NOTES = {
    AdviceException.EXCEPTIONAL_CIRCUMSTANCES: "Family bereavement; assessment postponed.",
    AdviceException.AWAY_FROM_AREA: "Family away from the area for five weeks.",
    AdviceException.MISSED_APPOINTMENT: "Assessment appointment missed; rebooked.",
}


@dataclass(frozen=True)
class PlanSpec:
    nc_year: int
    plan_kind: str
    request_date: date
    issue_date: date | None
    setting: str | None


def _year_weights() -> list[float]:
    """Transition years 5 and 9 are sampled and reported on, so the register holds more of them."""
    return [3.0 if y in TRANSITION_YEARS else 0.6 if y >= 12 else 1.0 for y in range(15)]


def _setting(rng: random.Random, nc_year: int) -> str | None:
    if rng.random() < 0.08:
        return None
    schools = [name for name in (OAKFIELD, ST_AIDANS, BROOKSIDE) if nc_year in _years(name)]
    if schools and rng.random() < 0.6:
        return rng.choice(schools)
    phase = "early" if nc_year <= 0 else "primary" if nc_year <= 6 else "secondary"
    return rng.choice(OTHER_SETTINGS["post16" if nc_year >= 12 else phase])


def _years(name: str) -> range:
    return PROFILES[name].nc_years or range(0)


def _issue_date(rng: random.Random, kind: str, requested: date, today: date) -> date | None:
    """New plans mostly meet the 20-week deadline; an annual review may not change the plan."""
    if kind == PlanKind.NEW:
        days = rng.randint(70, ASSESSMENT_DAYS) if rng.random() < 0.78 else rng.randint(141, 230)
    elif rng.random() < 0.3:
        return None
    else:
        days = rng.randint(28, 84)
    issued = requested + timedelta(days=days)
    return issued if issued <= today else None


def plan_specs(rng: random.Random, today: date, first_cycle_start: date) -> list[PlanSpec]:
    """Requests span ~14 months or more, reaching back far enough for the first cycle to
    sample."""
    first = min(today - timedelta(days=425), first_cycle_start - timedelta(days=200))
    span = (today - first).days
    specs = []
    for _ in range(PLAN_COUNT):
        nc_year = rng.choices(range(15), weights=_year_weights())[0]
        kind = PlanKind.NEW if rng.random() < 0.45 else PlanKind.ANNUAL_REVIEW
        requested = first + timedelta(days=rng.randint(0, span))
        issued = _issue_date(rng, kind, requested, today)
        specs.append(PlanSpec(nc_year, kind.value, requested, issued, _setting(rng, nc_year)))
    return sorted(specs, key=lambda s: (s.request_date, s.nc_year, s.plan_kind))


def _numbered(prefix: str, width: int, days: list[date]) -> list[str]:
    counters: Counter[int] = Counter()
    refs = []
    for day in days:
        counters[day.year] += 1
        refs.append(f"{prefix}-{day.year}-{counters[day.year]:0{width}d}")
    return refs


def create_plans(
    rng: random.Random, today: date, first_cycle_start: date, agencies: dict[str, Agency]
) -> list[Plan]:
    specs = plan_specs(rng, today, first_cycle_start)
    refs = _numbered("EHCP", 4, [s.request_date for s in specs])
    plans = [
        Plan(
            ref=ref,
            agency=agencies[CASEWORK],
            nc_year=s.nc_year,
            plan_kind=s.plan_kind,
            request_date=s.request_date,
            issue_date=s.issue_date,
            setting=s.setting,
        )
        for ref, s in zip(refs, specs, strict=True)
    ]
    db.session.add_all(plans)
    db.session.flush()
    return plans


def advice_agencies(rng: random.Random, plan: Plan) -> list[tuple[str, str]]:
    """(advice type, agency name) pairs requested for one plan."""
    health = PAEDIATRICS if rng.random() < 0.55 else THERAPIES
    wanted = [("educational_psychology", EP_SERVICE), ("health", health)]
    if rng.random() < 0.6:
        wanted.append(("social_care", SOCIAL_CARE))
    if plan.setting in (OAKFIELD, ST_AIDANS, BROOKSIDE):
        wanted.append(("education_setting", plan.setting))
    return wanted


@dataclass(frozen=True)
class AdviceSpec:
    plan: Plan
    advice_type: str
    agency: str
    requested: date
    received: date | None
    exception: AdviceException | None
    agency_grade: int | None


def _received(rng: random.Random, profile: AgencyProfile, due: date, today: date) -> date | None:
    if rng.random() < 0.015:
        return None
    if rng.random() < profile.p_late:
        received = due + timedelta(days=rng.randint(1, profile.max_days_late))
    else:
        received = due - timedelta(days=rng.randint(0, 21))
    return received if received <= today else None


def agency_grade(rng: random.Random, p_good: float) -> int | None:
    """The agency's own assurance, a little kinder than the panel's."""
    if rng.random() < 0.12:
        return None
    if rng.random() < min(p_good + 0.12, 0.97):
        return 4 if rng.random() < 0.3 else 3
    return 2 if rng.random() < 0.85 else 1


def _advice_spec(rng: random.Random, plan: Plan, kind: str, name: str, today: date) -> AdviceSpec:
    profile = PROFILES[name]
    requested = min((plan.request_date or today) + timedelta(days=rng.randint(0, 7)), today)
    received = _received(rng, profile, requested + timedelta(days=ADVICE_DAYS), today)
    late = received is not None and received > requested + timedelta(days=ADVICE_DAYS)
    exception = rng.choice(list(AdviceException)) if late and rng.random() < 0.12 else None
    return AdviceSpec(
        plan, kind, name, requested, received, exception, agency_grade(rng, profile.p_good)
    )


def create_advice(
    rng: random.Random, today: date, plans: list[Plan], agencies: dict[str, Agency]
) -> list[Advice]:
    specs = [
        _advice_spec(rng, plan, kind, name, today)
        for plan in plans
        for kind, name in advice_agencies(rng, plan)
    ]
    specs.sort(key=lambda s: (s.requested, s.plan.ref, s.advice_type))
    refs = _numbered("ADV", 5, [s.requested for s in specs])
    advice = [
        Advice(
            ref=ref,
            plan=s.plan,
            agency=agencies[s.agency],
            advice_type=s.advice_type,
            requested_date=s.requested,
            due_date=s.requested + timedelta(days=ADVICE_DAYS),
            received_date=s.received,
            agency_grade=s.agency_grade if s.received else None,
            exception=s.exception.value if s.exception else None,
            exception_note=EXCEPTION_NOTES[s.exception] if s.exception else None,
        )
        for ref, s in zip(refs, specs, strict=True)
    ]
    db.session.add_all(advice)
    db.session.flush()
    return advice
