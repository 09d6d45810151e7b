"""The Users pages' forms. Role and agency are checked by the rules in
qa_app/auth/operations.py (a forged value gets the same message as a wrong choice), so the
fields here take any value and leave the refusing to them."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from qa_app.auth.models import Role
from qa_app.people.queries import STATUSES, open_agencies

CONFIRMED = "yes"
NAME_MAX = 120
SEARCH_MAX = 254
EMAIL_FORM = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, r.label) for r in Role]


def agency_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(str(a.id), a.name) for a in open_agencies()]


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search by name or email", widget=GovTextInput(), validators=[
        Optional(), Length(max=SEARCH_MAX, message=(
            f"The search must be {SEARCH_MAX} characters or fewer"))])
    role = SelectField("Role", widget=GovSelect(), validators=[Optional()],
                       invalid_choice_message="Choose a role from the list")
    agency = SelectField("Agency", widget=GovSelect(), validators=[Optional()],
                         invalid_choice_message="Choose an agency from the list")
    status = SelectField("Status", widget=GovSelect(), validators=[Optional()],
                         invalid_choice_message="Choose a status from the list")

    def fill_choices(self) -> UserFilterForm:
        self.role.choices = [SelectChoice("", "Any role"), *role_choices()]
        self.agency.choices = agency_choices("Any agency")
        self.status.choices = [SelectChoice("", "Any status")] + [
            SelectChoice(k, v) for k, v in STATUSES.items()]
        return self


class RoleAndAgencyForm(FlaskForm):
    role = RadioField("Role", widget=GovRadioInput(), validate_choice=False,
                      validators=[InputRequired(message="Choose a role")])
    agency = SelectField("Agency", widget=GovSelect(), validate_choice=False,
                         description="Auditors and agency leads must have one. For other "
                                     "roles it is optional.")
    confirmed = HiddenField()

    def fill_choices(self) -> RoleAndAgencyForm:
        self.role.choices = role_choices()
        self.agency.choices = agency_choices("No agency")
        return self


class InviteForm(RoleAndAgencyForm):
    email = StringField("Email address", widget=GovTextInput(), validators=[
        InputRequired(message="Enter their email address"),
        Length(max=254, message="The email address must be 254 characters or fewer"),
        Regexp(EMAIL_FORM, message="Enter an email address in the right form, like "
                                   "name@example.org")])
    name = StringField("Full name", widget=GovTextInput(), validators=[
        InputRequired(message="Enter their full name"),
        Length(max=NAME_MAX, message=f"The name must be {NAME_MAX} characters or fewer")])


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())
