"""Partnerships for the learning brief and the case timeline.

`learning_world`: two cycles of final grades by criterion (a summer and an autumn cycle),
graded for the casework team's plans, health advice and educational psychology advice, so
that some criteria improve, some fall and some are counted on too few grades to compare.

`timeline_world`: one plan with health and psychology advice, audited, moderated, changed
and cited in letters at known moments, plus another agency's plan, for the case timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from qa_app import audit_log
from qa_app.audits.cycles.models import Sample, SampleItem
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.letters.models import Letter, LetterResponse
from tests.factories.audits import GOOD, agreed_grade, cycle, shipped_rubrics
from tests.factories.people import person
from tests.factories.register import advice, agency, plan

AUTUMN = {
    "plans": {"child_voice": [3, 2, 2, 3, 3, 2], "outcomes": [2, 2, 3, 3, 3, 3],
              "provision": [1, 3, 3, 3, 3, 3], "needs": [3, 3, 3, 3, 3, 3]},
    "health": {"child_voice": [3, 3, 3, 3, 3, 3], "outcomes": [2, 2, 2, 2, 3, 3],
               "timeliness": [2, 3, 3, 3, 3, 3]},
    "psychology": {"outcomes": [3, 3, 2], "aspirations": [2, 2, 3]},
}
SUMMER = {
    "plans": {"child_voice": [2, 2, 2, 2, 3, 3], "outcomes": [2, 2, 2, 3, 3, 3],
              "provision": [3, 3, 3, 3, 3, 3], "needs": [2, 3, 3, 3, 3, 3]},
    "health": {"child_voice": [2, 2, 3, 3, 3, 3], "outcomes": [3, 3, 3, 3, 3, 3]},
    "psychology": {"aspirations": [2, 3, 3]},
}
"""Across the partnership, plans apart from advice: child voice rises in plans (2 to 3 of 6
good or better) and in advice (4 to 6 of 6), plans' outcomes rise (3 to 4 of 6) while
advice's fall (6 of 6 to 4 of 9), plans' needs rise (5 to 6 of 6) and provision falls;
aspirations is graded on three pieces of advice in each cycle: too few to compare."""


@dataclass
class LearningWorld:
    cycle_id: int
    previous_id: int
    manager_email: str
    manager_id: int
    lead_email: str
    auditor_email: str


def _grade_cycle(cycle_row, grades: dict[str, dict[str, list[int]]], who: dict[str, int],
                 plans: list[int], versions: dict[str, int], auditor_id: int) -> None:
    rubrics = {"plans": "ehcp-plan", "health": "advice-health",
               "psychology": "advice-educational-psychology"}
    kinds = {"health": "health", "psychology": "educational_psychology"}
    for key, by_criterion in grades.items():
        count = len(next(iter(by_criterion.values())))
        for index in range(count):
            criteria = {c: values[index] for c, values in by_criterion.items()}
            subject = ({"plan_id": plans[index]} if key == "plans" else {
                "advice_id": advice(plans[index], who[key], advice_type=kinds[key],
                                    received=date(2025, 10, 1)).id})
            agreed_grade(cycle_row, versions[rubrics[key]], grade=min(criteria.values()),
                         criteria=criteria, notes={}, auditor_id=auditor_id, **subject)


def learning_world(*, open_cycle: bool = False) -> LearningWorld:
    """Commits. The autumn cycle is closed (its grades final) unless `open_cycle`."""
    casework = agency("SEND Casework Team", "local_authority")
    health = agency("Community Paediatrics", "health")
    psychology = agency("Educational Psychology Service", "education")
    manager = person("qi_manager", name="Morgan Manager")
    lead = person("agency_lead", health.id)
    auditor = person("auditor", casework.id)
    versions = shipped_rubrics()
    who = {"health": health.id, "psychology": psychology.id}
    summer = cycle("Summer term 2025", date(2025, 4, 22), date(2025, 7, 18), status="closed")
    autumn = cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19),
                   status="open" if open_cycle else "closed")
    for row, grades in ((summer, SUMMER), (autumn, AUTUMN)):
        plans = [plan(casework.id).id for _ in range(6)]
        _grade_cycle(row, grades, who, plans, versions, auditor.id)
    db.session.commit()
    return LearningWorld(autumn.id, summer.id, manager.email, manager.id, lead.email,
                         auditor.email)


@dataclass
class TimelineWorld:
    plan_id: int
    plan_ref: str
    other_plan_id: int
    health_advice_ref: str
    psychology_advice_ref: str
    manager_email: str
    casework_lead_email: str
    health_lead_email: str
    psychology_lead_email: str
    auditor_email: str
    expected: list[tuple[datetime, str, str]]
    """(when, what, a reference or name the event gives), oldest first, as staff see it."""


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 11, day, hour)


def _final(cycle_id: int, version_id: int, grade: int, at: datetime, action: str,
           **subject: int) -> FinalGrade:
    row = FinalGrade(cycle_id=cycle_id, rubric_version_id=version_id, academic_year="2025/26",
                     audit_date=at.date(), grade=grade, good_or_better=grade >= GOOD,
                     method=action.split(".")[1], finalised_at=at,
                     criteria=[FinalCriterionGrade(criterion_id="child_voice", grade=grade,
                                                   good_or_better=grade >= GOOD)], **subject)
    db.session.add(row)
    db.session.flush()
    entry = audit_log.record(action, "final_grade", row.id, changes={"grade": grade},
                             reason="The auditors differed on outcomes"
                             if action == "final_grade.moderated" else None)
    entry.at = at
    return row


def _audit(cycle_id: int, version_id: int, grade: int, at: datetime, auditor_id: int,
           **subject: int) -> Audit:
    row = Audit(cycle_id=cycle_id, rubric_version_id=version_id, status="submitted",
                computed_grade=grade, audit_date=at.date(), submitted_at=at,
                auditor_id=auditor_id, **subject)
    db.session.add(row)
    return row


def _letter(cycle_id: int, agency_id: int, refs: list[str], at: datetime) -> Letter:
    """Issued, as issuing leaves it: with the agency's response not yet sent."""
    row = Letter(agency_id=agency_id, cycle_id=cycle_id, status="issued",
                 reference=f"QA/{cycle_id}/{agency_id}/1", letter_date=at.date(),
                 content={"facts": {"items": [{"reference": r} for r in refs]}},
                 pdf=b"%PDF-1.4", sha256="0" * 64, issued_at=at,
                 response=LetterResponse(due_date=at.date() + timedelta(days=28)))
    db.session.add(row)
    return row


