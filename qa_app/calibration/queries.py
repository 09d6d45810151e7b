"""Reads for calibration: the subject and its layout, the rounds each person sees, one
auditor's comparison with the reference, leniency and drift, and live-audit agreement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.scoring.facts import SubjectFacts, facts_for
from qa_app.audits.scoring.layout import ScoringLayout, layout_for
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.auth.models import Role, User
from qa_app.calibration.leniency import leniency, steps
from qa_app.calibration.models import (
    CalibrationGrade,
    CalibrationParticipant,
    CalibrationReference,
    CalibrationRound,
)
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from qa_app.reporting.agreement import gwet_ac1, rank_tables
from qa_app.reporting.stats import percent, weighted_kappa
from qa_app.standards.models import RubricVersion


def subject_facts(round_: CalibrationRound) -> SubjectFacts:
    """What graders are shown about the subject. Read without the request's record filters:
    an auditor taking part sees this one subject's references and dates, as for a live audit."""
    plan = advice = None
    if round_.advice_id is not None:
        advice = db.session.execute(
            select(Advice).where(Advice.id == round_.advice_id)
            .options(joinedload(Advice.agency), joinedload(Advice.plan).joinedload(Plan.agency))
            .execution_options(unscoped=True)).scalar_one()
    else:
        plan = db.session.execute(
            select(Plan).where(Plan.id == round_.plan_id).options(joinedload(Plan.agency))
            .execution_options(unscoped=True)).scalar_one()
    return facts_for(SimpleNamespace(plan=plan, advice=advice))  # type: ignore[arg-type]


def layout_of(round_: CalibrationRound, facts: SubjectFacts | None = None) -> ScoringLayout:
    return layout_for(round_.rubric_version, (facts or subject_facts(round_)).context)


def writer_agency_id(round_: CalibrationRound) -> int:
    model = Advice if round_.advice_id is not None else Plan
    ident = round_.advice_id if round_.advice_id is not None else round_.plan_id
    return db.session.execute(select(model.agency_id).where(model.id == ident)
                              .execution_options(unscoped=True)).scalar_one()


def rounds() -> list[CalibrationRound]:
    """Every round the signed-in person may see (the request's filters apply), newest first."""
    return list(db.session.scalars(
        select(CalibrationRound).order_by(CalibrationRound.created_at.desc(),
                                          CalibrationRound.id.desc())))


def participant(round_id: int, auditor_id: int) -> CalibrationParticipant | None:
    return db.session.scalar(select(CalibrationParticipant).where(
        CalibrationParticipant.round_id == round_id,
        CalibrationParticipant.auditor_id == auditor_id))


def to_score(auditor_id: int) -> list[CalibrationRound]:
    """Open rounds the auditor takes part in and has not submitted: for their home page."""
    return list(db.session.scalars(
        select(CalibrationRound)
        .join(CalibrationParticipant, CalibrationParticipant.round_id == CalibrationRound.id)
        .where(CalibrationParticipant.auditor_id == auditor_id,
               CalibrationParticipant.submitted_at.is_(None),
               CalibrationRound.status == "open")
        .order_by(CalibrationRound.created_at)))


def own_grades(round_id: int, auditor_id: int) -> dict[str, CalibrationGrade]:
    rows = db.session.scalars(select(CalibrationGrade).where(
        CalibrationGrade.round_id == round_id, CalibrationGrade.auditor_id == auditor_id))
    return {row.criterion_id: row for row in rows}


def references(round_id: int) -> dict[str, int]:
    return dict(db.session.execute(  # type: ignore[arg-type]
        select(CalibrationReference.criterion_id, CalibrationReference.grade)
        .where(CalibrationReference.round_id == round_id)).all())


