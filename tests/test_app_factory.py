"""The app factory and configuration from the environment."""

from __future__ import annotations

import pytest

from qa_app import create_app, require_secret_key
from qa_app.config import ConfigError, database_uri


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"ENV_NAME": "test", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/ehcp_qa.sqlite3"


def test_postgres_url_uses_psycopg3_driver():
    uri = database_uri("postgresql://u@db.example:5432/qa", "/tmp")
    assert uri.startswith("postgresql+psycopg://u@db.example:5432/qa")
    assert database_uri("postgres://u@h/qa", "/tmp").startswith("postgresql+psycopg://")


@pytest.mark.parametrize("bad", ["not a url", "mysql://u@h/db", "://"])
def test_malformed_database_url_is_one_clear_error(bad):
    with pytest.raises(ConfigError) as info:
        database_uri(bad, "/tmp")
    assert "DATABASE_URL" in str(info.value)


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("EHCP_QA_ENV", "staging-ish")
    with pytest.raises(ConfigError, match="EHCP_QA_ENV"):
        create_app()


def test_production_refuses_to_serve_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"ENV_NAME": "production", "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": None})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        require_secret_key(app)
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("env_name", ["production", "demo"])
def test_served_apps_hash_passwords_with_rfc_9106_parameters(tmp_path, env_name):
    from qa_app.auth.passwords import hash_password, needs_rehash, verify_password

    app = create_app({"ENV_NAME": env_name, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "k" * 32})
    with app.app_context():
        stored = hash_password("a long enough password")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(stored, "a long enough password")
        assert not verify_password(stored, "a long enough passwort")
        assert not needs_rehash(stored)


def test_a_cheap_hash_from_elsewhere_is_upgraded_on_the_next_sign_in(tmp_path):
    from qa_app.auth.passwords import needs_rehash

    cheap = create_app({"ENV_NAME": "test", "INSTANCE_PATH": str(tmp_path / "t")})
    served = create_app({"ENV_NAME": "production", "INSTANCE_PATH": str(tmp_path / "p"),
                         "SECRET_KEY": "k" * 32})
    from qa_app.auth.passwords import hash_password

    with cheap.app_context():
        stored = hash_password("a long enough password")
    with served.app_context():
        assert needs_rehash(stored)


def test_demo_keeps_one_secret_key_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"ENV_NAME": "demo", "INSTANCE_PATH": str(tmp_path)})
    second = create_app({"ENV_NAME": "demo", "INSTANCE_PATH": str(tmp_path)})
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_no_broker_means_jobs_run_in_process(app):
    celery = app.extensions["celery"]
    assert celery.conf.task_always_eager is True


def test_security_headers_and_csp_nonce_match_inline_script(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/sign-in").headers["Content-Security-Policy"] != csp


def test_govuk_frontend_assets_are_served_by_the_app(client):
    assert client.get("/govuk/govuk-frontend.min.css").status_code == 200
    assert client.get("/govuk/govuk-frontend.min.js").status_code == 200
    assert client.get("/assets/images/favicon.svg").status_code == 200
    assert client.get("/govuk/package.json").status_code == 404


def test_nul_bytes_are_refused_with_400_not_a_database_error(client):
    page = client.get("/sign-in?next=%00")
    assert page.status_code == 400 and "There is a problem with the request" in page.get_data(
        as_text=True)
    api = client.get("/api/v1/rates?measure=%00")
    assert api.status_code == 400 and api.get_json()["error"] == "bad_request"
