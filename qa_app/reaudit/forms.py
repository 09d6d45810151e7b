"""The two questions of a re-audit: confirm a mark, and the date the work was amended."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput
from wtforms import HiddenField, SubmitField
from wtforms.validators import Optional

from qa_app.form_fields import GovDateField


class MarkForm(FlaskForm):
    submit = SubmitField("Mark to amend and re-audit", widget=GovSubmitInput())


class AmendmentForm(FlaskForm):
    """The date first, then a check page that posts it again with `checked` set."""

    amended_on = GovDateField("Date the work was amended", format="%d %m %Y",
                              widget=GovDateInput(), validators=[Optional()],
                              description="For example, 27 3 2026. It cannot be in the future "
                                          "or before the day the grade was finalised.")
    checked = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())
