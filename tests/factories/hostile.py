"""A small partnership for the security tests: every role, two closed cycles with final
grades and figures, an open cycle with a sample and a panel; names chosen by the caller
(the formula tests name agencies and cycles like spreadsheet formulas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from qa_app.audits.panels.models import Panel
from qa_app.extensions import db
from tests.factories.audits import agreed_grade, cycle, shipped_rubrics
from tests.factories.people import user
from tests.factories.register import advice, agency, plan

ROLES = ("admin", "qi_manager", "panel_chair", "auditor", "agency_lead")


@dataclass
class SecurityWorld:
    agency_ids: list[int]
    cycle_ids: list[int]
    open_cycle_id: int
    emails: dict[str, str] = field(default_factory=dict)
    letter_id: int | None = None


def security_world(agencies: tuple[str, str, str] = (
        "SEND Casework Team", "Community Paediatrics", "Educational Psychology Service"),
        cycles: tuple[str, str, str] = ("Autumn term 2025", "Spring term 2026",
                                        "Summer term 2026")) -> SecurityWorld:
    """Commits, as the figures, the sample and the letter are made by the app's own jobs."""
    from qa_app.audits.cycles.operations import draw_sample
    from qa_app.reporting.operations import run_aggregation

    casework = agency(agencies[0], "local_authority")
    health = agency(agencies[1], "health")
    psychology = agency(agencies[2], "education")
    people = {
        "admin": user("admin"),
        "qi_manager": user("qi_manager"),
        "panel_chair": user("panel_chair"),
        "auditor": user("auditor", casework.name),
        "agency_lead": user("agency_lead", health.name),
    }
    plans = [plan(casework.id, ref=f"EHCP-H-{i:03d}", nc_year=(5, 9, 3)[i % 3])
             for i in range(9)]
    items = [advice(row.id, (health, psychology)[i % 2].id,
                    advice_type=("health", "educational_psychology")[i % 2],
                    received=date(2025, 10, 30) if i % 3 else None)
             for i, row in enumerate(plans)]
    versions = shipped_rubrics()
    auditor_id, chair_id = people["auditor"].id, people["panel_chair"].id
    spans = [(date(2025, 9, 1), date(2025, 12, 19)), (date(2026, 1, 5), date(2026, 3, 27)),
             (date(2026, 4, 13), date(2026, 7, 17))]
    rows = []
    for name, (start, end), status in zip(cycles, spans, ("closed", "closed", "open"),
                                          strict=True):
        made = cycle(name, start, end, status=status)
        db.session.add(Panel(cycle_id=made.id, name=f"Panel {made.id}", chair_id=chair_id))
        rows.append(made)
    for index, (row, item) in enumerate(zip(plans[:6], items[:6], strict=True)):
        graded_in = rows[index % 2]
        grade = 2 + index % 3
        agreed_grade(graded_in, versions["ehcp-plan"], plan_id=row.id, grade=grade,
                     criteria={"child_voice": grade}, notes={}, auditor_id=auditor_id)
        rubric = "advice-health" if index % 2 == 0 else "advice-educational-psychology"
        agreed_grade(graded_in, versions[rubric], advice_id=item.id, grade=grade,
                     criteria={"child_voice": grade}, notes={}, auditor_id=auditor_id)
    db.session.commit()
    for made in rows[:2]:
        run_aggregation("cycle", str(made.id))
        db.session.commit()
    run_aggregation("academic_year", "2025/26")
    db.session.commit()
    draw_sample(rows[2], size=3, seed=7, exclude_days=0)
    db.session.commit()
    ids = [c.id for c in rows]
    letter_id = _issued_letter(health.id, ids[0], chair_id)
    return SecurityWorld([casework.id, health.id, psychology.id], ids[:2], ids[2],
                         {role: row.email for role, row in people.items()}, letter_id)


def _issued_letter(agency_id: int, cycle_id: int, chair_id: int) -> int | None:
    """The health agency's letter for the first cycle, issued, so its lead can respond."""
    from qa_app.letters.operations import generate_letter, issue_letter

    generated = generate_letter(agency_id, cycle_id, partial=True)
    if generated.letter_id is None:
        return None
    issue_letter(generated.letter_id, actor_id=chair_id)
    db.session.commit()
    return generated.letter_id
