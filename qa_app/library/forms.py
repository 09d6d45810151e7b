"""Forms for the library: an auditor marks an excerpt; the chair checks and decides."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from qa_app.library.operations import CHECKLIST, EXCERPT_LIMIT, REASON_LIMIT

EXCERPT_TOO_LONG = f"The excerpt must be {EXCERPT_LIMIT:,} characters or fewer"


class MarkForm(FlaskForm):
    excerpt = StringField(
        "Excerpt", widget=GovCharacterCount(),
        description="Type or paste the words that show good practice. Leave out names, dates "
        "of birth, addresses, schools and anything else that could identify the child or "
        "family. The panel chair checks it before anyone else can read it.",
        validators=[DataRequired(message="Enter the excerpt"),
                    Length(max=EXCERPT_LIMIT, message=EXCERPT_TOO_LONG)])
    submit = SubmitField("Send to the panel chair", widget=GovSubmitInput())


class DecideForm(FlaskForm):
    """Filled in, then posted again from the check page with `confirmed` set."""

    decision = RadioField(
        "Your decision", widget=GovRadioInput(),
        choices=[SelectChoice("approve", "Approve: show it in the good-practice library"),
                 SelectChoice("reject", "Reject: do not show it")],
        validators=[DataRequired(message="Choose whether to approve or reject the example")])
    excerpt = StringField(
        "Wording to show", widget=GovCharacterCount(),
        description="You can change the wording before approving, for example to take out "
        "a detail that could identify someone.",
        validators=[Optional(), Length(max=EXCERPT_LIMIT, message=EXCERPT_TOO_LONG)])
    checks = SelectMultipleField(
        "Checks before approving", widget=GovCheckboxesInput(),
        description="Tick each one you have checked. All are needed to approve.",
        choices=[SelectChoice(key, text) for key, text in CHECKLIST],
        invalid_choice_message="Choose checks from the list")
    reason = StringField(
        "Reason for rejecting", widget=GovCharacterCount(),
        description="The auditor who marked the example reads this.",
        validators=[Optional(), Length(max=REASON_LIMIT, message="The reason must be "
                                       f"{REASON_LIMIT} characters or fewer")])
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())
