"""The one form of the learning pages: publishing a brief from its check page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import HiddenField, SubmitField


class PublishForm(FlaskForm):
    """Posted only from the check page, with the fingerprint of the brief it showed."""

    checked = HiddenField()
    submit = SubmitField("Publish the learning brief", widget=GovSubmitInput())
