"""The demo's calibration: one finished round on a plan no panel sampled. Every auditor from
an agency other than the writer's graded it blind; the chair recorded the agreed grades and
closed the round a fortnight ago. One auditor grades a little generously and one a little
severely, so the results and leniency pages have something to show. Runs through the
calibration's own operations, then dates each step."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from qa_app.audits.cycles.models import SampleItem
from qa_app.auth.models import Role, User
from qa_app.calibration import operations, queries
from qa_app.calibration.models import CalibrationRound
from qa_app.demo.panels import PLAN_RUBRIC_ID
from qa_app.demo.scoring import GENERIC_NOTE, WEAK_NOTES
from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.standards.models import RubricVersion

SEED = 2027
STARTED_DAYS_AGO = 28
CLOSED_DAYS_AGO = 14
TENDENCIES = (0, 1, 0, -1, 0, 0)
"""Each taking-part auditor in turn: leans neither way, generous, neither, severe, ..."""
REFERENCE_WEIGHTS = (0.05, 0.3, 0.5, 0.15)
"""How likely each step of the scale (lowest first) is as the agreed grade."""


def seed_calibration(today: date) -> int:
    """One closed calibration round, unless there is a round already; returns rounds added."""
    if db.session.scalar(select(CalibrationRound.id).limit(1)) is not None:
        return 0
    plan = _unsampled_plan()
    version = db.session.scalar(select(RubricVersion).where(
        RubricVersion.rubric_id == PLAN_RUBRIC_ID).order_by(RubricVersion.id.desc()).limit(1))
    manager = db.session.scalar(select(User).where(User.role == Role.QI_MANAGER.value)
                                .order_by(User.email).limit(1))
    chairs = sorted(queries.chairs(), key=lambda u: u.email)
    if plan is None or version is None or manager is None or not chairs:
        return 0
    auditors = sorted((a for a in queries.active_auditors() if a.agency_id != plan.agency_id),
                      key=lambda u: u.email)
    started = today - timedelta(days=STARTED_DAYS_AGO)
    round_ = operations.create_round(
        name=f"Calibration: EHC plan, {started:%B %Y}", subject=plan, version=version,
        chair_id=chairs[0].id, auditor_ids=[a.id for a in auditors], actor_id=manager.id,
        writer_agency_id=plan.agency_id,
        auditor_agencies={a.id: a.agency_id for a in auditors})
    round_.created_at = datetime.combine(started, time(9, 0))
    layout = queries.layout_of(round_)
    rng = random.Random(SEED)
    scale = list(layout.rubric.scale_values)
    agreed = {c.id: rng.choices(scale, weights=REFERENCE_WEIGHTS[:len(scale)])[0]
              for c in layout.judged}
    members = {m.auditor_id: m for m in round_.participants}
    for index, auditor in enumerate(auditors):
        grades = {cid: _blind_grade(rng, scale, grade, TENDENCIES[index % len(TENDENCIES)])
                  for cid, grade in agreed.items()}
        evidence = {cid: rng.choice(WEAK_NOTES.get(cid, (GENERIC_NOTE,)))
                    for cid, grade in grades.items()
                    if grade is not None and grade < layout.rubric.good_or_better}
        member = members[auditor.id]
        operations.save_grades(round_, member, layout, grades, evidence)
        operations.submit_grades(round_, member, layout)
        member.submitted_at = datetime.combine(started + timedelta(days=2 + index), time(15))
    operations.save_reference(round_, layout, agreed, actor_id=chairs[0].id)
    operations.close_round(round_, layout, actor_id=chairs[0].id)
    round_.closed_at = datetime.combine(today - timedelta(days=CLOSED_DAYS_AGO), time(16))
    db.session.flush()
    return 1


def _unsampled_plan() -> Plan | None:
    """The first issued plan (by reference) that no cycle's sample holds."""
    sampled = select(SampleItem.plan_id).where(SampleItem.plan_id.is_not(None))
    return db.session.scalar(select(Plan).where(Plan.issue_date.is_not(None),
                                                Plan.id.not_in(sampled))
                             .order_by(Plan.ref).limit(1))


def _blind_grade(rng: random.Random, scale: list[int], agreed: int, tendency: int) -> int:
    """Mostly the agreed grade; a leaning auditor often a step their way, others now and
    then a step either way."""
    if tendency and rng.random() < 0.6:
        step = tendency
    elif rng.random() < 0.15:
        step = rng.choice((-1, 1))
    else:
        step = 0
    position = max(0, min(len(scale) - 1, scale.index(agreed) + step))
    return scale[position]
