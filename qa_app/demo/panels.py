"""One demo panel's work: two auditors score each sampled subject; the chair finalises grades."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.auth.models import User
from qa_app.demo.people import CASEWORK, PROFILES
from qa_app.demo.register import TRANSITION_YEARS
from qa_app.demo.scoring import (
    MODERATION_REASON,
    Grades,
    evidence,
    first_opinion,
    lower_of,
    second_opinion,
)
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from qa_app.standards.grading import SubjectContext, is_good_or_better, overall_grade
from qa_app.standards.models import RubricVersion
from qa_app.standards.rubric import Rubric

PLAN_RUBRIC_ID = "ehcp-plan"
MODERATION_ALLOWANCE = 0.03
WEAK_VOICE_SHARE = 0.4
TRANSITION_PENALTY = 0.08

Subject = Plan | Advice
Standard = tuple[RubricVersion, Rubric]


@dataclass(frozen=True)
class Standards:
    """The loaded rubric versions, found by the subject they score."""

    plan: Standard | None
    advice: dict[str, Standard]

    @classmethod
    def from_versions(cls, versions: dict[str, RubricVersion]) -> Standards:
        plan: Standard | None = None
        advice: dict[str, Standard] = {}
        for rubric_id in sorted(versions):
            version = versions[rubric_id]
            rubric = Rubric.from_dict(version.body)
            if rubric.applies_to == "plan" and (plan is None or rubric_id == PLAN_RUBRIC_ID):
                plan = (version, rubric)
            for advice_type in rubric.advice_types if rubric.applies_to == "advice" else ():
                advice.setdefault(advice_type, (version, rubric))
        return cls(plan, advice)

    def for_subject(self, subject: Subject) -> Standard | None:
        return self.plan if isinstance(subject, Plan) else self.advice.get(subject.advice_type)


@dataclass(frozen=True)
class PanelRun:
    """What every audit at one panel shares."""

    cycle: Cycle
    panel: Panel
    chair: User
    auditors: list[User]
    improvement: float

    @property
    def meeting_date(self) -> date:
        return self.panel.meeting_date or self.cycle.end_date


def stratum(plan: Plan) -> str:
    return "transition_year" if plan.nc_year in TRANSITION_YEARS else "other"


def audit_panel(
    rng: random.Random, run: PanelRun, subjects: list[Subject], standards: Standards
) -> Counter[str]:
    """Audits and final grades for every subject that has a rubric; returns row counts."""
    counts: Counter[str] = Counter()
    flags = quality_flags(rng, run.improvement, subjects)
    for subject, (good, weak_voice) in zip(subjects, flags, strict=True):
        standard = standards.for_subject(subject)
        if standard is None:
            continue
        own_rng = random.Random(f"{run.cycle.name}|{subject.ref}")
        audits, final = _audit_subject(own_rng, run, subject, standard, good, weak_voice)
        db.session.add_all([*audits, final])
        counts.update(audits=len(audits), final_grades=1)
        counts.update(audit_scores=sum(len(a.scores) for a in audits))
    db.session.flush()
    return counts


def _group(subject: Subject) -> str:
    return f"plan:{stratum(subject)}" if isinstance(subject, Plan) else subject.agency.name


def _p_good(improvement: float, group: str) -> float:
    """Each agency's typical share good or better, improving in the later cycle."""
    if group.startswith("plan:"):
        transition = TRANSITION_PENALTY if group == "plan:transition_year" else 0.0
        return PROFILES[CASEWORK].p_good + improvement - transition
    return PROFILES[group].p_good + improvement


def quality_flags(
    rng: random.Random, improvement: float, subjects: list[Subject]
) -> list[tuple[bool, bool]]:
    """(good, weak child voice) per subject, dealt by quota so small samples keep their shape.

    Some subjects that fall short are otherwise good but capped by a weak child voice.
    """
    groups: dict[str, list[int]] = {}
    for index, subject in enumerate(subjects):
        groups.setdefault(_group(subject), []).append(index)
    flags: dict[int, tuple[bool, bool]] = {}
    for group, members in groups.items():
        share = min(1.0, _p_good(improvement, group) + MODERATION_ALLOWANCE)
        good = round(share * len(members))
        dealt = [(True, False)] * good + [
            (False, rng.random() < WEAK_VOICE_SHARE) for _ in range(len(members) - good)
        ]
        rng.shuffle(dealt)
        flags.update(zip(members, dealt, strict=True))
    return [flags[index] for index in range(len(subjects))]