def grade_counts(round_id: int) -> dict[str, dict[int, int]]:
    """How many submitted auditors gave each grade to each criterion (no names)."""
    rows = db.session.execute(
        select(CalibrationGrade.criterion_id, CalibrationGrade.grade, func.count())
        .join(CalibrationParticipant, and_(
            CalibrationParticipant.round_id == CalibrationGrade.round_id,
            CalibrationParticipant.auditor_id == CalibrationGrade.auditor_id))
        .where(CalibrationGrade.round_id == round_id,
               CalibrationParticipant.submitted_at.is_not(None),
               CalibrationGrade.grade.is_not(None))
        .group_by(CalibrationGrade.criterion_id, CalibrationGrade.grade)).all()
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for criterion_id, grade, n in rows:
        counts[criterion_id][grade] = n
    return dict(counts)


@dataclass(frozen=True)
class ComparisonRow:
    criterion_id: str
    title: str
    grade: int | None
    reference: int | None
    difference: int | None


@dataclass(frozen=True)
class Comparison:
    rows: list[ComparisonRow]

    @property
    def leniency(self) -> float | None:
        return leniency(r.difference for r in self.rows if r.difference is not None)

    @property
    def same(self) -> int:
        return sum(1 for r in self.rows if r.difference == 0)

    @property
    def compared(self) -> int:
        return sum(1 for r in self.rows if r.difference is not None)


def comparison(round_: CalibrationRound, layout: ScoringLayout, auditor_id: int) -> Comparison:
    """One auditor's submitted grades beside the reference, criterion by criterion."""
    mine = own_grades(round_.id, auditor_id)
    agreed = references(round_.id)
    scale = layout.rubric.scale_values
    rows = []
    for criterion in layout.judged:
        grade = mine[criterion.id].grade if criterion.id in mine else None
        reference = agreed.get(criterion.id)
        difference = (steps(scale, grade, reference)
                      if grade is not None and reference is not None else None)
        rows.append(ComparisonRow(criterion.id, criterion.title, grade, reference, difference))
    return Comparison(rows)


@dataclass
class AuditorDrift:
    """One auditor's leniency in each closed round, oldest round first (None: not compared)."""

    auditor_id: int
    name: str
    by_round: list[float | None] = field(default_factory=list)
    differences: list[int] = field(default_factory=list)

    @property
    def overall(self) -> float | None:
        """Pooled over every compared criterion of every round."""
        return leniency(self.differences)


def closed_rounds() -> list[CalibrationRound]:
    return list(db.session.scalars(
        select(CalibrationRound).where(CalibrationRound.status == "closed")
        .order_by(CalibrationRound.closed_at, CalibrationRound.id)))


def drift() -> tuple[list[CalibrationRound], list[AuditorDrift]]:
    """Each auditor's leniency per closed round, in the order the rounds closed. Staff only:
    the result carries auditors' names."""
    closed = closed_rounds()
    people: dict[int, AuditorDrift] = {}
    for position, round_ in enumerate(closed):
        layout = layout_of(round_)
        for member in round_.participants:
            if member.submitted_at is None:
                continue
            row = people.get(member.auditor_id)
            if row is None:
                row = people[member.auditor_id] = AuditorDrift(
                    member.auditor_id, member.auditor.display_name, [None] * len(closed))
            compared = comparison(round_, layout, member.auditor_id)
            row.by_round[position] = compared.leniency
            row.differences.extend(r.difference for r in compared.rows
                                   if r.difference is not None)
    return closed, sorted(people.values(), key=lambda p: p.name.lower())


def active_auditors() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.AUDITOR.value, User.active.is_(True))
        .order_by(User.display_name)))


def chairs() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.PANEL_CHAIR.value, User.active.is_(True))
        .order_by(User.display_name)))


def rubric_versions() -> list[RubricVersion]:
    return list(db.session.scalars(
        select(RubricVersion).order_by(RubricVersion.rubric_id, RubricVersion.id.desc())))


def find_subject(ref: str) -> Plan | Advice | None:
    ref = ref.strip()
    return (db.session.scalar(select(Plan).where(Plan.ref == ref))
            or db.session.scalar(select(Advice).where(Advice.ref == ref)))


