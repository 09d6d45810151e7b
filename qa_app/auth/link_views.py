"""The pages behind the emailed links: accept an invitation, ask for and use a password reset.

All are open to signed-out visitors; the secret in the link is the only key. A link that
has been used, replaced or has expired gets one clear page saying what to do instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from qa_app import audit_log
from qa_app.auth import invitations, operations, password_reset, second_factor
from qa_app.auth.access import public
from qa_app.auth.account_links import live_link
from qa_app.auth.link_forms import ChoosePasswordForm, ForgottenPasswordForm
from qa_app.auth.link_models import INVITATION, PASSWORD_RESET, AccountLink
from qa_app.auth.models import User
from qa_app.extensions import limiter
from qa_app.rules import RuleError, show_on_form

bp = Blueprint("links", __name__)

ANSWER_SECONDS = 0.5
"""A reset request is answered no sooner than this after it arrives, email sent or not, so
the time taken does not tell whether an account has the address (see `_answer_evenly`)."""


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _reset_address_limit() -> str:
    count, _, rest = _reset_limit().partition(" ")
    return f"{int(count) * 6} {rest}" if count.isdigit() else _reset_limit()


def _reset_email_key() -> str:
    from flask import request

    return "reset|" + (request.form.get("email") or "").strip().lower()[:254]


def _reset_address_key() -> str:
    return "reset-address|" + (get_remote_address() or "")


def _too_many() -> str:
    return ("There have been too many requests for a password reset link. "
            "Wait an hour, then try again.")


@bp.route("/forgotten-password", methods=["GET", "POST"])
@public
@limiter.limit(_reset_address_limit, methods=["POST"], key_func=_reset_address_key,
               error_message=_too_many)
@limiter.limit(_reset_limit, methods=["POST"], key_func=_reset_email_key,
               error_message=_too_many)
def forgotten_password() -> ResponseReturnValue:
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        g.answer_after = time.monotonic() + ANSWER_SECONDS
        email = (form.email.data or "").strip()
        password_reset.request_reset(email)
        return render_template("auth/forgotten_password_sent.html", email=email,
                               hours=current_app.config["RESET_HOURS"])
    return render_template("auth/forgotten_password.html", form=form)


@bp.after_request
def _answer_evenly(response: Response) -> Response:
    """Runs after the commit and any email sent in this process: wait out the rest of the
    answer time, so a known address (an email written, perhaps sent) looks like any other."""
    wait = g.pop("answer_after", 0) - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    return response


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    return _choose_password(
        token, PASSWORD_RESET, submit="Reset password", use=password_reset.reset,
        done="Your password has been reset. You have been signed out everywhere else.",
        page=lambda row, form: render_template("auth/reset_password.html", form=form,
                                               email=row.user.email))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> ResponseReturnValue:
    return _choose_password(
        token, INVITATION, submit="Set password and sign in", use=invitations.accept,
        done="Your password is set and you are signed in.",
        page=lambda row, form: render_template("auth/accept_invitation.html", form=form,
                                               user=row.user, role=row.user.role_enum.label))


def _choose_password(token: str, purpose: str, *, submit: str,
                     use: Callable[[AccountLink, str], User], done: str,
                     page: Callable[[AccountLink, ChoosePasswordForm], str]
                     ) -> ResponseReturnValue:
    """A link's page for choosing a password: `use` the live link with the new password, then
    sign in with the `done` message; or the `page` again with the rule broken; or, for a link
    no longer live, the page saying so."""
    row = live_link(token, purpose)
    if row is None:
        return _link_stopped(purpose)
    form = ChoosePasswordForm()
    form.submit.label.text = submit
    if form.validate_on_submit():
        try:
            user = use(row, form.new_password.data or "")
        except RuleError as error:
            show_on_form(form, error)
        else:
            return _signed_in_or_sent_to_sign_in(user, done)
    return page(row, form)


def _signed_in_or_sent_to_sign_in(user: Any, message: str) -> ResponseReturnValue:
    """Sign the person in, unless their account also needs an authenticator code: then they
    sign in the usual way, so a link alone never passes the second step."""
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    if second_factor.is_enabled(user):
        flash("Your password is set. Sign in with it and your authenticator app.", "success")
        return redirect(url_for("auth.sign_in"))
    operations.start_session(user)
    audit_log.record("user.sign_in", "user", user.id, user_id=user.id)
    login_user(user)
    flash(message, "success")
    return redirect(url_for("main.home"))


def _link_stopped(purpose: str) -> ResponseReturnValue:
    days, hours = current_app.config["INVITATION_DAYS"], current_app.config["RESET_HOURS"]
    return render_template("auth/link_stopped.html", purpose=purpose, days=days,
                           hours=hours), 410

