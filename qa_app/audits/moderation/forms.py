"""Forms for the chair: reopening an audit, finalising agreed grades, and the final grade of
a subject the auditors disagree on (built from the rubric and their grades). A final grade is
saved only from its check page, whose form carries `confirmed`."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from qa_app.audits.moderation.operations import REASON_MAX
from qa_app.audits.moderation.queries import SubjectReview


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "Why are you reopening this audit?", widget=GovCharacterCount(),
        validators=[DataRequired(message="Enter the reason for reopening this audit"),
                    Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} "
                           "characters or fewer")])
    submit = SubmitField("Reopen audit", widget=GovSubmitInput())


CONFIRMED = "yes"


class FinaliseForm(FlaskForm):
    """The check page's confirmation; the subjects shown are posted as `subject` values."""

    confirmed = HiddenField()


def moderation_form(review: SubjectReview, formdata: Any = ...) -> FlaskForm:
    """Radios for the overall grade and for each criterion the auditors graded differently."""
    rubric = review.rubric
    scale = [SelectChoice(str(level.value), level.label) for level in rubric.scale]
    lower = review.lower_grades()
    final = review.final
    existing = {c.criterion_id: c.grade for c in final.criteria} if final else {}
    attrs: dict[str, Any] = {}
    for cid in review.differing_criteria():
        criterion = rubric.criterion(cid)
        attrs[f"criterion_{cid}"] = RadioField(
            f"Final grade for {criterion.title}", choices=scale, widget=GovRadioInput(),
            default=str(existing.get(cid, lower[cid])),
            validators=[InputRequired(message=f"Choose the final grade for {criterion.title}")],
            invalid_choice_message="Choose a grade from the list")
    attrs["grade"] = RadioField(
        "Final overall grade", choices=scale, widget=GovRadioInput(),
        default=str(final.grade) if final else None,
        validators=[InputRequired(message="Choose the final overall grade")],
        invalid_choice_message="Choose the final overall grade from the list")
    attrs["reason"] = TextAreaField(
        "Reason for the final grade", widget=GovCharacterCount(),
        validators=[DataRequired(message="Enter the reason for this final grade"),
                    Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} "
                           "characters or fewer")])
    attrs["confirmed"] = HiddenField()
    form_class = type("ModerationForm", (FlaskForm,), attrs)
    return form_class() if formdata is ... else form_class(formdata=formdata)
