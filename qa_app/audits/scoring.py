"""Scoring forms built at run time from a rubric version, and the facts an auditor scores against.

One WTForms class is made per rubric version and set of criteria that apply to the subject
(cached: versions never change). Judged criteria become GOV.UK radios with the descriptors
as hints, each with an evidence note; computed criteria (advice timeliness) are worked out
from the advice dates and shown read-only; criteria that do not apply to the subject (for
example preparation for adulthood before year 9) are listed as not applicable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from qa_app.audits.models import Audit
from qa_app.register.models import ADVICE_EXCEPTION_LABELS, Advice, AdviceException, Plan
from qa_app.standards.grading import SubjectContext, computed_grades
from qa_app.standards.models import RubricVersion
from qa_app.standards.operations import rubric_of
from qa_app.standards.rubric import Criterion, Rubric

EVIDENCE_MAX = 5000
REASON_MAX = 2000
NO_OVERRIDE = "none"
DEFAULT_TRANSITION_YEARS = (5, 9)
DEFAULT_ASSESSMENT_WEEKS = 20


@dataclass(frozen=True)
class ScoreInput:
    """What an auditor entered: judged grades (None = not graded yet), notes and override."""

    grades: dict[str, int | None]
    evidence: dict[str, str]
    override: int | None
    override_reason: str | None


# --- the subject --------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectFacts:
    """What the auditor is shown about the subject: references, year, kind and dates only."""

    kind: str
    ref: str
    plan_ref: str
    writer: str
    nc_year: int
    phase: str
    transition_year: bool
    plan_kind: str
    request_date: date | None
    issue_date: date | None
    advice_type: str | None = None
    requested_date: date | None = None
    due_date: date | None = None
    received_date: date | None = None
    exception: str | None = None

    @property
    def context(self) -> SubjectContext:
        return SubjectContext(nc_year=self.nc_year, plan_kind=self.plan_kind)

    @property
    def days_late(self) -> int | None:
        """Lateness that counts: None before the advice arrives or under a statutory exception."""
        if self.kind != "advice" or self.exception or self.received_date is None:
            return None
        assert self.due_date is not None
        return (self.received_date - self.due_date).days

    @property
    def timeliness(self) -> str:
        if self.kind == "plan":
            if self.request_date is None or self.issue_date is None:
                return "Not known: the request or issue date is missing"
            weeks = (self.issue_date - self.request_date).days / 7
            limit = assessment_weeks()
            within = "within" if weeks <= limit else "outside"
            return f"Issued {weeks:.0f} weeks after the request ({within} {limit} weeks)"
        if self.exception:
            label = ADVICE_EXCEPTION_LABELS.get(AdviceException(self.exception), self.exception)
            return f"Not counted: statutory exception ({label})"
        late = self.days_late
        if late is None:
            return "Not received yet"
        if late <= 0:
            return "On time"
        return f"{late} day{'s' if late != 1 else ''} late"

    @property
    def title(self) -> str:
        if self.kind == "plan":
            return f"EHC plan {self.ref}"
        return f"{(self.advice_type or '').replace('_', ' ').capitalize()} advice {self.ref}"


def facts_for(audit: Audit) -> SubjectFacts:
    plan: Plan | None = audit.plan
    advice: Advice | None = audit.advice
    if advice is not None:
        plan = advice.plan
    assert plan is not None
    common: dict[str, Any] = {
        "plan_ref": plan.ref,
        "nc_year": plan.nc_year,
        "phase": plan.phase,
        "transition_year": plan.nc_year in transition_years(),
        "plan_kind": plan.plan_kind,
        "request_date": plan.request_date,
        "issue_date": plan.issue_date,
    }
    if advice is None:
        return SubjectFacts(kind="plan", ref=plan.ref, writer=plan.agency.name, **common)
    return SubjectFacts(
        kind="advice",
        ref=advice.ref,
        writer=advice.agency.name,
        advice_type=advice.advice_type,
        requested_date=advice.requested_date,
        due_date=advice.due_date,
        received_date=advice.received_date,
        exception=advice.exception,
        **common,
    )


def transition_years() -> tuple[int, ...]:
    return _deadlines(str(current_app.config["RUBRICS_DIR"]))[0]


def assessment_weeks() -> int:
    return _deadlines(str(current_app.config["RUBRICS_DIR"]))[1]


@lru_cache(maxsize=8)
def _deadlines(rubrics_dir: str) -> tuple[tuple[int, ...], int]:
    """Transition years and the assessment deadline from targets.yaml, or the defaults."""
    from qa_app.standards.rubric import RubricError
    from qa_app.standards.targets import load_targets

    try:
        targets = load_targets(Path(rubrics_dir) / "targets.yaml")
    except (OSError, RubricError):
        return DEFAULT_TRANSITION_YEARS, DEFAULT_ASSESSMENT_WEEKS
    return tuple(targets.transition_years), targets.assessment_deadline_weeks


# --- the form -----------------------------------------------------------------------------


class ScoringForm(FlaskForm):
    """Base of every generated scoring form; subclasses add one radio group per criterion."""

    row_version = HiddenField()
    rubric: ClassVar[Rubric]
    judged: ClassVar[tuple[Criterion, ...]] = ()

    def read(self) -> ScoreInput:
        grades = {c.id: _as_int(self[f"grade_{c.id}"].data) for c in self.judged}
        evidence = {c.id: (self[f"evidence_{c.id}"].data or "").strip() for c in self.judged}
        override = _as_int(self["override_grade"].data)
        reason = (self["override_reason"].data or "").strip() or None
        return ScoreInput(grades, evidence, override, reason)

    def check(self, submitting: bool) -> bool:
        """Rules beyond each field's own: complete on submit, evidence below good, reasons."""
        data = self.read()
        for criterion in self.judged:
            grade_field = self[f"grade_{criterion.id}"]
            if grade_field.errors:
                continue
            grade = data.grades[criterion.id]
            if submitting and grade is None:
                grade_field.errors.append(f"Select a grade for {criterion.title}")
            below_good = grade is not None and grade < self.rubric.good_or_better
            evidence_field = self[f"evidence_{criterion.id}"]
            if submitting and below_good and not data.evidence[criterion.id]:
                label = self.rubric.label_for(grade)  # type: ignore[arg-type]
                evidence_field.errors.append(
                    f"Enter the evidence for grading {criterion.title} as {label}"
                )
        if data.override is not None and not data.override_reason and not self[
            "override_reason"
        ].errors:
            self["override_reason"].errors.append(
                "Enter the reason for overriding the computed overall grade"
            )
        return not self.errors

    def load(self, audit: Audit) -> None:
        """Fill an unposted form from the stored audit."""
        scores = {s.criterion_id: s for s in audit.scores}
        for criterion in self.judged:
            score = scores.get(criterion.id)
            self[f"grade_{criterion.id}"].data = (
                str(score.grade) if score and score.grade is not None else None
            )
            self[f"evidence_{criterion.id}"].data = score.evidence if score else ""
        self["override_grade"].data = (
            str(audit.override_grade) if audit.override_grade is not None else NO_OVERRIDE
        )
        self["override_reason"].data = audit.override_reason or ""
        self.row_version.data = str(audit.row_version)


