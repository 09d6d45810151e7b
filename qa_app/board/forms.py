"""Forms for the board report: the board date, an agency's commentary, making it final."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSelect, GovSubmitInput
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from qa_app.board.operations import COMMENTARY_LIMIT
from qa_app.letters.forms import DayMonthYearField


class StartReportForm(FlaskForm):
    cycle_id = SelectField("Audit cycle", widget=GovSelect(), choices=[], coerce=str,
                           validators=[DataRequired(message="Choose the audit cycle")])
    board_date = DayMonthYearField(
        "Date the board meets", description="Agencies can add commentary until the day "
        "before. For example, 27 3 2026.",
        validators=[InputRequired(message="Enter the date the board meets")])
    submit = SubmitField("Start the report and ask for commentary", widget=GovSubmitInput())


class AskForm(FlaskForm):
    submit = SubmitField("Ask about the new exceptions", widget=GovSubmitInput())


class CommentaryForm(FlaskForm):
    commentary = StringField(
        "Your agency's commentary", widget=GovCharacterCount(),
        description="What lies behind the figure and what your agency is doing about it. "
        "Do not name or describe any child.",
        validators=[DataRequired(message="Enter your agency's commentary"),
                    Length(max=COMMENTARY_LIMIT, message="Commentary must be "
                           f"{COMMENTARY_LIMIT:,} characters or fewer")])
    submit = SubmitField("Save commentary", widget=GovSubmitInput())


class FinaliseForm(FlaskForm):
    """Posted only from the check page, with the fingerprint of the report it showed."""

    checked = HiddenField()
    submit = SubmitField("Make the report final", widget=GovSubmitInput())
