"""Argon2id password hashing; rehash on sign-in when the parameters move on.

The parameters for new hashes are the app's PASSWORD_HASH_PROFILE (a name in
argon2.profiles); checking a password uses the parameters stored in its hash."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from qa_app.config import BaseConfig

MIN_LENGTH = 12
DEFAULT_PROFILE = BaseConfig.PASSWORD_HASH_PROFILE
"""Outside an app (a script importing this module): the served apps' parameters."""


@cache
def _hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def _profile() -> str:
    return (current_app.config.get("PASSWORD_HASH_PROFILE", DEFAULT_PROFILE)
            if has_app_context() else DEFAULT_PROFILE)


def _hasher() -> PasswordHasher:
    return _hasher_for(_profile())


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher_for(profile).hash("not-a-real-password-used-for-timing")


def burn_time() -> None:
    """Spend the same time as a real check so a wrong email is indistinguishable by timing."""
    verify_password(_dummy_hash(_profile()), "wrong")
