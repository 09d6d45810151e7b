"""The agency forms; the rules live in agencies/operations.py, which the views call."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from qa_app.agencies.queries import TYPE_WORDS

CONFIRMED = "yes"


class AgencyForm(FlaskForm):
    """One form for every step: the question page shows some fields, the check page posts
    them again as hidden values with `confirmed`, and the rules are checked both times."""

    name = StringField("Name", widget=GovTextInput(),
                       description="Imports find the agency by this name, in any capitals.")
    type = RadioField("Type of agency", widget=GovRadioInput(),
                      choices=[SelectChoice(k, v) for k, v in TYPE_WORDS.items()],
                      validate_choice=False)
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def on_check_page(self) -> bool:
        """Posted from the check page: the only post that changes anything."""
        return self.confirmed.data == CONFIRMED
