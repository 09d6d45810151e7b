"""Each person manages their own API tokens.

A token reads everything its owner can see, for months, from any machine: so making one
asks for the owner's password again (someone at an unlocked screen cannot make one), and
wrong passwords here count towards a limit like sign-in does.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from sqlalchemy import select
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from qa_app import transactions
from qa_app.api.models import ApiToken
from qa_app.api.tokens import create_token, lifetime, note_use, noted_use, revoke_token
from qa_app.auth.access import ALL_ROLES, roles
from qa_app.auth.passwords import verify_password
from qa_app.extensions import db, limiter
from qa_app.timeutil import utcnow

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")

WRONG_PASSWORD = "Your password is not correct"
TOKEN_PASSWORD_RATE_LIMIT = "10 per 10 minutes"


class TokenForm(FlaskForm):
    name = StringField(
        "What the token is for",
        widget=GovTextInput(),
        description="For example, 'Power BI partnership dashboard'",
        validators=[DataRequired(message="Enter what the token is for"),
                    Length(max=100, message="Use 100 characters or fewer")],
    )
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        description="Enter your password again to confirm it is you making the token",
        validators=[DataRequired(message="Enter your password")],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke", widget=GovSubmitInput())


@bp.after_app_request
def _keep_token_use(response: Response) -> Response:
    """A token's last use shows every request that used it. A success saved the use with
    the request's commit; a request refused with a 4xx keeps nothing it wrote, so its use
    alone is saved now. A server error saves nothing."""
    used = noted_use()
    if used is not None and 400 <= response.status_code < 500:
        db.session.rollback()
        note_use(*used)
        transactions.commit_point()
    return response


def _own_tokens() -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.expires_at <= utcnow(),
                  ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars())


def _wrong_password(_response: object) -> bool:
    return bool(g.get("token_password_wrong"))


@bp.route("/", methods=["GET", "POST"])
@roles(*ALL_ROLES)
@limiter.limit(TOKEN_PASSWORD_RATE_LIMIT, methods=["POST"],
               key_func=lambda: f"token-password|{getattr(current_user, 'id', '')}",
               deduct_when=_wrong_password,
               error_message="Too many wrong passwords. Wait 10 minutes and try again.")
def index() -> ResponseReturnValue:
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.password.data or ""):
            g.token_password_wrong = True
            form.password.errors = [WRONG_PASSWORD]
        else:
            _, new_token = create_token(user, form.name.data or "")
            form = TokenForm(formdata=None)
    days = int(lifetime().days)
    return render_template("api/tokens.html", form=form, tokens=_own_tokens(),
                           new_token=new_token, revoke_form=RevokeForm(), days=days)


@bp.post("/<int:token_id>/revoke")
@roles(*ALL_ROLES)
def revoke(token_id: int) -> ResponseReturnValue:
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    row = db.session.execute(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    revoke_token(row, current_user.id)
    flash(f"The token '{row.name}' has been revoked. Anything using it will stop working.",
          "success")
    return redirect(url_for("api_tokens.index"))

