"""Signing a test client in through the real sign-in form, CSRF token and all."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories.people import PASSWORD


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on `path`, read as a browser would find it."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_token(client, "/sign-in")
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A client of its own (a second browser), signed in as `email`."""
    client = app.test_client()
    sign_in(client, email)
    return client
