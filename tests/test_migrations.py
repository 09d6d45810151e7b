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


def _final_grade(cycle_id, plan_id, version_id):
    from datetime import date

    from qa_app.audits.moderation.models import FinalGrade

    return FinalGrade(cycle_id=cycle_id, plan_id=plan_id, rubric_version_id=version_id,
                      academic_year="2025/26", audit_date=date(2025, 11, 1), grade=3,
                      good_or_better=True, method="agreed")


def test_one_final_grade_per_subject_and_cycle(scratch_database_url, tmp_path, capfd):
    """The upgrade refuses a database that already holds a clash, leaving it as it was; once
    upgraded, the database itself refuses a second grade for a plan in the same cycle."""
    from datetime import date

    import pytest
    from sqlalchemy import func, select, text
    from sqlalchemy.exc import IntegrityError

    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.register.models import Agency, Plan
    from qa_app.standards.models import RubricVersion

    app = _app(scratch_database_url, tmp_path)
    with app.app_context():
        upgrade(revision="15e9874776cf")
        agency = Agency(name="Casework", type="local_authority")
        cycle = Cycle(name="Autumn", start_date=date(2025, 9, 1), end_date=date(2025, 12, 19),
                      academic_year="2025/26", status="open")
        version = RubricVersion(rubric_id="x", version="1", title="x", applies_to="plan",
                                content_hash="0" * 64, body={})
        db.session.add_all([agency, cycle, version])
        db.session.flush()
        # Only the columns the plans table had at that revision.
        db.session.execute(text(
            "INSERT INTO plans (ref, agency_id, nc_year, plan_kind, created_at, updated_at) "
            "VALUES ('EHCP-M-1', :agency, 5, 'new', :now, :now)"
        ), {"agency": agency.id, "now": date(2025, 9, 1)})
        plan_id = db.session.scalars(select(Plan.id).where(Plan.ref == "EHCP-M-1")).one()
        ids = (cycle.id, plan_id, version.id)
        for _ in range(2):  # only the columns final_grades had at that revision
            db.session.execute(text(
                "INSERT INTO final_grades (cycle_id, plan_id, rubric_version_id, academic_year, "
                "audit_date, grade, good_or_better, method, created_at) VALUES (:cycle, :plan, "
                ":version, '2025/26', :day, 3, :yes, 'agreed', :day)"
            ), {"cycle": cycle.id, "plan": plan_id, "version": version.id,
                "day": date(2025, 11, 1), "yes": True})
        db.session.commit()
        with pytest.raises(SystemExit):  # `ehcp-qa db upgrade` prints the error and stops
            upgrade()
        refused = capfd.readouterr().err
        assert "final_grades: 1 plan(s) appear more than once for the same cycle" in refused
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(FinalGrade)) == 2
        db.session.execute(text("DELETE FROM final_grades WHERE id = (SELECT min(id) "
                                "FROM final_grades)"))
        db.session.commit()
        upgrade()
        db.session.add(_final_grade(*ids))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add_all([_final_grade(None, plan_id, version.id),
                            _final_grade(None, plan_id, version.id)])
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(FinalGrade)) == 3
        db.session.remove()
        db.engine.dispose()
