"""The two ways a letter action can fail, shared by every letters module."""

from __future__ import annotations

from qa_app.rules import RuleError


class LetterError(RuleError):
    """The action cannot be done; the message says why, in words for the person asking."""


class LetterIntegrityError(RuntimeError):
    """Stored letter bytes or content no longer match the SHA-256 recorded when written."""
