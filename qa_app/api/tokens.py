"""Create, revoke and check API tokens; add and flush, log, never commit.

A token works for API_TOKEN_DAYS (90 by default) and is refused after that with a JSON
error that says so. Changing a password or deactivating a person revokes all of their
tokens with their sessions (auth/operations.py calls `revoke_all`). Each use is noted on
the token row (at most once a minute) and saved by the request's commit; a request refused
with a 4xx still used the token, so its use alone is saved then (api/token_views.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, g, jsonify
from sqlalchemy import select, update

from qa_app import audit_log
from qa_app.api.models import TOKEN_PREFIX, ApiToken, new_token, token_digest
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.timeutil import utcnow

DEFAULT_DAYS = 90
USE_NOTED_EVERY = timedelta(minutes=1)


def lifetime() -> timedelta:
    return timedelta(days=current_app.config.get("API_TOKEN_DAYS") or DEFAULT_DAYS)


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Return the stored row and the token itself, which is shown once and never again."""
    token = new_token()
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name.strip()[:100], token_hash=token_digest(token),
                   hint=token[len(TOKEN_PREFIX):len(TOKEN_PREFIX) + 6], created_at=now,
                   expires_at=now + lifetime())
    db.session.add(row)
    db.session.flush()
    audit_log.record("api_token.create", "api_token", row.id, user_id=user.id,
                     changes={"name": row.name, "expires_at": row.expires_at.isoformat()})
    return row, token


def revoke_token(row: ApiToken, actor_id: int) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit_log.record("api_token.revoke", "api_token", row.id, user_id=actor_id)


def revoke_all(user_id: int, reason: str, actor_id: int | None = None) -> int:
    """Revoke every live token of a person (their password changed, or they were
    deactivated); returns how many were revoked."""
    now = utcnow()
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    count = result.rowcount or 0
    if count:
        audit_log.record("api_token.revoke_all", "user", user_id, user_id=actor_id,
                         changes={"reason": reason, "tokens": count})
    return count


def expired_refusal(expires_at: datetime) -> None:
    """Stop the request with a 401 that tells the tool's owner what to do."""
    when = expires_at.strftime("%d/%m/%Y %H:%M UTC")
    response = jsonify(
        error="token_expired",
        message=f"This API token expired on {when}. Create a new token on the API tokens "
                "page of your account and use it instead.",
        expired_at=expires_at.isoformat() + "Z",
    )
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token", ' \
        'error_description="The token has expired"'
    abort(response)


def user_for_token(token: str) -> User | None:
    """The active user behind a live token, or None; an expired token stops the request
    with its own 401. Notes the use on the row without committing it."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.expires_at <= now:
        expired_refusal(row.expires_at)
    if row.last_used_at is None or now - row.last_used_at > USE_NOTED_EVERY:
        row.last_used_at = now
        g.api_token_use_noted = (row.id, now)
    return row.user


def noted_use() -> tuple[int, datetime] | None:
    """The token this request noted a use of, and when; asked once, at the request's end."""
    return g.pop("api_token_use_noted", None)


def note_use(token_id: int, used_at: datetime) -> None:
    """Note a token's use again, after the request's own writes were rolled back."""
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id)
                       .values(last_used_at=used_at))