def timeline_world() -> TimelineWorld:
    """Commits. The plan's events, as staff see them, are `expected` in date order."""
    casework = agency("SEND Casework Team", "local_authority")
    health = agency("Community Paediatrics", "health")
    psychology = agency("Educational Psychology Service", "education")
    other = agency("Another Casework Team", "local_authority")
    versions = shipped_rubrics()
    manager = person("qi_manager")
    auditor = person("auditor", casework.id)
    leads = {name: person("agency_lead", row.id)
             for name, row in (("casework", casework), ("health", health),
                               ("psychology", psychology))}
    autumn = cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19), status="closed")
    main = plan(casework.id, ref="EHCP-TL-001")
    health_advice = advice(main.id, health.id, ref="ADV-TL-H", advice_type="health")
    psych_advice = advice(main.id, psychology.id, ref="ADV-TL-P",
                          advice_type="educational_psychology")
    other_plan = plan(other.id, ref="EHCP-TL-999")
    plan_v, health_v = versions["ehcp-plan"], versions["advice-health"]
    psych_v = versions["advice-educational-psychology"]
    db.session.add(Sample(cycle_id=autumn.id, seed=1, size=1, drawn_at=_at(1),
                          items=[SampleItem(plan_id=main.id, stratum="plan")]))
    # Written out of order on purpose: the timeline orders by date, not by insertion.
    _letter(autumn.id, health.id, ["ADV-TL-H", "ADV-OTHER"], _at(28))
    _audit(autumn.id, health_v, 2, _at(3), auditor.id, advice_id=health_advice.id)
    _audit(autumn.id, plan_v, 3, _at(5), auditor.id, plan_id=main.id)
    _audit(autumn.id, psych_v, 3, _at(4), auditor.id, advice_id=psych_advice.id)
    plan_final = _final(autumn.id, plan_v, 3, _at(12), "final_grade.moderated", plan_id=main.id)
    _final(autumn.id, health_v, 2, _at(10), "final_grade.agreed", advice_id=health_advice.id)
    _final(autumn.id, psych_v, 3, _at(11), "final_grade.agreed", advice_id=psych_advice.id)
    change = audit_log.record("final_grade.change", "final_grade", plan_final.id,
                              changes={"grade": [3, 2]}, reason="Provision is not specific")
    change.at = _at(20)
    _letter(autumn.id, casework.id, ["EHCP-TL-001"], _at(27))
    _letter(autumn.id, psychology.id, ["ADV-SOMETHING-ELSE"], _at(26))  # does not cite it
    db.session.commit()
    expected = [
        (_at(1), "Chosen for the audit sample", "Autumn term 2025"),
        (_at(3), "Audit submitted", "ADV-TL-H"),
        (_at(4), "Audit submitted", "ADV-TL-P"),
        (_at(5), "Audit submitted", "EHCP-TL-001"),
        (_at(10), "Final grade agreed", "ADV-TL-H"),
        (_at(11), "Final grade agreed", "ADV-TL-P"),
        (_at(12), "Moderated: final grade decided by the panel chair", "EHCP-TL-001"),
        (_at(20), "Final grade changed", "EHCP-TL-001"),
        (_at(27), "Feedback letter issued", "EHCP-TL-001"),
        (_at(28), "Feedback letter issued", "ADV-TL-H"),
    ]
    return TimelineWorld(main.id, main.ref, other_plan.id, "ADV-TL-H", "ADV-TL-P",
                         manager.email, leads["casework"].email, leads["health"].email,
                         leads["psychology"].email, auditor.email, expected)
