"""The upload form and the confirm button of the preview page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import HiddenField, SubmitField


class UploadForm(FlaskForm):
    file = FileField(
        "Rubric or targets file",
        description="A YAML file like those in the rubrics folder: one practice standard, "
        "or targets.yaml. Nothing is stored until you have seen what it changes.",
        widget=GovFileInput(),
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """Names the kept upload; the content itself is never posted back."""

    token = HiddenField()
    sha256 = HiddenField()
