"""Write an email to the outbox, and hand it to the worker once the change behind it commits.

Every email the service sends goes through `send_email`: a template per kind of message
(`templates/email/<kind>.txt`: a `Subject:` line, a blank line, the body), one guard that
keeps children's references and grades out, and one way to build links that work from a
page, a command or a worker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.mail.models import OutboxMessage
from qa_app.transactions import after_commit


class UnsafeEmail(ValueError):
    """An email would have carried a child's plan or advice reference, or a grade."""


FORBIDDEN_FIELD_WORDS = frozenset({"grade", "grades", "ref", "refs", "reference", "references",
                                   "score", "scores", "rating", "ratings"})
"""A field whose name has one of these words (`plan_ref`, `overall_grade`) is refused,
whatever its value."""

REF_LIKE = re.compile(r"\b(?:EHCP|ADV|PLAN)-(?=[A-Z0-9-]*\d)[A-Z0-9-]+\b", re.IGNORECASE)
"""Shapes that plan and advice references take (the demo's and the tests' made-up ones):
a prefix and at least one digit, so `ehcp-qa` and ehcp-qa@... addresses are not refused."""

_TOKENS = (re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]"),
           re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*[A-Za-z0-9]"))
"""Words that could be a reference: with their slashes and dots, and without (a reference
at the end of a link's path)."""


def send_email(to: str, kind: str, fields: Mapping[str, str], *,
               user_id: int | None = None) -> int:
    """Render `email/<kind>.txt` with `fields`, add it to the outbox (flushed, never committed)
    and deliver it after the current transaction commits. Returns the outbox row's id."""
    subject, body = render(kind, fields)
    check_safe(fields, subject, body)
    message = OutboxMessage(
        to=to.strip(), kind=kind, subject=subject, body=body,
        fields={key: str(value) for key, value in fields.items()}, user_id=user_id,
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id

    def hand_over() -> None:
        from qa_app.mail.delivery import hand_over as deliver

        deliver(message_id)

    after_commit(hand_over)
    return message_id


def render(kind: str, fields: Mapping[str, str]) -> tuple[str, str]:
    """The subject and body of one kind of email, from its text template."""
    if not re.fullmatch(r"[a-z0-9_]+", kind):
        raise ValueError(f"not a kind of email: {kind!r}")
    template = current_app.jinja_env.get_template(f"email/{kind}.txt")
    text = template.render(service_name=current_app.config["SERVICE_NAME"],
                           partnership_name=current_app.config["PARTNERSHIP_NAME"],
                           **fields)
    first, _, rest = text.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email/{kind}.txt must start with a 'Subject: ...' line")
    subject = first.removeprefix("Subject:").strip()
    body = rest.strip("\n") + "\n"
    return subject, body


def check_safe(fields: Mapping[str, str], subject: str, body: str) -> None:
    """The one guard: no email names a child's plan or advice, or carries a grade."""
    for key in fields:
        if FORBIDDEN_FIELD_WORDS & set(re.split(r"[^a-z]+", key.lower())):
            raise UnsafeEmail(f"an email may not carry the field {key!r}")
    text = f"{subject}\n{body}"
    found = REF_LIKE.search(text)
    if found:
        raise UnsafeEmail("an email may not contain a plan or advice reference")
    tokens = {match.group(0) for pattern in _TOKENS for match in pattern.finditer(text)}
    tokens |= {token.upper() for token in tokens}
    if tokens and _known_refs(tokens):
        raise UnsafeEmail("an email may not contain a plan or advice reference")


def _known_refs(tokens: set[str]) -> bool:
    from qa_app.register.models import Advice, Plan

    words = sorted(tokens)
    for start in range(0, len(words), 500):
        chunk = words[start:start + 500]
        hit = db.session.execute(
            select(Plan.id).where(Plan.ref.in_(chunk)).limit(1)
        ).first() or db.session.execute(
            select(Advice.id).where(Advice.ref.in_(chunk)).limit(1)
        ).first()
        if hit:
            return True
    return False


def link(endpoint: str, **values: object) -> str:
    """An absolute link to a page of the service, from SERVICE_URL (never from the request's
    Host header, which a sender of a reset request could choose)."""
    base = urlsplit(current_app.config["SERVICE_URL"].rstrip("/"))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
