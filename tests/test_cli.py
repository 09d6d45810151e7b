"""The ehcp-qa command line: agencies, users, and clear one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.register.models import Agency


def test_agencies_add_and_list(app, runner):
    result = runner.invoke(args=["agencies", "add", "Educational Psychology Service",
                                 "--type", "education"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["agencies", "list"])
    assert "Educational Psychology Service" in listing.output and "education" in listing.output


def test_agencies_add_refuses_unknown_type_and_duplicates(app, runner):
    bad = runner.invoke(args=["agencies", "add", "Somewhere", "--type", "charity"])
    assert bad.exit_code != 0 and "Unknown agency type 'charity'" in bad.output
    runner.invoke(args=["agencies", "add", "Somewhere", "--type", "setting"])
    again = runner.invoke(args=["agencies", "add", "Somewhere", "--type", "setting"])
    assert again.exit_code != 0 and "already exists" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Agency)) == 1


@pytest.mark.parametrize("name", ["health trust ", "  HEALTH   Trust", "health trust"])
def test_agencies_add_refuses_the_same_name_in_other_capitals_or_spacing(app, runner, name):
    first = runner.invoke(args=["agencies", "add", "Health Trust", "--type", "health"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["agencies", "add", name, "--type", "health"])
    assert again.exit_code != 0
    assert "An agency called 'Health Trust' already exists" in again.output
    assert "Traceback" not in again.output
    with app.app_context():
        assert list(db.session.scalars(select(Agency.name))) == ["Health Trust"]


def test_users_create_with_agency(app, runner):
    runner.invoke(args=["agencies", "add", "Children's Social Care", "--type", "social_care"])
    result = runner.invoke(args=["users", "create", "--email", "Lead@Example.org", "--role",
                                 "agency_lead", "--agency", "Children's Social Care",
                                 "--password", "long enough password"])
    assert result.exit_code == 0, result.output
    assert "lead@example.org (agency_lead)" in result.output


def test_users_create_bad_input_is_one_clear_line(app, runner):
    unknown_role = runner.invoke(args=["users", "create", "--email", "a@example.org", "--role",
                                       "superuser", "--password", "long enough password"])
    assert unknown_role.exit_code != 0 and "Unknown role 'superuser'" in unknown_role.output
    unknown_agency = runner.invoke(args=["users", "create", "--email", "a@example.org",
                                         "--role", "auditor", "--agency", "Nowhere",
                                         "--password", "long enough password"])
    assert "No agency called 'Nowhere'" in unknown_agency.output
    missing_agency = runner.invoke(args=["users", "create", "--email", "a@example.org",
                                         "--role", "auditor", "--password",
                                         "long enough password"])
    assert "needs --agency" in missing_agency.output
    for result in (unknown_role, unknown_agency, missing_agency):
        assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["create", "invite"])
def test_users_find_their_agency_in_any_capitals_and_spacing(app, runner, command):
    runner.invoke(args=["agencies", "add", "Health Trust", "--type", "health"])
    password = ["--password", "long enough password"] if command == "create" else []
    result = runner.invoke(args=["users", command, "--email", "lead@example.org", "--role",
                                 "agency_lead", "--agency", "  health   TRUST ", *password])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "lead@example.org")).one()
        assert user.agency.name == "Health Trust"


@pytest.mark.parametrize("command", ["create", "invite"])
def test_users_with_an_unknown_or_ambiguous_agency_is_one_clear_line(app, runner, command):
    password = ["--password", "long enough password"] if command == "create" else []
    with app.app_context():  # two names from before names were compared ignoring capitals
        db.session.add_all([Agency(name="Health Trust", type="health"),
                            Agency(name="HEALTH TRUST", type="health")])
        db.session.commit()

    def users(agency: str):
        return runner.invoke(args=["users", command, "--email", "a@example.org", "--role",
                                   "auditor", "--agency", agency, *password])

    unknown, ambiguous, exact = users("Nowhere"), users("health trust"), users("HEALTH TRUST")
    assert unknown.exit_code != 0
    assert unknown.output.strip() == (
        "Error: No agency called 'Nowhere' (see `ehcp-qa agencies list`)")
    assert ambiguous.exit_code != 0
    assert ambiguous.output.strip() == (
        "Error: 2 agencies are called 'health trust' ignoring capitals and spaces "
        "('HEALTH TRUST', 'Health Trust'): give one of those names exactly")
    assert exact.exit_code == 0, exact.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "a@example.org")).one()
        assert user.agency.name == "HEALTH TRUST"


def _ehcp_qa(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "qa_app.cli", *args], capture_output=True,
                          text=True, env=full_env, timeout=120)


def test_malformed_database_url_is_one_line_without_traceback(tmp_path):
    result = _ehcp_qa("agencies", "list", DATABASE_URL="definitely not a url",
                      EHCP_QA_INSTANCE_PATH=str(tmp_path))
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_line_without_traceback(tmp_path):
    result = _ehcp_qa("agencies", "list",
                      DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing",
                      EHCP_QA_INSTANCE_PATH=str(tmp_path))
    assert result.returncode != 0
    assert "cannot reach the database" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_unreachable_broker_is_one_line_without_traceback(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade = _ehcp_qa("db", "upgrade", DATABASE_URL=url, EHCP_QA_INSTANCE_PATH=str(tmp_path))
    assert upgrade.returncode == 0, upgrade.stderr
    result = _ehcp_qa("sweep", DATABASE_URL=url, EHCP_QA_INSTANCE_PATH=str(tmp_path),
                      CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "broker" in result.stderr.lower() and "Traceback" not in result.stderr


def test_run_refuses_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run([sys.executable, "-m", "qa_app.cli", "run"], capture_output=True,
                            text=True, env={**env, "EHCP_QA_INSTANCE_PATH": str(tmp_path)},
                            timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("setting", ["JOB_STALL_SECONDS=5m", "TRUSTED_PROXIES=x",
                                     "SESSION_IDLE_MINUTES=-1"])
def test_a_malformed_number_setting_is_one_line_without_traceback(tmp_path, setting):
    name, value = setting.split("=")
    result = _ehcp_qa("agencies", "list", EHCP_QA_INSTANCE_PATH=str(tmp_path), **{name: value})
    assert result.returncode == 2
    assert f"{name}='{value}' is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr
