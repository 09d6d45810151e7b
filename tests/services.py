"""Where the test suite finds PostgreSQL and Redis, and what to do when one is missing.

Outside CI a missing service skips the tests that need it; with CI=true it is a failure.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port),
                                      timeout=2):
            return True
    except OSError:
        return False


def need(service: str, ok: bool) -> None:
    if ok:
        return
    message = f"{service} is not reachable"
    if IN_CI:
        pytest.fail(f"{message}, and CI=true: a missing service is a failure", pytrace=False)
    pytest.skip(message)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
