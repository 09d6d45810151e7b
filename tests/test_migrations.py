"""Migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from qa_app import create_app
from qa_app.extensions import db


def _app(url: str, tmp_path):
    return create_app({"ENV_NAME": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})


def test_upgrade_then_downgrade_to_empty_then_upgrade_again(scratch_database_url, tmp_path):
    app = _app(scratch_database_url, tmp_path)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"plans", "advice", "audits", "final_grades", "letters", "audit_log"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "plans" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
