"""A small audited partnership for the letter tests: two cycles, final grades, auditors'
notes, the current cycle's figures stored by the real aggregation (so they equal a recount)
and hand-written figures for the previous cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.extensions import db
from tests.factories.audits import agreed_grade, cycle, shipped_rubrics
from tests.factories.people import user
from tests.factories.register import advice, agency, plan
from tests.factories.reporting import cycle_rates

HOSTILE_NOTES = [
    "<script>alert('x')</script> outcomes are vague",
    "<para>outcomes</para> & <b>not</b> measurable </para>",
    "outcomes read well 😀👍🏽 but are not time-bound",
    "התוצאות אינן ברורות — النتائج غير واضحة",
    "outcomes " + "long " * 999,
]


@dataclass
class Partnership:
    cycle_id: int
    previous_id: int
    casework_id: int
    health_id: int
    other_id: int
    chair_email: str
    manager_email: str
    health_lead_email: str
    other_lead_email: str
    health_grade_ids: list[int] = field(default_factory=list)
    other_grade_ids: list[int] = field(default_factory=list)


def aggregate(cycle_id: int) -> None:
    """Store the cycle's figures the way the aggregation job does, committing as it does."""
    from qa_app.reporting.operations import run_aggregation

    db.session.commit()
    run_aggregation("cycle", str(cycle_id))
    db.session.commit()


def regrade(grade_id: int, grade: int) -> None:
    """Change a final grade the way a chair's correction does, without recalculating."""
    final = db.session.get(FinalGrade, grade_id)
    final.grade, final.good_or_better = grade, grade >= 3
    db.session.commit()


def letter_partnership(notes: list[str] | None = None) -> Partnership:
    """Casework (plans), Community Paediatrics (health advice) and a second advice agency;
    commits, as the autumn figures are stored by the aggregation job."""
    casework = agency("SEND Casework Team", "local_authority")
    health = agency("Community Paediatrics", "health")
    other = agency("Educational Psychology Service", "education")
    chair = user("panel_chair")
    manager = user("qi_manager")
    auditor = user("auditor", casework.name)
    health_lead = user("agency_lead", health.name)
    other_lead = user("agency_lead", other.name)
    plans = [plan(casework.id, ref=f"EHCP-L-{i:04d}") for i in range(1, 4)]
    health_advice = [advice(plans[i % 3].id, health.id) for i in range(4)]
    other_advice = [advice(plans[0].id, other.id, advice_type="educational_psychology")]
    versions = shipped_rubrics()
    previous = cycle("Summer term 2025", date(2025, 4, 22), date(2025, 7, 18), status="closed")
    autumn = cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19), status="closed")
    db.session.add(Panel(cycle_id=autumn.id, name="Autumn panel", chair_id=chair.id))
    data = Partnership(autumn.id, previous.id, casework.id, health.id, other.id, chair.email,
                       manager.email, health_lead.email, other_lead.email)
    outcome_notes = list(notes if notes is not None else [
        "Outcomes describe services rather than what will change.",
        "Outcomes are broad and not time-bound.",
    ])
    for index, row in enumerate(plans):
        agreed_grade(autumn, versions["ehcp-plan"], plan_id=row.id, grade=3 if index else 2,
                     criteria={"child_voice": 3, "outcomes": 2 if index == 0 else 3},
                     notes={"child_voice": "The child's own words shape every section."},
                     auditor_id=auditor.id)
    for index, row in enumerate(health_advice):
        note = outcome_notes[index % len(outcome_notes)] if outcome_notes else None
        data.health_grade_ids.append(agreed_grade(
            autumn, versions["advice-health"], advice_id=row.id, grade=3 if index else 2,
            criteria={"child_voice": 4, "outcomes": 3 if index == 3 else 2, "provision": 3},
            notes={"child_voice": "Views gathered directly and quoted in full.",
                   "outcomes": note or ""}, auditor_id=auditor.id).id)
    for row in other_advice:
        data.other_grade_ids.append(agreed_grade(
            autumn, versions["advice-educational-psychology"], advice_id=row.id, grade=4,
            criteria={"child_voice": 4, "outcomes": 4}, notes={}, auditor_id=auditor.id).id)
    aggregate(autumn.id)
    cycle_rates(previous.id, [
        (health.id, "advice_good_or_better", "all", "", 5, 2, 80.0, "red"),
        (health.id, "advice_on_time", "all", "", 5, 4, 80.0, "green"),
    ])
    return data
