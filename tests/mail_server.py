"""A real SMTP server in the test process (aiosmtpd), and the app pointed at it.

- `smtp_server`: an SMTP server on 127.0.0.1 at a free port for one test. `.port`,
  `.messages` (each an `email.message.EmailMessage`), `.wait_for(n, timeout=10)` (waits
  until n messages have arrived and returns them), `.refuse_with = "451 ..."` to make it
  answer every message with that reply (and count `.refused`); `.refuse_count = n` to
  refuse only the first n.
- `mail_to_smtp(app, smtp_server)`: the app's mail settings point at that server for one
  test (plain SMTP, no sign-in, no waits between tries) and are put back afterwards.

Registered for every test module by `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_DEFAULT_SENDER", "NOTIFY_API_KEY", "MAIL_RETRY_SECONDS",
                 "MAIL_MAX_ATTEMPTS")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.server.lock:
            limit = self.server.refuse_count
            if self.server.refuse_with and (limit is None or self.server.refused < limit):
                self.server.refused += 1
                return self.server.refuse_with
            content = envelope.original_content or envelope.content
            if isinstance(content, str):
                content = content.encode()
            parsed = message_from_bytes(content, policy=policy.default)
            self.server.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None
        self.refused = 0
        self.refuse_count: int | None = None
        self.lock = threading.Lock()
        self.port = _free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      tls_context=tls_context,
                                      require_starttls=tls_context is not None)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, n: int, timeout: float = 10) -> list[EmailMessage]:
        """The first n messages, waiting up to `timeout` seconds for them to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages[:n])
            time.sleep(0.05)
        raise AssertionError(f"expected {n} email(s) within {timeout}s, "
                             f"got {len(self.messages)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def mail_to_smtp(app: Flask, smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    saved = {key: app.config.get(key) for key in MAIL_SETTINGS}
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False,
        MAIL_USERNAME=None, MAIL_PASSWORD=None, MAIL_DEFAULT_SENDER="qa@example.org",
        NOTIFY_API_KEY=None, MAIL_RETRY_SECONDS=0,
    )
    try:
        yield smtp_server
    finally:
        app.config.update(saved)
