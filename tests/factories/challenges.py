"""A panel's finalised grades that agency leads can challenge: two plans of the casework team
(one requires improvement, one good) and their health and educational psychology advice, all
agreed by the autumn panel today, with a lead for each agency."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from tests.factories.audits import World, judged_ids, panel, panel_world
from tests.factories.people import person

CRITERIA = sorted({cid for name in ("ehcp-plan.yaml", "advice-health.yaml",
                                    "advice-educational-psychology.yaml")
                   for cid in judged_ids(name, nc_year=9)})


@dataclass(frozen=True)
class Scene:
    world: World
    casework_lead: str
    health_lead: str
    ep_lead: str
    plan_grades: list[int]
    health_grades: list[int]


def _submit_all(world: World, grades: dict[int, int]) -> None:
    """Both panel auditors score each subject alike (its grade for every criterion)."""
    from qa_app.audits.scoring.forms import ScoreInput
    from qa_app.audits.scoring.operations import save

    for audit in db.session.scalars(select(Audit).where(Audit.cycle_id == world.cycle_id)):
        subject = audit.plan_id if audit.plan_id is not None else -audit.advice_id
        value = grades[subject]
        scores = dict.fromkeys(CRITERIA, value)
        save(audit, ScoreInput(scores, dict.fromkeys(CRITERIA, "Seen"), None, None),
             row_version=audit.row_version, submit=True, actor_id=audit.auditor_id)


def challenge_world() -> Scene:
    """Two plans (one requires improvement, one good) and their advice, all finalised as
    agreed by the autumn panel today."""
    from qa_app.audits.moderation.operations import finalise_agreed

    world = panel_world(plans=2, advice=True)
    chaired = panel(world)
    health = world.agencies["Community Paediatrics"]
    grades = {world.plan_ids[0]: 2, world.plan_ids[1]: 3}
    for advice_id in world.advice_ids:
        grades[-advice_id] = 2
    _submit_all(world, grades)
    finalise_agreed(chaired, actor_id=world.users["chair"])
    leads = {name: person("agency_lead", world.agencies[name]).email
             for name in ("SEND Casework Team", "Community Paediatrics",
                          "Educational Psychology Service")}
    finals = db.session.scalars(select(FinalGrade).where(FinalGrade.cycle_id == world.cycle_id))
    plan_grades = sorted(f.id for f in finals if f.plan_id is not None)
    health_grades = sorted(f.id for f in db.session.scalars(
        select(FinalGrade).where(FinalGrade.agency_id == health)))
    return Scene(world, leads["SEND Casework Team"], leads["Community Paediatrics"],
                 leads["Educational Psychology Service"], plan_grades, health_grades)
