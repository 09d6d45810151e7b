"""The account page: who you are signed in as, and the ways to protect that sign-in
(password, authenticator app, recovery codes) and to use the API."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth import second_factor as factor
from qa_app.auth.access import ALL_ROLES, roles

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
@roles(*ALL_ROLES)
def index() -> ResponseReturnValue:
    user = current_user._get_current_object()
    row = factor.confirmed_factor(user.id)
    return render_template(
        "auth/account.html", user=user, factor=row,
        recovery_left=factor.unused_recovery_codes(user.id) if row else 0,
        required=factor.required_for(user),
    )
