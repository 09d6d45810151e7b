"""The scoring form: one WTForms class per rubric version and set of criteria that apply to
the subject, built at run time (see layout.py), each judged criterion a GOV.UK radio group
with an evidence note, then the optional override of the overall grade."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovRadioInput,
)
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from qa_app.audits.scoring.models import Audit
from qa_app.standards.rubric import Criterion, Rubric

EVIDENCE_MAX = 5000
REASON_MAX = 2000
NO_OVERRIDE = "none"
CONFIRMED = "yes"


@dataclass(frozen=True)
class ScoreInput:
    """What an auditor entered: judged grades (None = not graded yet), notes and override."""

    grades: dict[str, int | None]
    evidence: dict[str, str]
    override: int | None
    override_reason: str | None


class ScoringForm(FlaskForm):
    """Base of every generated scoring form; subclasses add one radio group per criterion."""

    row_version = HiddenField()
    rubric: ClassVar[Rubric]
    judged: ClassVar[tuple[Criterion, ...]] = ()

    @property
    def overriding(self) -> bool:
        return bool(self["override"].data)

    def read(self) -> ScoreInput:
        grades = {c.id: _as_int(self[f"grade_{c.id}"].data) for c in self.judged}
        evidence = {c.id: (self[f"evidence_{c.id}"].data or "").strip() for c in self.judged}
        if not self.overriding:
            return ScoreInput(grades, evidence, None, None)
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
        if self.overriding:
            if data.override is None and not self["override_grade"].errors:
                self["override_grade"].errors.append("Select the overall grade you want instead")
            if not data.override_reason and not self["override_reason"].errors:
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
        overridden = audit.override_grade is not None
        self["override"].data = overridden
        self["override_grade"].data = str(audit.override_grade) if overridden else None
        self["override_reason"].data = audit.override_reason or ""
        self.row_version.data = str(audit.row_version)

    def offer_overrides(self, allowed: Iterable[int]) -> None:
        """Offer only the overall grades the grading rules allow (set after validating, so
        a refused grade is explained by the rule rather than as "not a valid choice")."""
        wanted = {str(value) for value in allowed}
        field = self["override_grade"]
        field.choices = [c for c in _override_choices(self.rubric) if c.value in wanted]


class SubmitAuditForm(FlaskForm):
    """The check page's confirmation: the version checked, and that it was checked."""

    row_version = HiddenField()
    confirmed = HiddenField()


def build_form_class(rubric: Rubric, judged: tuple[Criterion, ...]) -> type[ScoringForm]:
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
            widget=GovCharacterCount(),
            validators=[Length(max=EVIDENCE_MAX, message=(
                f"Evidence for {criterion.title} must be {EVIDENCE_MAX} characters or fewer"))],
        )
    attrs["override"] = BooleanField("Override the computed overall grade",
                                     widget=GovCheckboxInput())
    attrs["override_grade"] = RadioField(
        "What should the overall grade be?",
        choices=_override_choices(rubric),
        widget=GovRadioInput(),
        validators=[Optional()],
        invalid_choice_message="Select the overall grade you want instead from the list",
    )
    attrs["override_reason"] = TextAreaField(
        "Reason for the override",
        widget=GovCharacterCount(),
        validators=[Length(max=REASON_MAX, message=(
            f"The reason for the override must be {REASON_MAX} characters or fewer"))],
    )
    return type(f"ScoringForm_{rubric.id.replace('-', '_')}", (ScoringForm,), attrs)


def _override_choices(rubric: Rubric) -> list[SelectChoice]:
    return [SelectChoice(str(level.value), f"Make it {level.label}") for level in rubric.scale]


def _as_int(value: object) -> int | None:
    if value in (None, "", NO_OVERRIDE):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None
