"""The questions of a re-audit: confirm a mark, the date the work was amended, and why a mark
is withdrawn."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovDateInput, GovSubmitInput
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from qa_app.form_fields import GovDateField
from qa_app.reaudit.operations import REASON_MAX


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


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing the mark?", widget=GovCharacterCount(),
        description="For example, the work was marked by mistake. The reason is kept with "
                    "the mark and in the audit log.",
        validators=[DataRequired(message="Enter why you are withdrawing the mark"),
                    Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} "
                           "characters or fewer")])
    submit = SubmitField("Withdraw the mark", widget=GovSubmitInput())
