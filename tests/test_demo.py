"""`ehcp-qa demo --no-serve` on an empty folder, twice, then serving on a chosen port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta

from sqlalchemy import create_engine, func, inspect, select, table, text

JOB_HISTORY = {"job_runs", "alembic_version"}
LATER_FEATURES = ("good_practice_examples", "calibration_rounds", "calibration_grades",
                  "grade_challenges", "reaudit_marks", "board_reports",
                  "board_commentary_requests", "learning_briefs", "survey_responses")


def _env(instance, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL",
                                                            "SECRET_KEY", "EHCP_QA_ENV",
                                                            "SERVICE_URL"}}
    env["EHCP_QA_INSTANCE_PATH"] = str(instance)
    if not database_url.startswith("sqlite"):
        env["DATABASE_URL"] = database_url
    return env


def _demo(instance, database_url: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qa_app.cli", "demo", "--no-serve", *options],
                          capture_output=True, text=True, env=_env(instance, database_url),
                          timeout=600)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serves_sign_in(port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=2) as page:
                return page.status == 200 and b"Sign in" in page.read()
        except OSError:
            time.sleep(0.3)
    return False


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n not in JOB_HISTORY]
        counts = {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one()
                  for n in names}
    engine.dispose()
    return counts


def _assert_letters_are_live(url: str, port: int) -> None:
    """Letters point at the port served; responses are awaited, none is long overdue."""
    today = date.today()
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT l.content, r.due_date, r.submitted_at FROM letters l "
            "JOIN letter_responses r ON r.letter_id = l.id WHERE l.status = 'issued'")).all()
    engine.dispose()
    assert rows
    for content, _, _ in rows:
        content = json.loads(content) if isinstance(content, str) else content
        assert content["html_location"].startswith(f"http://127.0.0.1:{port}/letters/")
    waiting = [_day(due) for _, due, submitted in rows if submitted is None]
    assert any(due > today for due in waiting)
    assert all(due >= today - timedelta(days=30) for due in waiting)


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def test_demo_sets_up_everything_and_a_second_run_adds_nothing(tmp_path, scratch_database_url):
    instance = tmp_path / "empty"
    instance.mkdir()
    port = _free_port()
    first = _demo(instance, scratch_database_url, "--port", str(port))
    assert first.returncode == 0, first.stderr
    url = (f"sqlite:///{instance / 'ehcp_qa.sqlite3'}"
           if scratch_database_url.startswith("sqlite") else scratch_database_url)
    before = _counts(url)
    _assert_letters_are_live(url, port)
    assert before["agencies"] >= 8 and before["plans"] >= 250 and before["advice"] > 600
    assert before["rubric_versions"] == 5 and before["final_grades"] > 0
    for feature in LATER_FEATURES:  # each later feature has something to show
        assert before[feature] > 0, feature

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

    server = subprocess.Popen([sys.executable, "-m", "qa_app.cli", "demo", "--port", str(port)],
                              env=_env(instance, scratch_database_url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _serves_sign_in(port, server)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serving_on_a_port_gives_letters_that_address(app, monkeypatch):
    import werkzeug.serving

    from qa_app.console import serve

    served = []
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, *a, **k:
                        served.append(app.config["SERVICE_URL"]))
    monkeypatch.delenv("SERVICE_URL", raising=False)
    serve(app, "127.0.0.1", 5123)
    assert served == ["http://127.0.0.1:5123"]

    monkeypatch.setenv("SERVICE_URL", "https://qa.example.org")
    app.config["SERVICE_URL"] = "https://qa.example.org"
    serve(app, "127.0.0.1", 5124)
    assert served[-1] == "https://qa.example.org"
