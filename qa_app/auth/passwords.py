"""Argon2id password hashing; rehash on sign-in when the parameters move on."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


def burn_time() -> None:
    """Spend the same time as a real check so a wrong email is indistinguishable by timing."""
    verify_password(_DUMMY_HASH, "wrong")
