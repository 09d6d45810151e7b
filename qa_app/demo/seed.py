"""Seed a deterministic synthetic partnership: register, audit cycles, audits and final grades.

Everything is drawn from ``random.Random(SEED)`` and the ``today`` passed in, so two runs on
the same day give identical data. The cycles are the two terms that ended most recently
(audited and finalised) and the term under way, if any (sample drawn, panel set up), so the
partnership looks live whenever it is seeded. Rows are added and flushed on ``db.session``;
the caller commits once.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.panels.models import Panel, PanelMember
from qa_app.auth.models import Role, User
from qa_app.demo.library import examples_for, mark_examples
from qa_app.demo.panels import PanelRun, Standards, Subject, audit_panel, stratum
from qa_app.demo.people import DEMO_USERS, DemoUser, create_agencies, create_users
from qa_app.demo.register import TRANSITION_YEARS, create_advice, create_plans
from qa_app.demo.terms import recent_terms
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from qa_app.standards.models import RubricVersion
from qa_app.timeutil import academic_year

__all__ = ["DEMO_USERS", "DemoSummary", "DemoUser", "demo_cycles", "seed_partnership"]

SEED = 2025
SAMPLE_PLANS = 30
SAMPLE_TRANSITION_PLANS = 10
MIN_DAYS_SINCE_REQUEST = 56


@dataclass(frozen=True)
class CycleSpec:
    name: str
    start: date
    end: date
    sample_seed: int
    improvement: float
    chair_email: str


IMPROVEMENT = (0.0, 0.07, 0.12)
"""How much better each cycle's work is than the first's (later panels see the letters bite)."""
CHAIRS = ("chair.one@example.org", "chair.two@example.org")


def demo_cycles(today: date) -> list[CycleSpec]:
    """One cycle per recent term; each is sampled with a seed taken from its start date."""
    return [
        CycleSpec(term.name, term.start, term.end, int(term.start.strftime("%Y%m%d")),
                  IMPROVEMENT[index], CHAIRS[index % len(CHAIRS)])
        for index, term in enumerate(recent_terms(today))
    ]  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    users: int
    plans: int
    advice: int
    cycles: int
    sample_items: int
    panels: int
    audits: int
    audit_scores: int
    final_grades: int
    good_practice_examples: int


def seed_partnership(today: date, rubric_versions: dict[str, RubricVersion]) -> DemoSummary:
    """Build the whole demo partnership; with no rubric versions, cycles are left unaudited."""
    rng = random.Random(SEED)
    cycles = demo_cycles(today)
    agencies = create_agencies()
    users = create_users()
    plans = create_plans(rng, today, cycles[0].start, agencies)
    advice = create_advice(rng, today, plans, agencies)
    standards = Standards.from_versions(rubric_versions)
    counts: Counter[str] = Counter()
    sampled: set[int] = set()
    for position, spec in enumerate(cycles):
        _seed_cycle(rng, today, spec, plans, users, standards, sampled, counts, position)
    db.session.flush()
    summary = DemoSummary(
        agencies=len(agencies),
        users=len(users),
        plans=len(plans),
        advice=len(advice),
        cycles=len(cycles),
        sample_items=counts["sample_items"],
        panels=counts["panels"],
        audits=counts["audits"],
        audit_scores=counts["audit_scores"],
        final_grades=counts["final_grades"],
        good_practice_examples=counts["examples"],
    )
    audit_log.record("demo.seed", "partnership", "demo", changes=asdict(summary))
    return summary


def draw_sample(
    spec: CycleSpec, plans: list[Plan], sampled: set[int]
) -> tuple[list[Plan], dict[str, int]]:
    """Stratified and reproducible from the cycle's seed; plans sampled before are skipped.
    Also returns the eligible plans per stratum, which weight the partnership's plans rate."""
    rng = random.Random(spec.sample_seed)
    latest = spec.start - timedelta(days=MIN_DAYS_SINCE_REQUEST)
    unsampled = [p for p in plans if p.id not in sampled]
    eligible = [p for p in unsampled if p.request_date and p.request_date <= latest]
    if len(eligible) < SAMPLE_PLANS:
        eligible = sorted(unsampled, key=lambda p: (p.request_date or spec.end, p.ref))
        eligible = eligible[: 2 * SAMPLE_PLANS]
    transition = [p for p in eligible if stratum(p) == "transition_year"]
    other = [p for p in eligible if stratum(p) == "other"]
    chosen = rng.sample(transition, min(SAMPLE_TRANSITION_PLANS, len(transition)))
    chosen += rng.sample(other, min(SAMPLE_PLANS - len(chosen), len(other)))
    population = {"transition_year": len(transition), "other": len(other)}
    return sorted(chosen, key=lambda p: p.ref), population


