"""Forms for the emailed links: choosing a password, and asking for a reset link."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from qa_app.auth.passwords import MIN_LENGTH


class ChoosePasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"At least {MIN_LENGTH} characters. A few unrelated words work well.",
        validators=[
            DataRequired(message="Enter a new password"),
            Length(min=MIN_LENGTH, message=f"Password must be {MIN_LENGTH} characters or more"),
        ],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Confirm your new password"),
            EqualTo("new_password", message="Passwords must match"),
        ],
    )
    submit = SubmitField("Set password", widget=GovSubmitInput())


class ForgottenPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter your email address"),
                    Length(max=254, message="Email address must be 254 characters or fewer")],
    )
    submit = SubmitField("Send me a reset link", widget=GovSubmitInput())
