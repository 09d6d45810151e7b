"""Keep survey link secrets out of logs.

A secret travels in the link's path, and web servers log every request line (Werkzeug's
development server, gunicorn's access log). This filter rewrites such lines before any
handler sees them, so a log file cannot be used to answer in a family's place.
"""

from __future__ import annotations

import logging
import re

SECRET_IN_PATH = re.compile(r"/(feedback|confidence)/(?!thank-you\b)[A-Za-z0-9_\-]{16,}")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return SECRET_IN_PATH.sub(lambda m: f"/{m.group(1)}/[secret]", text)


class SecretLinkFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is left to its handler
            return True
        if SECRET_IN_PATH.search(message):
            record.msg, record.args = redact(message), ()
        return True


def install() -> None:
    """Add the filter once to each logger that writes request lines."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretLinkFilter) for f in logger.filters):
            logger.addFilter(SecretLinkFilter())
