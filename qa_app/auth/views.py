"""Sign in, sign out and change password."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Request,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from qa_app import audit_log
from qa_app.auth import limits, operations, second_factor
from qa_app.auth.access import ALL_ROLES, public, roles
from qa_app.auth.forms import ChangePasswordForm, SignInForm
from qa_app.auth.models import User, UserSession
from qa_app.auth.passwords import burn_time, hash_password, needs_rehash, verify_password
from qa_app.auth.second_factor_views import ask_for_code
from qa_app.extensions import db, login_manager
from qa_app.timeutil import utcnow

bp = Blueprint("auth", __name__)

WRONG_DETAILS = "Enter a correct email address and password"


@login_manager.user_loader
def load_user(session_id: str) -> ResponseReturnValue:
    """The person behind a live server session. Deleting an idle session and noting when
    one was last seen are saved by the request's commit. A request that keeps nothing (an
    error, or the sign-in redirect sent before any page runs) leaves the idle row, which is
    refused again and deleted by the next request that is kept, such as the sign-in page."""
    row = db.session.execute(
        select(UserSession).where(UserSession.id == session_id)
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if now - row.last_seen_at > idle:
        db.session.delete(row)
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    user = row.user
    user.login_session_id = row.id
    return user


@login_manager.request_loader
def load_user_from_token(req: Request) -> User | None:
    """API requests authenticate with a personal token instead of a session."""
    if not req.path.startswith("/api/"):
        return None
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    from qa_app.api.tokens import user_for_token

    return user_for_token(token.strip())


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        message = "Send a valid API token as the header 'Authorization: Bearer <token>'"
        return jsonify(error="unauthorized", message=message), 401
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limits.per_address()
@limits.per_account()
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = operations.find_user_by_email(form.email.data or "")
        if user is None or not user.active:
            burn_time()
            user = None
        elif not verify_password(user.password_hash, form.password.data or ""):
            user = None
        if user is None:
            limits.record_failure()
            form.password.errors = [WRONG_DETAILS]
            return render_template("auth/sign_in.html", form=form), 200
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(form.password.data or "")
        if second_factor.is_enabled(user):
            return ask_for_code(user, _safe_next(request.args.get("next")))
        session.clear()
        operations.start_session(user)
        audit_log.record("user.sign_in", "user", user.id, user_id=user.id)
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@roles(*ALL_ROLES)
def sign_out() -> ResponseReturnValue:
    session_id = current_user.get_id()
    operations.end_session(session_id)
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current_password.data or ""):
            form.current_password.errors = ["Your current password is not correct"]
            return render_template("auth/change_password.html", form=form)
        operations.set_password(user, form.new_password.data or "")
        session.clear()
        operations.start_session(user)
        login_user(user)
        flash("Your password has been changed. Other devices have been signed out.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
