"""Each person manages their own API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from sqlalchemy import select
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from qa_app.api.models import ApiToken
from qa_app.api.tokens import create_token, revoke_token
from qa_app.auth.access import ALL_ROLES, roles
from qa_app.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


class TokenForm(FlaskForm):
    name = StringField(
        "What the token is for",
        widget=GovTextInput(),
        description="For example, 'Power BI partnership dashboard'",
        validators=[DataRequired(message="Enter what the token is for"),
                    Length(max=100, message="Use 100 characters or fewer")],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke", widget=GovSubmitInput())


def _own_tokens() -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ).scalars())


@bp.route("/", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def index():  # noqa: ANN201
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _, new_token = create_token(current_user._get_current_object(), form.name.data or "")
        db.session.commit()
        form = TokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, tokens=_own_tokens(),
                           new_token=new_token, revoke_form=RevokeForm())


@bp.post("/<int:token_id>/revoke")
@roles(*ALL_ROLES)
def revoke(token_id: int):  # noqa: ANN201
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    row = db.session.execute(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    revoke_token(row, current_user.id)
    db.session.commit()
    flash(f"The token '{row.name}' has been revoked. Anything using it will stop working.",
          "success")
    return redirect(url_for("api_tokens.index"))
