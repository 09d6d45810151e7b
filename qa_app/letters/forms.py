"""Forms for generating, editing and issuing letters, responses and board dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

TEXT_LIMIT = 10_000


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes, with GOV.UK wording for errors."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3 or not any(v.strip() for v in valuelist):
            self.data = None
            self.raw_data = None  # the widget redisplays exactly three boxes, or none
            if any(v.strip() for v in valuelist):
                raise ValueError(f"{self.label.text} must be a real date, for example 27 3 2026")
            return
        try:
            self.data = datetime.strptime(" ".join(v.strip() for v in valuelist),
                                          "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, for example 27 3 2026")\
                from None


def _text(label: str, message: str, description: str = "", required: bool = True) -> StringField:
    checks = [DataRequired(message=message)] if required else [Optional()]
    return StringField(label, widget=GovTextArea(), description=description,
                       validators=[*checks, Length(max=TEXT_LIMIT, message=f"{label} must be "
                                                   f"{TEXT_LIMIT:,} characters or fewer")])


class GenerateForm(FlaskForm):
    cycle_id = HiddenField(validators=[InputRequired()])
    submit = SubmitField("Generate letters", widget=GovSubmitInput())


class PartialForm(FlaskForm):
    """The manager's explicit choice to write letters before the sample is all finalised."""

    finalised = HiddenField(validators=[InputRequired()])
    sampled = HiddenField(validators=[InputRequired()])
    confirm = BooleanField(
        "I understand that each letter will be based on part of the sample and will say so",
        widget=GovCheckboxInput(),
        validators=[DataRequired(message="Confirm that the letters may be based on part of "
                                         "the sample")])
    submit = SubmitField("Generate partial letters", widget=GovSubmitInput())


class EditLetterForm(FlaskForm):
    opening = _text("Opening paragraph", "Enter the opening paragraph",
                    "Leave a blank line between paragraphs.")
    strengths = _text("Strengths", "Enter the strengths paragraph",
                      "Shown above the criteria where the agency met the target.")
    areas = _text("Areas for development", "Enter the areas for development paragraph",
                  "Shown above the criteria with the lowest rates.")
    correction_note = _text("What this correction changes", "", required=False,
                            description="Printed at the top of a corrected letter.")
    omitted = SelectMultipleField("Quotations to leave out", widget=GovCheckboxesInput(),
                                  choices=[], validate_choice=False,
                                  description="Tick any auditor's note the letter must not "
                                  "quote, for example one that could identify a child.")
    submit = SubmitField("Save draft", widget=GovSubmitInput())


class IssueForm(FlaskForm):
    """Posted only from the check page, which fills in what it showed (`checked`)."""

    checked = HiddenField()
    submit = SubmitField("Issue letter", widget=GovSubmitInput())


class CorrectionForm(FlaskForm):
    reason = _text("What the correction changes", "Say what the correction changes",
                   "Printed at the top of the new version, which replaces this one.")
    submit = SubmitField("Start a correction", widget=GovSubmitInput())


class ChangeRowForm(FlaskForm):
    """One change in the response. The rules (required boxes, dates after today, limits)
    are the operation's, so a command and the demo meet the same ones."""

    class Meta:
        csrf = False

    change = StringField("What will change", widget=GovCharacterCount(),
                         description="What your agency will do in answer to the letter.")
    owner = StringField("Who owns it", widget=GovTextInput(),
                        description="A role or named post, for example Head of Service.")
    complete_by = DayMonthYearField("Done by")


class ResponseForm(FlaskForm):
    """The rows of the draft; the button pressed (`action`) says what to do with them."""

    rows = FieldList(FormField(ChangeRowForm), min_entries=1)


class SendResponseForm(FlaskForm):
    """Posted only from the check page, with the fingerprint of the draft it showed."""

    checked = HiddenField()
    submit = SubmitField("Send response", widget=GovSubmitInput())


class PresentedForm(FlaskForm):
    presented_on = DayMonthYearField("Date of the board meeting", validators=[
        InputRequired(message="Enter the date of the board meeting")])
    submit = SubmitField("Record board date", widget=GovSubmitInput())
