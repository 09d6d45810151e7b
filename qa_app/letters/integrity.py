"""Fingerprints of issued letters: the PDF bytes and the canonical content.

The web page and the board pack are built from a letter's stored content, not from its PDF,
so the content is fingerprinted as well: a SHA-256 of one canonical JSON form (sorted keys,
no spaces, UTF-8). Anything that reads an issued letter for a reader checks both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from qa_app.extensions import db
from qa_app.letters.errors import LetterError, LetterIntegrityError
from qa_app.letters.models import Letter


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_digest(content: dict[str, Any] | None) -> str | None:
    return None if content is None else hashlib.sha256(canonical_json(content)).hexdigest()


def problems(letter: Letter) -> list[str]:
    """What fails for an issued letter (empty when both fingerprints match); drafts pass."""
    if not letter.is_issued:
        return []
    found = []
    if letter.pdf is None or hashlib.sha256(letter.pdf).hexdigest() != letter.sha256:
        found.append("its PDF does not match the SHA-256 recorded when it was issued")
    if letter.content_sha256 is None:
        found.append("its content has no recorded SHA-256")
    elif content_digest(letter.content) != letter.content_sha256:
        found.append("its content (the web page and board pack figures) does not match the "
                     "SHA-256 recorded when it was issued")
    return found


def failures(cycle_id: int | None = None) -> tuple[int, list[tuple[Letter, list[str]]]]:
    """(issued letters checked, those that fail with why), oldest first."""
    query = select(Letter).where(Letter.status == "issued").order_by(Letter.id)
    if cycle_id is not None:
        query = query.where(Letter.cycle_id == cycle_id)
    letters: Sequence[Letter] = db.session.execute(query).scalars().all()
    bad = [(letter, found) for letter in letters if (found := problems(letter))]
    return len(letters), bad


def describe(letter: Letter, found: list[str]) -> str:
    return f"letter {letter.reference} failed its integrity check: {'; '.join(found)}"


def verified_pdf(letter: Letter) -> bytes:
    """The stored bytes, only if they still match their recorded SHA-256."""
    if letter.pdf is None or letter.sha256 is None:
        raise LetterError(f"letter {letter.reference} has no PDF yet")
    if hashlib.sha256(letter.pdf).hexdigest() != letter.sha256:
        raise LetterIntegrityError(f"letter {letter.reference} failed its integrity check")
    return letter.pdf
