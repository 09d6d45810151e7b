"""Forms for the action page: owner and due date, a note, asking to close, closing anyway,
and the list's filters."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from qa_app.form_fields import GovDateField

NOBODY = ""


class AssignForm(FlaskForm):
    """The manager's: who owns the action and when it is due. The owner's choices are set
    by the view from the agency's leads."""

    owner_id = SelectField("Owner", widget=GovSelect(), validators=[Optional()],
                           description="One of the agency's leads answers for the action.")
    due_date = GovDateField("Due date", format="%d %m %Y", widget=GovDateInput(),
                            validators=[Optional()], description="For example, 27 3 2026")
    submit = SubmitField("Save owner and due date", widget=GovSubmitInput())


class NoteForm(FlaskForm):
    text = StringField("Add a note", widget=GovTextArea(),
                       description="What has been done or planned. Everyone who can see "
                                   "this action can read it.")
    submit = SubmitField("Add note", widget=GovSubmitInput())


class CloseRequestForm(FlaskForm):
    """Asking to close: the note first, then a check page that posts it again with
    `checked` set."""

    note = StringField("What changed", widget=GovTextArea(),
                       description="What the agency changed, so the figure can recover.")
    checked = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CloseAnywayForm(FlaskForm):
    reason = StringField("Why it is closed", widget=GovTextArea(),
                         description="The figure has not recovered: record why the action "
                                     "is closed anyway.")
    checked = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", widget=GovSelect(), validators=[Optional()])
    agency = SelectField("Agency", widget=GovSelect(), validators=[Optional()])
    overdue = BooleanField("Overdue only", widget=GovCheckboxInput())
    submit = SubmitField("Show actions", widget=GovSubmitInput())
