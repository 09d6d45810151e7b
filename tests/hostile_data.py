"""A small partnership for the security tests: every role, two closed cycles with final
grades and figures, an open cycle with a sample and a panel; names chosen by the caller
(the formula tests name agencies and cycles like spreadsheet formulas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Flask

from qa_app.extensions import db
from tests import factories as make
from tests.letter_data import _grade, _versions


@dataclass
class World:
    agency_ids: list[int]
    cycle_ids: list[int]
    open_cycle_id: int
    emails: dict[str, str] = field(default_factory=dict)
    letter_id: int | None = None


ROLES = ("admin", "qi_manager", "panel_chair", "auditor", "agency_lead")


def build(app: Flask, agencies: tuple[str, str, str] = (
        "SEND Casework Team", "Community Paediatrics", "Educational Psychology Service"),
          cycles: tuple[str, str, str] = ("Autumn term 2025", "Spring term 2026",
                                          "Summer term 2026")) -> World:
    from qa_app.audits.models import Cycle, Panel
    from qa_app.audits.sample_operations import draw_sample
    from qa_app.reporting.operations import run_aggregation

    casework = make.agency(app, agencies[0], "local_authority")
    health = make.agency(app, agencies[1], "health")
    psychology = make.agency(app, agencies[2], "education")
    emails = {
        "admin": make.user(app, "admin").label,
        "qi_manager": make.user(app, "qi_manager").label,
        "panel_chair": make.user(app, "panel_chair").label,
        "auditor": make.user(app, "auditor", casework.label).label,
        "agency_lead": make.user(app, "agency_lead", health.label).label,
    }
    plans = [make.plan(app, casework.id, ref=f"EHCP-H-{i:03d}", nc_year=(5, 9, 3)[i % 3])
             for i in range(9)]
    advice = [make.advice(app, plan.id, (health, psychology)[i % 2].id,
                          advice_type=("health", "educational_psychology")[i % 2],
                          received=date(2025, 10, 30) if i % 3 else None)
              for i, plan in enumerate(plans)]
    with app.app_context():
        versions = _versions()
        auditor_id = make_id(emails["auditor"])
        chair_id = make_id(emails["panel_chair"])
        spans = [(date(2025, 9, 1), date(2025, 12, 19)), (date(2026, 1, 5), date(2026, 3, 27)),
                 (date(2026, 4, 13), date(2026, 7, 17))]
        rows = []
        for name, (start, end), status in zip(cycles, spans, ("closed", "closed", "open"),
                                              strict=True):
            cycle = Cycle(name=name, start_date=start, end_date=end, academic_year="2025/26",
                          status=status)
            db.session.add(cycle)
            db.session.flush()
            db.session.add(Panel(cycle_id=cycle.id, name=f"Panel {cycle.id}", chair_id=chair_id))
            rows.append(cycle)
        for index, (plan, item) in enumerate(zip(plans[:6], advice[:6], strict=True)):
            cycle = rows[index % 2]
            grade = 2 + index % 3
            _grade(cycle, versions["ehcp-plan"], plan_id=plan.id, grade=grade,
                   criteria={"child_voice": grade}, notes={}, auditor_id=auditor_id)
            rubric = "advice-health" if index % 2 == 0 else "advice-educational-psychology"
            _grade(cycle, versions[rubric], advice_id=item.id, grade=grade,
                   criteria={"child_voice": grade}, notes={}, auditor_id=auditor_id)
        db.session.commit()
        for cycle in rows[:2]:
            run_aggregation("cycle", str(cycle.id))
            db.session.commit()
        run_aggregation("academic_year", "2025/26")
        db.session.commit()
        draw_sample(rows[2], size=3, seed=7, exclude_days=0)
        db.session.commit()
        ids = [c.id for c in rows]
        letter_id = _issued_letter(health.id, ids[0], chair_id)
    return World([casework.id, health.id, psychology.id], ids[:2], ids[2], emails, letter_id)


def _issued_letter(agency_id: int, cycle_id: int, chair_id: int) -> int | None:
    """The health agency's letter for the first cycle, issued, so its lead can respond."""
    from qa_app.letters.operations import generate_letter, issue_letter

    generated = generate_letter(agency_id, cycle_id, partial=True)
    if generated.letter_id is None:
        return None
    issue_letter(generated.letter_id, actor_id=chair_id)
    db.session.commit()
    return generated.letter_id


def make_id(email: str) -> int:
    from sqlalchemy import select

    from qa_app.auth.models import User

    return db.session.execute(select(User.id).where(User.email == email)).scalar_one()
