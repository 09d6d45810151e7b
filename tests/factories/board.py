"""A partnership for the board report tests: two agencies' advice and the casework team's
plans graded in a closed autumn cycle whose figures the real aggregation stores, and the
summer cycle's figures written by hand, so that one agency is below target and another has
fallen since summer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from qa_app.board.models import BoardReport
from qa_app.extensions import db
from tests.factories.audits import agreed_grade, cycle, shipped_rubrics
from tests.factories.people import user
from tests.factories.register import advice, agency, plan
from tests.factories.reporting import cycle_rates


@dataclass
class BoardWorld:
    cycle_id: int
    previous_id: int
    casework_id: int
    health_id: int
    psychology_id: int
    manager_email: str
    manager_id: int
    health_lead_email: str
    psychology_lead_email: str
    report_id: int | None = None


PLAN_GRADES = [3, 3, 4, 3, 3, 2]
"""Five of six plans good or better: 83.3%, on target."""
HEALTH_GRADES = [3, 2, 2, 3, 2, 2]
"""Two of six: 33.3%, below target."""
PSYCHOLOGY_GRADES = [4, 3, 3, 3, 3, 2]
"""Five of six: 83.3%, on target but down from six of six in the summer."""


def board_world(*, start_report: bool = True, open_cycle: bool = False) -> BoardWorld:
    """Commits, as the autumn figures are stored by the aggregation job. With
    `start_report`, a board report meeting in 14 days has asked for commentary."""
    casework = agency("SEND Casework Team", "local_authority")
    health = agency("Community Paediatrics", "health")
    psychology = agency("Educational Psychology Service", "education")
    manager = user("qi_manager")
    auditor = user("auditor", casework.name)
    health_lead = user("agency_lead", health.name)
    psychology_lead = user("agency_lead", psychology.name)
    versions = shipped_rubrics()
    autumn = cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19),
                   status="open" if open_cycle else "closed")
    plans = [plan(casework.id) for _ in PLAN_GRADES]
    for row, grade in zip(plans, PLAN_GRADES, strict=True):
        agreed_grade(autumn, versions["ehcp-plan"], plan_id=row.id, grade=grade,
                     criteria={"child_voice": 3, "outcomes": grade}, notes={},
                     auditor_id=auditor.id)
    for who, grades, rubric_id, kind in (
        (health, HEALTH_GRADES, "advice-health", "health"),
        (psychology, PSYCHOLOGY_GRADES, "advice-educational-psychology",
         "educational_psychology"),
    ):
        for index, grade in enumerate(grades):
            piece = advice(plans[index].id, who.id, advice_type=kind,
                           received=date(2025, 10, 1), agency_grade=3)
            agreed_grade(autumn, versions[rubric_id], advice_id=piece.id, grade=grade,
                         criteria={"child_voice": 3, "outcomes": grade}, notes={},
                         auditor_id=auditor.id)
    aggregate_everything()
    summer = cycle("Summer term 2025", date(2025, 4, 22), date(2025, 7, 18), status="closed")
    cycle_rates(summer.id, [
        (None, "plans_good_or_better", "all", "", 6, 4, 80.0, "red"),
        (None, "advice_good_or_better", "all", "", 12, 9, 80.0, "red"),
        (casework.id, "plans_good_or_better", "all", "", 6, 4, 80.0, "red"),
        (health.id, "advice_good_or_better", "all", "", 6, 3, 80.0, "red"),
        (psychology.id, "advice_good_or_better", "all", "", 6, 6, 80.0, "green"),
    ])
    world = BoardWorld(autumn.id, summer.id, casework.id, health.id, psychology.id,
                       manager.email, manager.id, health_lead.email, psychology_lead.email)
    if start_report:
        world.report_id = board_report(autumn.id, manager.id).id
    db.session.commit()
    return world


def aggregate_everything() -> None:
    """Every period, as the nightly run does, so no change is left waiting to be counted."""
    from qa_app.reporting.operations import run_aggregation

    db.session.commit()
    run_aggregation()
    db.session.commit()


def board_report(cycle_id: int, manager_id: int, board_date: date | None = None
                 ) -> BoardReport:
    """Started as the manager starts one, asking for commentary on each exception."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.board.operations import start_report

    return start_report(db.session.get(Cycle, cycle_id),
                        board_date or date.today() + timedelta(days=14),
                        actor_id=manager_id, today=date.today())
