"""Forms for the register pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from qa_app.register.models import ADVICE_EXCEPTION_LABELS, PLAN_EXCEPTION_LABELS


def _exception_field(question: str, labels: dict) -> RadioField:
    return RadioField(
        question,
        widget=GovRadioInput(),
        choices=[SelectChoice("", "No exception"),
                 *[SelectChoice(k.value, v) for k, v in labels.items()]],
        default="",
        validate_choice=True,
    )


def _note_field(description: str) -> TextAreaField:
    return TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description=description,
        validators=[Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )


class _ExceptionForm(FlaskForm):
    """A statutory exception needs its reason written."""

    def validate_exception_note(self, field: TextAreaField) -> None:
        if self.exception.data and not (field.data or "").strip():  # type: ignore[attr-defined]
            raise ValidationError("Give the reason the exception applies")


class AdviceExceptionForm(_ExceptionForm):
    exception = _exception_field("Does a statutory exception to the six-week deadline apply?",
                                 ADVICE_EXCEPTION_LABELS)
    exception_note = _note_field("Why the exception applies. Do not include the child's name.")
    submit = SubmitField("Save exception", widget=GovSubmitInput())


class PlanExceptionForm(_ExceptionForm):
    """The question page and, with `confirmed` set, the check step's confirmation."""

    exception = _exception_field(
        "Does a statutory exception to the 20-week time limit apply?", PLAN_EXCEPTION_LABELS)
    exception_note = _note_field("Why the exception applies, with dates where you have them. "
                                 "Do not include the child's name.")
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())