@dataclass(frozen=True)
class CriterionAgreement:
    rubric_id: str
    criterion_id: str
    title: str
    pairs: int
    exact_rate: float | None
    kappa: float | None
    ac1: float | None


def live_agreement(academic_year: str | None = None) -> list[CriterionAgreement]:
    """Agreement of double-scored live audits by criterion: subjects with exactly two submitted
    panel audits in a cycle, their grades' ranks paired, quadratic-weighted kappa and Gwet's
    AC1 from qa_app/reporting (computed criteria dropped there). Calibration grades are not
    audits and are not read here."""
    cycles = select(Cycle.id)
    if academic_year:
        cycles = cycles.where(Cycle.academic_year == academic_year)
    pairs = (
        select(Audit.cycle_id, func.min(Audit.id).label("first"),
               func.max(Audit.id).label("second"))
        .where(Audit.cycle_id.in_(cycles), Audit.status == "submitted", Audit.source == "panel")
        .group_by(Audit.cycle_id, Audit.plan_id, Audit.advice_id)
        .having(func.count() == 2)
        .subquery("pairs")
    )
    first, second = aliased(AuditScore, name="s1"), aliased(AuditScore, name="s2")
    rows = db.session.execute(
        select(RubricVersion.rubric_id, RubricVersion.id, first.criterion_id, first.grade,
               second.grade, func.count())
        .select_from(pairs)
        .join(Audit, Audit.id == pairs.c.first)
        .join(RubricVersion, RubricVersion.id == Audit.rubric_version_id)
        .join(first, first.audit_id == pairs.c.first)
        .join(second, and_(second.audit_id == pairs.c.second,
                           second.criterion_id == first.criterion_id))
        .where(first.grade.is_not(None), second.grade.is_not(None))
        .group_by(RubricVersion.rubric_id, RubricVersion.id, first.criterion_id, first.grade,
                  second.grade)
        .execution_options(unscoped=True)).all()
    versions = sorted({row[1] for row in rows})
    bodies: dict[int, Any] = dict(db.session.execute(  # type: ignore[arg-type]
        select(RubricVersion.id, RubricVersion.body).where(RubricVersion.id.in_(versions))
    ).all()) if versions else {}
    titles = {(body_id, c.get("id")): c.get("title") for body_id, body in bodies.items()
              for c in body.get("criteria") or []}
    title_of = {(rid, cid): titles.get((vid, cid)) for rid, vid, cid, *_ in rows}
    tables = rank_tables([("all", *row) for row in rows], bodies)
    return [
        CriterionAgreement(
            t.rubric_id, t.criterion_id, title_of.get((t.rubric_id, t.criterion_id))
            or t.criterion_id, t.pairs, percent(t.agreed, t.pairs),
            weighted_kappa(t.pairs, t.sum_first, t.sum_second, t.squares_first,
                           t.squares_second, t.squared_differences),
            gwet_ac1(t.cells, t.categories))
        for t in tables
    ]


def academic_years() -> list[str]:
    return list(db.session.scalars(
        select(Cycle.academic_year).distinct().order_by(Cycle.academic_year.desc())))


SPARK_WIDTH, SPARK_HEIGHT = 120, 40


def spark_points(values: list[float | None]) -> str:
    """SVG polyline points for a small drift chart: rounds left to right, more generous up,
    the scale fixed at +/-2 steps (beyond is drawn at the edge); rounds not compared skipped."""
    if not values:
        return ""
    gap = SPARK_WIDTH / max(len(values) - 1, 1)
    points = []
    for position, value in enumerate(values):
        if value is None:
            continue
        clipped = max(-2.0, min(2.0, value))
        y = SPARK_HEIGHT / 2 - clipped * (SPARK_HEIGHT / 2 - 2) / 2
        points.append(f"{position * gap:.1f},{y:.1f}")
    return " ".join(points)
