"""Survey forms: the answer form is built at run time from the survey version, one field a
question; the manager's forms are small and fixed."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from qa_app.form_fields import GovDateField
from qa_app.surveys.definition import MAX_TEXT, Survey

RESPONDENT_CHOICES = [
    SelectChoice("parent_carer", "I am the child's parent or carer"),
    SelectChoice("young_person", "I am the young person the plan is for"),
]


class WhoForm(FlaskForm):
    respondent = RadioField(
        "Who is filling this in?", widget=GovRadioInput(), choices=RESPONDENT_CHOICES,
        validators=[InputRequired(message="Choose who is filling this in")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


def answer_form(survey: Survey, formdata: Any = None) -> FlaskForm:
    """A form with one field per question, named by the question's id."""

    class AnswerForm(FlaskForm):
        pass

    for question in survey.questions:
        if question.kind == "scale" and question.scale is not None:
            choices = [SelectChoice(str(level.value), level.label)
                       for level in question.scale.levels]
            validators: list[Any] = (
                [InputRequired(message=f"Choose an answer to: {question.text}")]
                if question.required else [Optional()])
            field: Any = RadioField(question.text, widget=GovRadioInput(), choices=choices,
                                    validators=validators, description=question.hint or None)
        else:
            length = Length(max=MAX_TEXT, message=f"Write no more than {MAX_TEXT} characters")
            validators = [DataRequired(message=f"Answer: {question.text}"), length] \
                if question.required else [Optional(), length]
            field = StringField(question.text, widget=GovTextArea(), validators=validators,
                                description=question.hint or None)
        setattr(AnswerForm, question.id, field)
    AnswerForm.submit = SubmitField("Continue", widget=GovSubmitInput())  # type: ignore[attr-defined]
    return AnswerForm(formdata=formdata) if formdata is not None else AnswerForm()


class WholeDaysField(IntegerField):
    """A whole number of days; anything else gets a message that says so."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a number of days from 1 to 180, such as 28") from None


class FamilyLinksForm(FlaskForm):
    days = WholeDaysField(
        "How many days should the links work for?", widget=GovTextInput(),
        validators=[InputRequired(message="Enter a number of days"),
                    NumberRange(1, 180, message="Enter a number of days from 1 to 180")],
        default=28, description="From 1 to 180 days. Families cannot answer after this.")
    checked = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RunForm(FlaskForm):
    name = StringField("Name of this survey run", widget=GovTextInput(),
                       validators=[DataRequired(message="Enter a name, such as Spring term 2027"),
                                   Length(max=120)],
                       description="For example, Spring term 2027")
    survey_id = SelectField("Survey", widget=GovSelect(),
                            validators=[DataRequired(message="Choose a survey")])
    closes_on = GovDateField("Closing date", format="%d %m %Y", widget=GovDateInput(),
                             validators=[DataRequired(message="Enter the closing date")],
                             description="The links stop working after this day. "
                                         "For example, 27 3 2027")
    checked = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class TrainingForm(FlaskForm):
    training_date = GovDateField("Training date", format="%d %m %Y", widget=GovDateInput(),
                                 validators=[Optional()],
                                 description="Answers sent before this day are compared with "
                                             "answers sent on or after it. Leave empty to "
                                             "remove it. For example, 12 1 2027")
    submit = SubmitField("Save training date", widget=GovSubmitInput())


class QuotableForm(FlaskForm):
    quotable = HiddenField()
