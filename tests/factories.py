"""Small builders for test data; each commits and returns plain ids and values."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient

from qa_app.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@dataclass(frozen=True)
class Made:
    id: int
    label: str


def agency(app: Flask, name: str | None = None, type_: str = "health") -> Made:
    from qa_app.register.models import Agency

    with app.app_context():
        row = Agency(name=name or f"Agency {next(_seq)}", type=type_)
        db.session.add(row)
        db.session.commit()
        return Made(row.id, row.name)


def user(app: Flask, role: str, agency_name: str | None = None, email: str | None = None) -> Made:
    from qa_app.auth.operations import create_user

    with app.app_context():
        row = create_user(
            email=email or f"{role}{next(_seq)}@example.org",
            role=role,
            password=PASSWORD,
            agency_name=agency_name,
        )
        db.session.commit()
        return Made(row.id, row.email)


def plan(app: Flask, agency_id: int, ref: str | None = None, nc_year: int = 5) -> Made:
    from qa_app.register.models import Plan

    with app.app_context():
        row = Plan(
            ref=ref or f"EHCP-T-{next(_seq):05d}",
            agency_id=agency_id,
            nc_year=nc_year,
            plan_kind="new",
            request_date=date(2025, 9, 1),
            issue_date=date(2026, 1, 5),
        )
        db.session.add(row)
        db.session.commit()
        return Made(row.id, row.ref)


def advice(
    app: Flask,
    plan_id: int,
    agency_id: int,
    *,
    requested: date = date(2025, 9, 8),
    received: date | None = None,
    advice_type: str = "health",
    exception: str | None = None,
) -> Made:
    from qa_app.register.models import Advice

    with app.app_context():
        row = Advice(
            ref=f"ADV-T-{next(_seq):05d}",
            plan_id=plan_id,
            agency_id=agency_id,
            advice_type=advice_type,
            requested_date=requested,
            due_date=requested + timedelta(days=42),
            received_date=received,
            exception=exception,
        )
        db.session.add(row)
        db.session.commit()
        return Made(row.id, row.ref)


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # noqa: ANN201
    token = csrf_token(client, "/sign-in")
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
