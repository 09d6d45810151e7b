"""Forms for the register pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from qa_app.register.models import ADVICE_EXCEPTION_LABELS, PLAN_EXCEPTION_LABELS


class AdviceExceptionForm(FlaskForm):
    exception = RadioField(
        "Does a statutory exception to the six-week deadline apply?",
        widget=GovRadioInput(),
        choices=[SelectChoice("", "No exception"),
                 *[SelectChoice(k.value, v) for k, v in ADVICE_EXCEPTION_LABELS.items()]],
        default="",
        validate_choice=True,
    )
    exception_note = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="Why the exception applies. Do not include the child's name.",
        validators=[Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )
    submit = SubmitField("Save exception", widget=GovSubmitInput())

    def validate_exception_note(self, field: TextAreaField) -> None:
        if self.exception.data and not (field.data or "").strip():
            raise ValidationError("Give the reason the exception applies")


class PlanExceptionForm(FlaskForm):
    """The question page and, with `confirmed` set, the check step's confirmation."""

    exception = RadioField(
        "Does a statutory exception to the 20-week time limit apply?",
        widget=GovRadioInput(),
        choices=[SelectChoice("", "No exception"),
                 *[SelectChoice(k.value, v) for k, v in PLAN_EXCEPTION_LABELS.items()]],
        default="",
        validate_choice=True,
    )
    exception_note = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="Why the exception applies, with dates where you have them. Do not "
        "include the child's name.",
        validators=[Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_exception_note(self, field: TextAreaField) -> None:
        if self.exception.data and not (field.data or "").strip():
            raise ValidationError("Give the reason the exception applies")
