"""Forms for setting up a round, confirming a check page, and the panel's reference grades.
An auditor's blind grades use the live scoring form (qa_app/audits/scoring/layout.py)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from qa_app.standards.rubric import Criterion, Rubric

CONFIRMED = "yes"
NO_CHAIR = "none"


class RoundForm(FlaskForm):
    name = StringField("Name of the round", widget=GovTextInput(), validators=[
        DataRequired(message="Enter a name for the round"),
        Length(max=120, message="The name must be 120 characters or fewer")])
    subject_ref = StringField("Plan or advice reference", widget=GovTextInput(), validators=[
        DataRequired(message="Enter the reference of a plan or advice in the register"),
        Length(max=80, message="The reference must be 80 characters or fewer")])
    rubric_version_id = SelectField(
        "Practice standard and version", widget=GovSelect(),
        validators=[DataRequired(message="Choose the practice standard to grade against")],
        invalid_choice_message="Choose a practice standard from the list")
    chair_id = SelectField("Who agrees the reference grade", widget=GovSelect(),
                           invalid_choice_message="Choose who agrees the reference grade from "
                                                  "the list")
    auditor_ids = SelectMultipleField(
        "Auditors taking part", widget=GovCheckboxesInput(),
        validators=[DataRequired(message="Choose at least two auditors")],
        invalid_choice_message="Choose auditors from the list")
    submit = SubmitField("Start the round", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A check page's confirmation: the hidden field proves the post came from that page."""

    confirmed = HiddenField()


class ReferenceForm(FlaskForm):
    """One radio group per judged criterion; built per rubric and subject."""

    judged: tuple[Criterion, ...] = ()

    def grades(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for criterion in self.judged:
            value = self[f"grade_{criterion.id}"].data
            out[criterion.id] = int(value) if value not in (None, "", "None") else None
        return out


def reference_form_class(rubric: Rubric, judged: tuple[Criterion, ...]) -> type[ReferenceForm]:
    choices = [SelectChoice(str(level.value), level.label) for level in rubric.scale]
    attrs: dict[str, Any] = {"judged": judged}
    for criterion in judged:
        attrs[f"grade_{criterion.id}"] = RadioField(
            criterion.title, choices=choices, widget=GovRadioInput(),
            validators=[Optional()],
            invalid_choice_message=f"Select a grade for {criterion.title} from the list")
    return type("ReferenceForm_" + rubric.id.replace("-", "_"), (ReferenceForm,), attrs)