@dataclass(frozen=True)
class ScoringLayout:
    """A rubric laid out for one kind of subject, and the form class that scores it."""

    rubric: Rubric
    judged: tuple[Criterion, ...]
    computed: tuple[Criterion, ...]
    not_applicable: tuple[Criterion, ...]
    form_class: type[ScoringForm]

    def radio_params(self, criterion: Criterion) -> dict[str, Any]:
        """Fresh render params for a criterion's radios (the widget mutates what it is given)."""
        return {
            "fieldset": {"legend": {"text": criterion.title,
                                    "classes": "govuk-fieldset__legend--m"}},
            "hint": {"text": _criterion_hint(criterion)},
            "items": [
                {"hint": {"text": criterion.descriptors[level.value]}}
                if level.value in criterion.descriptors else {}
                for level in self.rubric.scale
            ],
        }

    def evidence_params(self, criterion: Criterion) -> dict[str, Any]:
        good = self.rubric.label_for(self.rubric.good_or_better)
        return {
            "label": {"text": f"Evidence for {criterion.title}", "classes": "govuk-label--s"},
            "hint": {"text": f"What you saw in the document. Required for grades below {good}."},
            "rows": 3,
        }

    def computed_grades(self, facts: SubjectFacts) -> dict[str, int | None]:
        found = computed_grades(self.rubric, facts.days_late, facts.context)
        return {c.id: found.get(c.id) for c in self.computed}