def _auditable_advice(plan: Plan, panel_date: date) -> list[Advice]:
    """Advice that had arrived in time for auditors to read it before the panel met."""
    cutoff = panel_date - timedelta(days=2)
    received = [a for a in plan.advice if a.received_date and a.received_date <= cutoff]
    return sorted(received, key=lambda a: a.ref)


def _seed_cycle(
    rng: random.Random,
    today: date,
    spec: CycleSpec,
    plans: list[Plan],
    users: dict[str, User],
    standards: Standards,
    sampled: set[int],
    counts: Counter[str],
    position: int,
) -> None:
    """A cycle, then once it has begun its sample and panel, and once ended its audits and
    the examples of good practice marked from them (before it closed, as the library asks)."""
    closed = spec.end < today
    cycle = Cycle(
        name=spec.name,
        start_date=spec.start,
        end_date=spec.end,
        academic_year=academic_year(spec.start),
        status="open",
    )
    db.session.add(cycle)
    db.session.flush()
    if spec.start > today:
        return
    panel_date = spec.end - timedelta(days=7)
    chosen, population = draw_sample(spec, plans, sampled)
    sampled.update(p.id for p in chosen)
    subjects: list[Subject] = []
    items: list[SampleItem] = []
    for plan in chosen:
        subjects.append(plan)
        items.append(SampleItem(plan_id=plan.id, stratum=stratum(plan)))
        for advice in _auditable_advice(plan, panel_date):
            subjects.append(advice)
            items.append(SampleItem(advice_id=advice.id, stratum=f"advice:{advice.advice_type}"))
    qi_manager = users["qi.manager@example.org"]
    db.session.add(
        Sample(
            cycle_id=cycle.id,
            seed=spec.sample_seed,
            size=len(chosen),
            parameters={
                "plans": SAMPLE_PLANS,
                "transition_years": list(TRANSITION_YEARS),
                "transition_plans": SAMPLE_TRANSITION_PLANS,
                "include_advice": True,
                "min_days_since_request": MIN_DAYS_SINCE_REQUEST,
                "skip_previously_sampled": True,
                "stratum_population": population,
                "strata": dict(Counter(stratum(p) for p in chosen)),
            },
            drawn_at=datetime.combine(spec.start, time(9, 0)),
            drawn_by_id=qi_manager.id,
            items=items,
        )
    )
    auditors = sorted((u for u in users.values() if u.role == Role.AUDITOR), key=lambda u: u.email)
    chair = users[spec.chair_email]
    panel = Panel(
        cycle_id=cycle.id,
        name=f"{spec.name} multi-agency panel",
        chair_id=chair.id,
        meeting_date=panel_date,
        members=[PanelMember(user_id=a.id) for a in auditors],
    )
    db.session.add(panel)
    db.session.flush()
    counts.update(sample_items=len(items), panels=1)
    if not closed:
        return
    run = PanelRun(cycle, panel, chair, auditors, spec.improvement)
    counts.update(audit_panel(rng, run, subjects, standards))
    counts.update(examples=mark_examples(run, examples_for(position)))
    cycle.status = "closed"
    db.session.flush()
