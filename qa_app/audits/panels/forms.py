"""Forms for setting up a panel, changing it, adding a member and reassigning an audit."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from qa_app.audits.cycles.models import Cycle
from qa_app.auth.models import User
from qa_app.form_fields import GovDateField


class MeetingDateField(GovDateField):
    def message(self) -> str:
        return "Enter the meeting date as a real date, for example 27 3 2026"


class PanelForm(FlaskForm):
    cycle_id = SelectField("Cycle", widget=GovSelect(),
                           validators=[DataRequired(message="Choose a cycle")])
    name = StringField("Panel name", widget=GovTextInput(), validators=[
        DataRequired(message="Enter a name for the panel"),
        Length(max=120, message="The panel name must be 120 characters or fewer")])
    chair_id = SelectField("Chair", widget=GovSelect(),
                           validators=[DataRequired(message="Choose the panel chair")])
    auditor_ids = SelectMultipleField(
        "Auditors", widget=GovCheckboxesInput(),
        validators=[DataRequired(message="Choose at least two auditors")],
        invalid_choice_message="Choose auditors from the list")
    meeting_date = MeetingDateField("Meeting date (optional)", widget=GovDateInput(),
                                    format="%d %m %Y")
    submit = SubmitField("Create panel", widget=GovSubmitInput())


class PanelDetailsForm(FlaskForm):
    name = PanelForm.name
    chair_id = PanelForm.chair_id
    meeting_date = PanelForm.meeting_date
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class MemberForm(FlaskForm):
    user_id = SelectField("Auditor to add", widget=GovSelect(),
                          validators=[DataRequired(message="Choose an auditor to add")])
    add = SubmitField("Add to panel", widget=GovSubmitInput())


class ReassignForm(FlaskForm):
    auditor_id = SelectField("New auditor", widget=GovSelect(),
                             validators=[DataRequired(message="Choose the new auditor")])
    submit = SubmitField("Reassign", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """CSRF only: buttons that post without fields."""


def cycle_choices(cycles: list[Cycle]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose a cycle")] + [
        SelectChoice(str(c.id), f"{c.name} ({c.academic_year})") for c in cycles]


def chair_choices(chairs: list[User]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose the chair")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.email})") for u in chairs]


def auditor_choices(auditors: list[User]) -> list[SelectChoice]:
    return [SelectChoice(str(u.id), f"{u.display_name}, {u.agency.name if u.agency else ''}")
            for u in auditors]


def member_choices(auditors: list[User]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose an auditor"), *auditor_choices(auditors)]


def reassign_choices(candidates: list[User], loads: dict[int, int]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose an auditor")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.agency.name if u.agency else ''}), "
                     f"{loads[u.id]} audits") for u in candidates]
