"""A small audited partnership for the letter tests: two cycles, final grades, auditors'
notes, the current cycle's figures stored by the real aggregation (so they equal a recount)
and hand-written figures for the previous cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask

from qa_app.extensions import db
from tests import factories as make

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


def _versions() -> dict[str, int]:
    from qa_app.standards.operations import load_rubric_files

    result = load_rubric_files()
    return {rubric_id: version.id for rubric_id, version in result.current.items()}


def _grade(cycle, version_id: int, *, plan_id=None, advice_id=None, grade: int,  # noqa: ANN001
           criteria: dict[str, int], notes: dict[str, str], auditor_id: int) -> int:
    from qa_app.audits.models import (
        Audit,
        AuditScore,
        FinalCriterionGrade,
        FinalGrade,
    )

    final = FinalGrade(
        cycle_id=cycle.id, plan_id=plan_id, advice_id=advice_id, rubric_version_id=version_id,
        academic_year=cycle.academic_year, audit_date=cycle.end_date, grade=grade,
        good_or_better=grade >= 3, method="agreed", finalised_at=datetime(2025, 12, 10),
        criteria=[FinalCriterionGrade(criterion_id=c, grade=g, good_or_better=g >= 3)
                  for c, g in criteria.items()],
    )
    audit = Audit(
        cycle_id=cycle.id, plan_id=plan_id, advice_id=advice_id, auditor_id=auditor_id,
        rubric_version_id=version_id, status="submitted", computed_grade=grade,
        audit_date=cycle.end_date, submitted_at=datetime(2025, 12, 1),
        scores=[AuditScore(criterion_id=c, grade=g, evidence=notes.get(c))
                for c, g in criteria.items()],
    )
    db.session.add_all([final, audit])
    db.session.flush()
    return final.id


def rates(cycle_id: int, rows: list[tuple[int, str, str, str, int, int, float | None,
                                           str | None]], computed: datetime | None = None) -> int:
    """Write an aggregation run for a cycle as the aggregation job would."""
    from qa_app.reporting.models import AggregationRun, RateSnapshot

    run = AggregationRun(period_kind="cycle", period_key=str(cycle_id),
                         inputs_hash=f"test-{cycle_id}-{len(rows)}-{computed}",
                         computed_at=computed or datetime(2025, 12, 12))
    db.session.add(run)
    db.session.flush()
    for agency_id, measure, scope, breakdown, n, good, target, rag in rows:
        db.session.add(RateSnapshot(run_id=run.id, measure=measure, scope=scope,
                                    breakdown=breakdown, agency_id=agency_id, n=n, good=good,
                                    rate=100 * good / n, target=target, rag=rag))
    db.session.flush()
    return run.id


def aggregate(cycle_id: int) -> None:
    """Store the cycle's figures the way the aggregation job does, from the grades above."""
    from qa_app.reporting.operations import run_aggregation

    db.session.commit()
    run_aggregation("cycle", str(cycle_id))
    db.session.commit()


def regrade(grade_id: int, grade: int) -> None:
    """Change a final grade the way a chair's correction does, without recalculating."""
    from qa_app.audits.models import FinalGrade

    final = db.session.get(FinalGrade, grade_id)
    final.grade, final.good_or_better = grade, grade >= 3
    db.session.commit()


def regrade_in(app: Flask, grade_id: int, grade: int) -> None:
    with app.app_context():
        regrade(grade_id, grade)


def partnership(app: Flask, notes: list[str] | None = None) -> Partnership:
    """Casework (plans), Community Paediatrics (health advice) and a second advice agency."""
    from qa_app.audits.models import Cycle, Panel

    casework = make.agency(app, "SEND Casework Team", "local_authority")
    health = make.agency(app, "Community Paediatrics", "health")
    other = make.agency(app, "Educational Psychology Service", "education")
    chair = make.user(app, "panel_chair")
    manager = make.user(app, "qi_manager")
    auditor = make.user(app, "auditor", casework.label)
    health_lead = make.user(app, "agency_lead", health.label)
    other_lead = make.user(app, "agency_lead", other.label)
    plans = [make.plan(app, casework.id, ref=f"EHCP-L-{i:04d}") for i in range(1, 4)]
    health_advice = [make.advice(app, plans[i % 3].id, health.id) for i in range(4)]
    other_advice = [make.advice(app, plans[0].id, other.id,
                                advice_type="educational_psychology")]
    with app.app_context():
        versions = _versions()
        previous = Cycle(name="Summer term 2025", start_date=date(2025, 4, 22),
                         end_date=date(2025, 7, 18), academic_year="2024/25", status="closed")
        cycle = Cycle(name="Autumn term 2025", start_date=date(2025, 9, 1),
                      end_date=date(2025, 12, 19), academic_year="2025/26", status="closed")
        db.session.add_all([previous, cycle])
        db.session.flush()
        db.session.add(Panel(cycle_id=cycle.id, name="Autumn panel", chair_id=chair.id))
        data = Partnership(cycle.id, previous.id, casework.id, health.id, other.id, chair.label,
                           manager.label, health_lead.label, other_lead.label)
        outcome_notes = list(notes if notes is not None else [
            "Outcomes describe services rather than what will change.",
            "Outcomes are broad and not time-bound.",
        ])
        for index, plan in enumerate(plans):
            _grade(cycle, versions["ehcp-plan"], plan_id=plan.id, grade=3 if index else 2,
                   criteria={"child_voice": 3, "outcomes": 2 if index == 0 else 3},
                   notes={"child_voice": "The child's own words shape every section."},
                   auditor_id=auditor.id)
        for index, advice in enumerate(health_advice):
            note = outcome_notes[index % len(outcome_notes)] if outcome_notes else None
            data.health_grade_ids.append(_grade(
                cycle, versions["advice-health"], advice_id=advice.id, grade=3 if index else 2,
                criteria={"child_voice": 4, "outcomes": 3 if index == 3 else 2, "provision": 3},
                notes={"child_voice": "Views gathered directly and quoted in full.",
                       "outcomes": note or ""}, auditor_id=auditor.id))
        for advice in other_advice:
            data.other_grade_ids.append(_grade(
                cycle, versions["advice-educational-psychology"], advice_id=advice.id, grade=4,
                criteria={"child_voice": 4, "outcomes": 4}, notes={}, auditor_id=auditor.id))
        aggregate(cycle.id)
        rates(previous.id, [
            (health.id, "advice_good_or_better", "all", "", 5, 2, 80.0, "red"),
            (health.id, "advice_on_time", "all", "", 5, 4, 80.0, "green"),
        ])
        db.session.commit()
    return data
