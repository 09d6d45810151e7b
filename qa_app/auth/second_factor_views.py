"""The second-factor pages: the code step of signing in, setting up an authenticator app,
turning it off, and sending people whose role needs one to set it up.

The password step (auth/views.py) hands over to `ask_for_code` for a person who has a
second factor. Until the code is right they are not signed in: the browser's session
holds only who passed the password step and when (for five minutes). Wrong codes count
towards SECOND_FACTOR_RATE_LIMIT for that account, whatever address they come from.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RequestLimit
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired

from qa_app import audit_log
from qa_app.auth import operations
from qa_app.auth import second_factor as factor
from qa_app.auth.access import ALL_ROLES, public, roles
from qa_app.auth.models import User
from qa_app.auth.passwords import verify_password
from qa_app.extensions import db, limiter

bp = Blueprint("second_factor", __name__)

PENDING_SECONDS = 300
WRONG_CODE = "The code is not correct. Enter the code your app shows now, or a recovery code"
ALWAYS_ALLOWED = frozenset({
    "second_factor.set_up", "second_factor.sign_in_code", "auth.sign_out", "static", "assets",
    "govuk_dist",
})
"""Pages a person whose role needs a second factor can open before setting one up."""


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        description="The 6-digit code your authenticator app shows now",
        validators=[DataRequired(message="Enter the code from your authenticator app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpForm(FlaskForm):
    code = StringField(
        "Code from your app",
        widget=GovTextInput(),
        description="The 6-digit code the app shows after you add the key",
        validators=[DataRequired(message="Enter the code from your authenticator app")],
    )
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        description="Enter your password again to confirm it is you",
        validators=[DataRequired(message="Enter your password")],
    )
    submit = SubmitField("Turn on", widget=GovSubmitInput())


class TurnOffForm(FlaskForm):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[DataRequired(message="Enter your password")],
    )
    submit = SubmitField("Turn off", widget=GovSubmitInput())


def ask_for_code(user: User, next_url: str) -> Response:
    """Called by the password step instead of signing in: remember who passed it, briefly."""
    session.clear()
    session["second_factor_user"] = user.id
    session["second_factor_since"] = int(time.time())
    session["second_factor_next"] = next_url
    return redirect(url_for("second_factor.sign_in_code"))


def _pending_user() -> User | None:
    user_id = session.get("second_factor_user")
    since = session.get("second_factor_since") or 0
    if not isinstance(user_id, int) or time.time() - since > PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def _failed(_response: object) -> bool:
    return bool(g.get("second_factor_failed"))


def _note_reset(limit: RequestLimit) -> None:
    g.second_factor_reset_at = limit.reset_at


def _wait_message(what: str) -> str:
    reset_at = g.get("second_factor_reset_at")
    minutes = max(1, math.ceil(((reset_at or time.time() + 60) - time.time()) / 60))
    return f"{what} Try again in {minutes} minute{'' if minutes == 1 else 's'}."


def _limited(key: Callable[[], str], what: str) -> Any:
    """Decorator: SECOND_FACTOR_RATE_LIMIT on POSTs to this page, counting failures only."""
    return limiter.limit(lambda: current_app.config["SECOND_FACTOR_RATE_LIMIT"],
                         methods=["POST"], key_func=key, deduct_when=_failed,
                         on_breach=_note_reset, error_message=lambda: _wait_message(what))


def _pending_key() -> str:
    return f"second-factor|{session.get('second_factor_user', '')}"


def _account_key() -> str:
    return f"second-factor-set-up|{getattr(current_user, 'id', '')}"


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@_limited(_pending_key, "Too many wrong codes for this account.")
def sign_in_code() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        session.clear()
        flash("Sign in again: the code step lasts 5 minutes.", "info")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        how = factor.verify(user, form.code.data or "")
        if how is None:
            g.second_factor_failed = True
            audit_log.record("user.second_factor_wrong", "user", user.id, user_id=user.id)
            form.code.errors = [WRONG_CODE]
            return render_template("auth/sign_in_code.html", form=form)
        next_url = session.get("second_factor_next") or url_for("main.home")
        session.clear()
        operations.start_session(user)
        audit_log.record("user.sign_in", "user", user.id, user_id=user.id,
                         changes={"second_factor": how})
        login_user(user)
        if how == "recovery code":
            left = factor.unused_recovery_codes(user.id)
            flash(f"You used a recovery code. You have {left} left: set up your app again "
                  "from your account page to get new ones.", "info")
        return redirect(next_url)
    return render_template("auth/sign_in_code.html", form=form)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@roles(*ALL_ROLES)
@_limited(_account_key, "Too many wrong codes or passwords.")
def set_up() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if factor.is_enabled(user):
        return redirect(url_for("account.index"))
    row = factor.start_setup(user)
    form = SetUpForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data or ""):
            g.second_factor_failed = True
            form.password.errors = ["Your password is not correct"]
        else:
            codes = factor.confirm_setup(user, form.code.data or "")
            if codes is not None:
                return render_template("auth/second_factor_done.html", codes=codes)
            g.second_factor_failed = True
            form.code.errors = ["The code is not correct. Check the key you entered in your "
                                "app and enter the code it shows now"]
    return render_template("auth/second_factor_set_up.html", form=form,
                           key=factor.grouped(row.secret), uri=factor.setup_uri(user, row.secret),
                           required=factor.required_for(user))


@bp.route("/account/second-factor/turn-off", methods=["GET", "POST"])
@roles(*ALL_ROLES)
@_limited(_account_key, "Too many wrong codes or passwords.")
def turn_off() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not factor.is_enabled(user):
        return redirect(url_for("account.index"))
    form = TurnOffForm()
    if form.validate_on_submit():
        if verify_password(user.password_hash, form.password.data or ""):
            factor.turn_off(user, actor_id=user.id)
            flash("Your authenticator app has been turned off. Signing in now needs your "
                  "password only.", "success")
            return redirect(url_for("account.index"))
        g.second_factor_failed = True
        form.password.errors = ["Your password is not correct"]
    return render_template("auth/second_factor_turn_off.html", form=form,
                           required=factor.required_for(user))


@bp.before_app_request
def send_to_set_up() -> Response | None:
    """With SECOND_FACTOR_REQUIRED on, an admin, QI manager or panel chair without a second
    factor is sent to set one up before any other page. The API (tokens) is left alone."""
    if not current_app.config.get("SECOND_FACTOR_REQUIRED"):
        return None
    if request.endpoint is None or request.endpoint in ALWAYS_ALLOWED \
            or request.path.startswith("/api/"):
        return None
    if not current_user.is_authenticated or not factor.must_set_up(current_user):
        return None
    flash("Your role needs a second factor. Set up an authenticator app to continue.", "info")
    return redirect(url_for("second_factor.set_up"))