def _context(subject: Subject) -> SubjectContext:
    plan = subject if isinstance(subject, Plan) else subject.plan
    return SubjectContext(nc_year=plan.nc_year, plan_kind=plan.plan_kind)


def _days_late(subject: Subject) -> int | None:
    """Lateness counts only for advice received without a statutory exception."""
    if isinstance(subject, Plan) or subject.exception:
        return None
    return subject.days_late


def _audit_date(rng: random.Random, run: PanelRun, subject: Subject) -> date:
    earliest = run.cycle.start_date + timedelta(days=7)
    if isinstance(subject, Advice) and subject.received_date:
        earliest = max(earliest, subject.received_date + timedelta(days=1))
    spare = max(0, (run.meeting_date - earliest).days - 1)
    return earliest + timedelta(days=rng.randint(0, spare))


def _subject_ids(subject: Subject) -> dict[str, int]:
    return {"plan_id": subject.id} if isinstance(subject, Plan) else {"advice_id": subject.id}


def _audit_subject(
    rng: random.Random,
    run: PanelRun,
    subject: Subject,
    standard: Standard,
    good: bool,
    weak_voice: bool,
) -> tuple[list[Audit], FinalGrade]:
    """Two auditors from agencies other than the writer's; usually they agree."""
    version, rubric = standard
    ctx, days_late = _context(subject), _days_late(subject)
    others = [a for a in run.auditors if a.agency_id != subject.agency_id]
    first = first_opinion(rng, rubric, ctx, days_late, good, weak_voice)
    opinions = [first, second_opinion(rng, rubric, first)]
    audits = []
    for auditor, grades in zip(rng.sample(others, 2), opinions, strict=True):
        day = _audit_date(rng, run, subject)
        audits.append(
            Audit(
                cycle_id=run.cycle.id,
                panel_id=run.panel.id,
                auditor_id=auditor.id,
                rubric_version_id=version.id,
                status="submitted",
                source="panel",
                audit_date=day,
                computed_grade=overall_grade(rubric, grades, ctx),
                submitted_at=datetime.combine(day, time(16, 30)),
                scores=_scores(rng, rubric, grades, days_late),
                **_subject_ids(subject),
            )
        )
    return audits, _final_grade(run, subject, version, rubric, audits, opinions)


def _scores(
    rng: random.Random, rubric: Rubric, grades: Grades, days_late: int | None
) -> list[AuditScore]:
    return [
        AuditScore(
            criterion_id=criterion.id,
            grade=grades.get(criterion.id),
            evidence=evidence(rng, rubric, criterion, grades.get(criterion.id), days_late),
        )
        for criterion in rubric.criteria
    ]


def _final_grade(
    run: PanelRun,
    subject: Subject,
    version: RubricVersion,
    rubric: Rubric,
    audits: list[Audit],
    opinions: list[Grades],
) -> FinalGrade:
    """Agreed when the auditors' overall grades match; otherwise the chair takes the lower."""
    overalls = {a.computed_grade for a in audits if a.computed_grade is not None}
    grade = min(overalls)
    agreed = len(overalls) == 1
    return FinalGrade(
        cycle_id=run.cycle.id,
        rubric_version_id=version.id,
        academic_year=run.cycle.academic_year,
        audit_date=run.meeting_date,
        grade=grade,
        good_or_better=is_good_or_better(rubric, grade),
        method="agreed" if agreed else "moderated",
        reason=None if agreed else MODERATION_REASON,
        finalised_at=datetime.combine(run.meeting_date, time(17, 0)),
        finalised_by_id=run.chair.id,
        criteria=[
            FinalCriterionGrade(
                criterion_id=key, grade=value, good_or_better=is_good_or_better(rubric, value)
            )
            for key, value in lower_of(*opinions).items()
        ],
        **_subject_ids(subject),
    )
