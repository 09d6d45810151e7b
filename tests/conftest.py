"""Shared fixtures: one app and one real database per test session, emptied after each test.

The database is SQLite by default; with DATABASE_URL set to a PostgreSQL server, a fresh
database is created on that server for the session and dropped at the end. Tests make their
data with tests/factories/ and sign a client in with `tests.factories.sign_in`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from tests.services import unique_name

pytest_plugins = ["tests.mail_server"]

SERVER_URL = os.environ.get("DATABASE_URL")


def _postgres_database(server_url: str) -> Iterator[str]:
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = unique_name("ehcp_qa_test")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if SERVER_URL and SERVER_URL.startswith(("postgres://", "postgresql")):
        yield from _postgres_database(SERVER_URL)
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from qa_app import create_app

    instance = tmp_path_factory.mktemp("instance")
    flask_app = create_app(
        {"ENV_NAME": "test", "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)}
    )
    with flask_app.app_context():
        upgrade()
    yield flask_app
    with flask_app.app_context():
        from qa_app.extensions import db

        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    flask_app: Flask = request.getfixturevalue("app")
    from qa_app.extensions import db, limiter

    with flask_app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            # DELETE, not TRUNCATE: on PostgreSQL, TRUNCATE of every table after every test
            # costs far more than deleting the few rows a test wrote.
            for table in tables:
                conn.execute(table.delete())
        limiter.reset()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class EhcpQaRunner:
    """Invoke `ehcp-qa` commands against the test app."""

    def __init__(self, flask_app: Flask) -> None:
        self._runner = flask_app.test_cli_runner()

    def invoke(self, args: list[str], **kwargs):
        from qa_app.cli import cli

        return self._runner.invoke(cli, args=args, **kwargs)


@pytest.fixture()
def runner(app: Flask) -> EhcpQaRunner:
    return EhcpQaRunner(app)


@pytest.fixture()
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture()
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the session's, for migration tests."""
    if SERVER_URL and SERVER_URL.startswith(("postgres://", "postgresql")):
        yield from _postgres_database(SERVER_URL)
    else:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"


@event.listens_for(Engine, "connect")
def _reverse_unordered_selects(dbapi_connection: Any, _record: Any) -> None:
    """On SQLite, rows of a query without ORDER BY come back in reverse: a test (or a page)
    that leans on an order nobody asked for fails here every time, instead of now and then
    on PostgreSQL, whose order without ORDER BY depends on the plan it picks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.execute("PRAGMA reverse_unordered_selects=ON")
