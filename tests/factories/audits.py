"""Audit cycles and what is graded in them: rubric versions, samples, panels, audits and
final grades, and the small sampled partnership the panel, scoring and moderation tests share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.extensions import db
from qa_app.standards.grading import SubjectContext
from qa_app.standards.models import RubricVersion
from qa_app.standards.rubric import load_rubric
from qa_app.timeutil import academic_year
from tests.factories import register
from tests.factories.people import person

GOOD = 3
RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def rubric(rubric_id: str = "ehcp-plan", applies_to: str = "plan", good_or_better: int = GOOD
           ) -> RubricVersion:
    """A stored rubric version with no criteria: enough for figures counted from final grades."""
    row = RubricVersion(rubric_id=rubric_id, version="1", title=rubric_id, applies_to=applies_to,
                        content_hash="0" * 64, body={"good_or_better": good_or_better})
    db.session.add(row)
    db.session.flush()
    return row


def shipped_rubrics() -> dict[str, int]:
    """The rubrics in rubrics/, loaded as `rubrics load` does; the current version id of each."""
    from qa_app.standards.operations import load_rubric_files

    result = load_rubric_files()
    db.session.flush()
    return {rubric_id: version.id for rubric_id, version in result.current.items()}


def judged_ids(rubric_file: str, nc_year: int = 3, plan_kind: str = "new") -> list[str]:
    """The criteria an auditor grades for such a subject, read from the shipped rubric file."""
    rubric_ = load_rubric(RUBRICS / rubric_file)
    ctx = SubjectContext(nc_year=nc_year, plan_kind=plan_kind)
    return [c.id for c in rubric_.criteria_for(ctx) if c.is_judged]


def cycle(name: str = "Autumn term 2025", start: date = date(2025, 9, 1),
          end: date = date(2025, 12, 19), *, status: str | None = None) -> Cycle:
    row = Cycle(name=name, start_date=start, end_date=end, academic_year=academic_year(start))
    if status is not None:
        row.status = status
    db.session.add(row)
    db.session.flush()
    return row


def sampled_cycle(plan_ids: list[int], advice_ids: list[int],
                  name: str = "Autumn term 2025") -> Cycle:
    """An open autumn cycle whose sample is exactly these plans and advice."""
    row = cycle(name)
    items = [SampleItem(plan_id=i, stratum="plan") for i in plan_ids]
    items += [SampleItem(advice_id=i, stratum="advice") for i in advice_ids]
    db.session.add(Sample(cycle_id=row.id, seed=1, size=len(plan_ids), items=items))
    db.session.flush()
    return row


def final_grade(rubric_version_id: int, grade: int, *, cycle_id: int | None = None,
                year: str = "2025/26", plan_id: int | None = None, advice_id: int | None = None,
                criteria: dict[str, int] | None = None, good: bool | None = None,
                method: str = "agreed") -> FinalGrade:
    """`good` defaults to grade >= 3; pass it to store data the limiting rule must correct."""
    row = FinalGrade(
        cycle_id=cycle_id, plan_id=plan_id, advice_id=advice_id,
        rubric_version_id=rubric_version_id, academic_year=year, audit_date=date(2025, 12, 1),
        grade=grade, good_or_better=grade >= GOOD if good is None else good, method=method,
        criteria=[FinalCriterionGrade(criterion_id=c, grade=g, good_or_better=g >= GOOD)
                  for c, g in (criteria or {}).items()],
    )
    db.session.add(row)
    db.session.flush()
    return row


def panel_audit(rubric_version_id: int, cycle_id: int, scores: dict[str, int | None], *,
                plan_id: int | None = None, advice_id: int | None = None,
                status: str = "submitted", source: str = "panel") -> Audit:
    row = Audit(cycle_id=cycle_id, plan_id=plan_id, advice_id=advice_id,
                rubric_version_id=rubric_version_id, status=status, source=source,
                scores=[AuditScore(criterion_id=c, grade=g) for c, g in scores.items()])
    db.session.add(row)
    db.session.flush()
    return row


def agreed_grade(cycle_: Cycle, version_id: int, *, plan_id: int | None = None,
                 advice_id: int | None = None, grade: int, criteria: dict[str, int],
                 notes: dict[str, str], auditor_id: int) -> FinalGrade:
    """A final grade finalised at the end of the cycle, with the submitted audit behind it
    (whose evidence holds the auditor's notes the letters quote)."""
    final = FinalGrade(
        cycle_id=cycle_.id, plan_id=plan_id, advice_id=advice_id, rubric_version_id=version_id,
        academic_year=cycle_.academic_year, audit_date=cycle_.end_date, grade=grade,
        good_or_better=grade >= GOOD, method="agreed", finalised_at=datetime(2025, 12, 10),
        criteria=[FinalCriterionGrade(criterion_id=c, grade=g, good_or_better=g >= GOOD)
                  for c, g in criteria.items()],
    )
    audit = Audit(
        cycle_id=cycle_.id, plan_id=plan_id, advice_id=advice_id, auditor_id=auditor_id,
        rubric_version_id=version_id, status="submitted", computed_grade=grade,
        audit_date=cycle_.end_date, submitted_at=datetime(2025, 12, 1),
        scores=[AuditScore(criterion_id=c, grade=g, evidence=notes.get(c))
                for c, g in criteria.items()],
    )
    db.session.add_all([final, audit])
    db.session.flush()
    return final


@dataclass(frozen=True)
class World:
    cycle_id: int
    agencies: dict[str, int]
    users: dict[str, int]
    emails: dict[str, str]
    plan_ids: list[int]
    advice_ids: list[int]


AUDITORS = {
    "ep1": "Educational Psychology Service",
    "ep2": "Educational Psychology Service",
    "health1": "Community Paediatrics",
    "health2": "Community Paediatrics",
    "social1": "Children's Social Care",
    "casework1": "SEND Casework Team",
}


def panel_world(plans: int = 2, advice: bool = True,
                auditors: dict[str, str] | None = None) -> World:
    """Agencies, a manager, two chairs, auditors, plans with advice, a cycle and its sample."""
    shipped_rubrics()
    agencies = {
        "SEND Casework Team": register.agency("SEND Casework Team", "local_authority").id,
        "Educational Psychology Service": register.agency(
            "Educational Psychology Service", "education").id,
        "Community Paediatrics": register.agency("Community Paediatrics", "health").id,
        "Children's Social Care": register.agency("Children's Social Care", "social_care").id,
    }
    people = {"manager": person("qi_manager"), "admin": person("admin"),
              "chair": person("panel_chair", name="Chair One"),
              "other_chair": person("panel_chair", name="Chair Two")}
    for key, agency_name in (auditors or AUDITORS).items():
        people[key] = person("auditor", agencies[agency_name], f"{key}@example.org")
    plan_ids, advice_ids = [], []
    for number in range(plans):
        row = register.plan(agencies["SEND Casework Team"], ref=f"EHCP-W-{number:03d}",
                            nc_year=9 if number == 0 else 3)
        plan_ids.append(row.id)
        if advice:
            advice_ids.append(register.advice(
                row.id, agencies["Community Paediatrics"], advice_type="health",
                received=date(2025, 10, 30)).id)
            advice_ids.append(register.advice(
                row.id, agencies["Educational Psychology Service"],
                advice_type="educational_psychology", received=date(2025, 10, 13)).id)
    cycle_id = sampled_cycle(plan_ids, advice_ids).id
    return World(cycle_id, agencies, {k: v.id for k, v in people.items()},
                 {k: v.email for k, v in people.items()}, plan_ids, advice_ids)


def panel(world: World, members: list[str] | None = None, assign: bool = True) -> Panel:
    """The world's autumn panel, chaired by its first chair, with its sample assigned."""
    from qa_app.audits.panels.assignment import assign_panel
    from qa_app.audits.panels.operations import create_panel

    row = create_panel(
        cycle_id=world.cycle_id, name="Autumn panel", chair_id=world.users["chair"],
        auditor_ids=[world.users[k] for k in (members or list(AUDITORS))])
    if assign:
        assign_panel(row)
    db.session.flush()
    return row
