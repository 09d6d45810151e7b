"""Forms: the lead's reason for a challenge, and the chair's outcome (built from the rubric
and the grade's criteria). Each is saved only from its check page, which posts `confirmed`."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from qa_app.audits.moderation.operations import REASON_MAX
from qa_app.challenges.models import CHANGED, UPHELD, GradeChallenge
from qa_app.challenges.operations import rubric_of

CONFIRMED = "yes"
TOO_LONG = f"The reason must be {REASON_MAX} characters or fewer"


class RaiseForm(FlaskForm):
    reason = TextAreaField(
        "Why does your agency challenge this grade?", widget=GovCharacterCount(),
        description="Say which criteria you think were graded wrongly and why. Do not name "
                    "the child or their family.",
        validators=[DataRequired(message="Enter why your agency challenges this grade"),
                    Length(max=REASON_MAX, message=TOO_LONG)])
    confirmed = HiddenField()


def outcome_form(challenge: GradeChallenge, formdata: Any = ...) -> FlaskForm:
    """The outcome, a new overall grade and a grade for each criterion the grade has."""
    rubric = rubric_of(challenge)
    final = challenge.final_grade
    scale = [SelectChoice(str(level.value), level.label) for level in rubric.scale]
    attrs: dict[str, Any] = {
        "outcome": RadioField(
            "Your decision", widget=GovRadioInput(),
            choices=[SelectChoice(UPHELD, "Uphold the grade: it stands"),
                     SelectChoice(CHANGED, "Change the grade")],
            validators=[InputRequired(message="Choose whether the grade stands or is changed")],
            invalid_choice_message="Choose whether the grade stands or is changed"),
        "grade": RadioField(
            "New overall grade", choices=scale, widget=GovRadioInput(),
            default=str(final.grade), validators=[Optional()],
            invalid_choice_message="Choose the new overall grade from the list"),
    }
    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    for row in sorted(final.criteria, key=lambda c: order.get(c.criterion_id, 999)):
        title = rubric.criterion(row.criterion_id).title
        attrs[f"criterion_{row.criterion_id}"] = RadioField(
            f"New grade for {title}", choices=scale, widget=GovRadioInput(),
            default=str(row.grade), validators=[Optional()],
            invalid_choice_message="Choose a grade from the list")
    attrs["reason"] = TextAreaField(
        "Reason for your decision", widget=GovCharacterCount(),
        validators=[DataRequired(message="Enter the reason for your decision"),
                    Length(max=REASON_MAX, message=TOO_LONG)])
    attrs["confirmed"] = HiddenField()
    form_class = type("ChallengeOutcomeForm", (FlaskForm,), attrs)
    return form_class() if formdata is ... else form_class(formdata=formdata)


def chosen_criteria(form: FlaskForm) -> dict[str, int]:
    return {name.removeprefix("criterion_"): int(form[name].data)
            for name in form._fields
            if name.startswith("criterion_") and str(form[name].data or "").isdigit()}


def chosen_grade(form: FlaskForm) -> int | None:
    value = str(form.grade.data or "")
    return int(value) if value.isdigit() else None
