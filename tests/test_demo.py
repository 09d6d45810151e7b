"""`ehcp-qa demo --no-serve` on an empty folder, twice."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, func, inspect, select, table

JOB_HISTORY = {"job_runs", "alembic_version"}


def _demo(instance, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL",
                                                            "SECRET_KEY", "EHCP_QA_ENV"}}
    env["EHCP_QA_INSTANCE_PATH"] = str(instance)
    if not database_url.startswith("sqlite"):
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "qa_app.cli", "demo", "--no-serve"],
                          capture_output=True, text=True, env=env, timeout=600)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n not in JOB_HISTORY]
        counts = {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one()
                  for n in names}
    engine.dispose()
    return counts


def test_demo_sets_up_everything_and_a_second_run_adds_nothing(tmp_path, scratch_database_url):
    instance = tmp_path / "empty"
    instance.mkdir()
    first = _demo(instance, scratch_database_url)
    assert first.returncode == 0, first.stderr
    url = (f"sqlite:///{instance / 'ehcp_qa.sqlite3'}"
           if scratch_database_url.startswith("sqlite") else scratch_database_url)
    before = _counts(url)
    assert before["agencies"] >= 8 and before["plans"] >= 250 and before["advice"] > 600
    assert before["rubric_versions"] == 5 and before["final_grades"] > 0

    lines = first.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:4] == [
        "role", "agency", "email", "password"])
    users = [line for line in lines[header + 2:] if "@example.org" in line]
    roles = {line.split()[0] for line in users}
    assert roles == {"admin", "qi_manager", "panel_chair", "auditor", "agency_lead"}
    assert len(users) == before["users"]

    second = _demo(instance, scratch_database_url)
    assert second.returncode == 0, second.stderr
    assert _counts(url) == before
    assert "already seeded" in second.stdout
    if scratch_database_url.startswith("sqlite"):
        assert (instance / "secret_key").exists()
