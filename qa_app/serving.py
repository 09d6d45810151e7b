"""What the servers say about themselves: a neutral `Server` header, never a version.

A version in every response tells a scanner which published flaws to try. Gunicorn (see
gunicorn.conf.py) sends "gunicorn" unless told otherwise, and Werkzeug's development server
(`ehcp-qa run`, the demo) sends its own and Python's versions; both send SERVER_NAME
instead. Gunicorn offers no setting for this, so gunicorn.conf.py replaces the name its
HTTP/1 response class reads (tests/test_serving.py checks it still works after upgrades).
The development server also gives its own address to the letters it prints, unless
SERVICE_URL says otherwise.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "ehcp-qa"


def use_served_address(app: Flask, host: str, port: int) -> None:
    """Letters print SERVICE_URL as where to read them online: with none set in the
    environment, the address being served beats the default port 5000."""
    if "SERVICE_URL" not in os.environ:
        app.config["SERVICE_URL"] = f"http://{host}:{port}"


class NeutralRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, sending `Server: ehcp-qa` instead of Werkzeug's and Python's
    versions."""

    def version_string(self) -> str:
        return SERVER_NAME


def hide_gunicorn_version() -> None:
    """Make gunicorn's workers send `Server: ehcp-qa`; call it from gunicorn's config."""
    import gunicorn.http.wsgi as gunicorn_wsgi

    gunicorn_wsgi.SERVER = SERVER_NAME  # type: ignore[attr-defined]
    gunicorn_wsgi.SERVER_SOFTWARE = SERVER_NAME  # type: ignore[attr-defined]