_RUBRICS: dict[tuple[int, str], Rubric] = {}
_LAYOUTS: dict[tuple[int, str, tuple[str, ...]], ScoringLayout] = {}


def rubric_for(version: RubricVersion) -> Rubric:
    """The parsed rubric of a stored version; versions never change, so it is parsed once."""
    key = (version.id, version.content_hash)
    rubric = _RUBRICS.get(key)
    if rubric is None:
        rubric = _RUBRICS[key] = rubric_of(version)
    return rubric


def layout_for(version: RubricVersion, ctx: SubjectContext) -> ScoringLayout:
    rubric = rubric_for(version)
    applicable = rubric.criteria_for(ctx)
    key = (version.id, version.content_hash, tuple(c.id for c in applicable))
    layout = _LAYOUTS.get(key)
    if layout is None:
        judged = tuple(c for c in applicable if c.is_judged)
        layout = _LAYOUTS[key] = ScoringLayout(
            rubric=rubric,
            judged=judged,
            computed=tuple(c for c in applicable if not c.is_judged),
            not_applicable=tuple(c for c in rubric.criteria if c not in applicable),
            form_class=_form_class(rubric, judged),
        )
    return layout


def _form_class(rubric: Rubric, judged: tuple[Criterion, ...]) -> type[ScoringForm]:
    grades = [SelectChoice(str(level.value), level.label) for level in rubric.scale]
    attrs: dict[str, Any] = {"rubric": rubric, "judged": judged}
    for criterion in judged:
        attrs[f"grade_{criterion.id}"] = RadioField(
            criterion.title,
            choices=grades,
            widget=GovRadioInput(),
            validators=[Optional()],
            invalid_choice_message=f"Select a grade for {criterion.title} from the list",
        )
        attrs[f"evidence_{criterion.id}"] = TextAreaField(
            f"Evidence for {criterion.title}",
            widget=GovTextArea(),
            validators=[Length(max=EVIDENCE_MAX, message=(
                f"Evidence for {criterion.title} must be {EVIDENCE_MAX} characters or fewer"))],
        )
    attrs["override_grade"] = RadioField(
        "Do you want to override the computed overall grade?",
        choices=[SelectChoice(NO_OVERRIDE, "No, use the computed grade")]
        + [SelectChoice(str(level.value), f"Yes, make it {level.label}")
           for level in rubric.scale],
        default=NO_OVERRIDE,
        widget=GovRadioInput(),
        validators=[Optional()],
        invalid_choice_message="Select whether to override the overall grade from the list",
    )
    attrs["override_reason"] = TextAreaField(
        "Reason for the override",
        widget=GovTextArea(),
        validators=[Length(max=REASON_MAX, message=(
            f"The reason for the override must be {REASON_MAX} characters or fewer"))],
    )
    return type(f"ScoringForm_{rubric.id.replace('-', '_')}", (ScoringForm,), attrs)


def _criterion_hint(criterion: Criterion) -> str:
    parts = [f"Section {criterion.section}." if criterion.section else "",
             "Limiting: the overall grade can be no better than this one." if criterion.limiting
             else "", criterion.guidance]
    return " ".join(p for p in parts if p) or "Choose the grade whose descriptor fits best."


def _as_int(value: object) -> int | None:
    if value in (None, "", NO_OVERRIDE):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None
