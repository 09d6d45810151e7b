"""Sign-in rate limits: one per account, one per network address, both counting failures.

A guesser who spreads attempts over many addresses still meets the per-account limit, and a
guesser who tries many accounts from one address meets the per-address limit. Only failed
attempts count, so people who share an address (a school, an office behind one gateway)
and sign in correctly do not lock each other out. A refused person is told how long to
wait. Behind a reverse proxy, TRUSTED_PROXIES says how many proxies' X-Forwarded-For
entries to believe, so that the address counted is the person's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from qa_app.extensions import limiter


def account_key() -> str:
    """The per-account limit's key: the email as typed, whatever address it comes from."""
    return "account|" + (request.form.get("email") or "").strip().lower()


def address_key() -> str:
    return "address|" + (get_remote_address() or "")


def account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def record_failure() -> None:
    """Mark this sign-in attempt as failed, so that both limits count it."""
    g.sign_in_failed = True


def failed(_response: Any) -> bool:
    return bool(g.get("sign_in_failed"))


def wait_words(seconds: float) -> str:
    """How long to wait, in words a person reads at a glance."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} second" + ("" if seconds == 1 else "s")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


def _note_account_reset(limit: RequestLimit) -> None:
    g.account_reset_at = limit.reset_at


def _note_address_reset(limit: RequestLimit) -> None:
    g.address_reset_at = limit.reset_at


def _wait(reset_at: float | None) -> str:
    return wait_words(reset_at - time.time() if reset_at else 60)


def account_message() -> str:
    return ("This account is locked for now after too many failed sign-in attempts. "
            f"Try again in {_wait(g.get('account_reset_at'))}.")


def address_message() -> str:
    return ("There have been too many failed sign-in attempts from your network. "
            f"Try again in {_wait(g.get('address_reset_at'))}.")


def per_account() -> Any:
    """Decorator: the per-account limit (LOGIN_RATE_LIMIT), on POSTs, failures only."""
    return limiter.limit(account_limit, methods=["POST"], key_func=account_key,
                         deduct_when=failed, on_breach=_note_account_reset,
                         error_message=account_message)


def per_address() -> Any:
    """Decorator: the per-address limit (LOGIN_ADDRESS_RATE_LIMIT), on POSTs, failures only."""
    return limiter.limit(address_limit, methods=["POST"], key_func=address_key,
                         deduct_when=failed, on_breach=_note_address_reset,
                         error_message=address_message)


class TrustedProxies:
    """Believe X-Forwarded-For (and -Proto, -Host) from as many proxies as the
    TRUSTED_PROXIES setting says; with 0 (the default) the headers are ignored."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        count = self.app.config.get("TRUSTED_PROXIES") or 0
        if count:
            fixed = ProxyFix(self.wsgi_app, x_for=count, x_proto=count, x_host=count)
            return fixed(environ, start_response)
        return self.wsgi_app(environ, start_response)
