"""Create, revoke and check API tokens; add and flush, log, never commit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qa_app import audit_log
from qa_app.api.models import TOKEN_PREFIX, ApiToken, new_token, token_digest
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.timeutil import utcnow


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Return the stored row and the token itself, which is shown once and never again."""
    token = new_token()
    row = ApiToken(user_id=user.id, name=name.strip()[:100], token_hash=token_digest(token),
                   hint=token[len(TOKEN_PREFIX):len(TOKEN_PREFIX) + 6])
    db.session.add(row)
    db.session.flush()
    audit_log.record("api_token.create", "api_token", row.id, user_id=user.id,
                     changes={"name": row.name})
    return row, token


def revoke_token(row: ApiToken, actor_id: int) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit_log.record("api_token.revoke", "api_token", row.id, user_id=actor_id)


def user_for_token(token: str) -> User | None:
    """The active user behind a live token; notes when it was used (at most once a minute)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return row.user
