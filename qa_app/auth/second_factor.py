"""A second factor for signing in: a time-based code from an authenticator app (TOTP, RFC
6238, through pyotp) or one of ten single-use recovery codes.

Why these choices: TOTP works with any authenticator app and needs no text messages or
phone numbers; the person types the setup key (or pastes the otpauth link), as GOV.UK
services also allow, so no QR code library is needed. A code is accepted within one
30-second step either side of the server's clock, and never twice (the last accepted step
is kept). Recovery codes are random, long enough that a SHA-256 hash is safe to store,
and each is marked used in one UPDATE, so two requests cannot both use it.

Functions here add and flush; the request commits (qa_app/transactions.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from qa_app import audit_log
from qa_app.auth.models import Role, User
from qa_app.auth.second_factor_models import RecoveryCode, SecondFactor
from qa_app.extensions import db
from qa_app.timeutil import utcnow

REQUIRED_ROLES = frozenset({Role.ADMIN.value, Role.QI_MANAGER.value, Role.PANEL_CHAIR.value})
"""Roles that must use a second factor when SECOND_FACTOR_REQUIRED is on."""
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""Letters and digits that cannot be mistaken for one another (no i, l, o, 0 or 1)."""
RECOVERY_LENGTH = 10
STEP_SECONDS = 30
DIGITS = 6


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def normalise(code: str) -> str:
    """What a person typed, without spaces, hyphens and case."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def confirmed_factor(user_id: int) -> SecondFactor | None:
    return db.session.execute(
        select(SecondFactor).where(SecondFactor.user_id == user_id,
                                   SecondFactor.confirmed_at.is_not(None))
    ).scalar_one_or_none()


def is_enabled(user: User) -> bool:
    return confirmed_factor(user.id) is not None


def required_for(user: User) -> bool:
    return bool(current_app.config.get("SECOND_FACTOR_REQUIRED")) and user.role in REQUIRED_ROLES


def must_set_up(user: User) -> bool:
    """The setting is on, the person's role needs a second factor and they have none yet."""
    return required_for(user) and not is_enabled(user)


def start_setup(user: User) -> SecondFactor:
    """The person's unconfirmed secret, made now if there is none. A confirmed one is never
    replaced here: turning the second factor off comes first."""
    row = db.session.get(SecondFactor, user.id)
    if row is None:
        row = SecondFactor(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(row)
        db.session.flush()
    return row


def setup_uri(user: User, secret: str) -> str:
    """The otpauth link an app reads (from a QR code, or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config.get("SERVICE_NAME", "EHCP QA"))


def grouped(secret: str) -> str:
    """The setup key in groups of four, as apps show it and people copy it."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def check_code(row: SecondFactor, code: str, now: float | None = None) -> bool:
    """True for the app's current code (one step either side), never for one already used."""
    code = normalise(code)
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return False
    totp = pyotp.TOTP(row.secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _spend_step(row, step)
    return False


def _spend_step(row: SecondFactor, step: int) -> bool:
    """Record the step as used, in one UPDATE that only succeeds for a later step, so two
    requests carrying the same code cannot both get in."""
    db.session.flush()
    result = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.user_id == row.user_id,
               or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(row, "last_step", step)
    return True


def confirm_setup(user: User, code: str) -> list[str] | None:
    """Turn the second factor on if the code matches the app; returns the new recovery codes
    (to be shown once), or None when the code is wrong."""
    row = start_setup(user)
    if row.confirmed_at is not None or not check_code(row, code):
        return None
    row.confirmed_at = utcnow()
    codes = replace_recovery_codes(user)
    audit_log.record("user.second_factor_on", "user", user.id, user_id=user.id)
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; any earlier ones stop working. Returned in plain text once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code; False if it is not one of the person's unused codes."""
    raw = normalise(code)
    if len(raw) != RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(raw),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def unused_recovery_codes(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ) or 0


def verify(user: User, code: str) -> str | None:
    """How the person proved it is them: "app", "recovery code", or None if the code is
    neither their app's current code nor an unused recovery code."""
    row = confirmed_factor(user.id)
    if row is None:
        return None
    if check_code(row, code):
        return "app"
    if use_recovery_code(user, code):
        return "recovery code"
    return None


def turn_off(user: User, actor_id: int | None = None) -> None:
    """Remove the app's secret and every recovery code."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    audit_log.record("user.second_factor_off", "user", user.id, user_id=actor_id)
