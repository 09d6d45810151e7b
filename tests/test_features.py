"""One way to wire a feature: a folder with an `init_app`, listed once in qa_app.FEATURES,
brings its pages, commands, navigation items, tasks and schedule entries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import qa_app

BLUEPRINTS = {
    "auth", "second_factor", "account", "main", "register", "imports", "standards", "cycles",
    "panels", "scoring", "moderation", "history", "rates", "letters", "dashboard", "api",
    "api_tokens", "jobs",
    "mail", "links",
    "agencies", "sections",
}
COMMANDS = {
    "agencies", "aggregate", "cycles", "db", "demo", "import", "jobs", "letters", "panels",
    "rates", "routes", "rubrics", "run", "sample", "shell", "sweep", "users",
}
TASKS = {
    "jobs.check_stalled", "workers.tasks.aggregate", "workers.tasks.generate_cycle_letters",
    "workers.tasks.generate_letter", "workers.tasks.import_file",
    "workers.tasks.letters_generated", "workers.tasks.nightly_sweep",
    "workers.tasks.recalculate", "workers.tasks.recalculate_pending",
    "mail.deliver", "mail.send_waiting",
}
BEAT = {
    "nightly-sweep": "workers.tasks.nightly_sweep",
    "nightly-aggregate": "workers.tasks.aggregate",
    "recalculate-pending": "workers.tasks.recalculate_pending",
    "check-stalled-jobs": "jobs.check_stalled",
    "mail-send-waiting": "mail.send_waiting",
    "send-reminders": "workers.tasks.send_reminders",
}
NAVIGATION = [
    (10, "Home", ""),
    (100, "My audits", "Audits"), (110, "Moderation", "Audits"), (120, "Calibration", "Audits"),
    (130, "Panels", "Audits"), (140, "Cycles", "Audits"), (150, "Re-audits", "Audits"),
    (160, "Challenges", "Audits"),
    (200, "Dashboard", "Results"), (210, "Rates", "Results"),
    (220, "Improvement actions", "Results"), (230, "Board reports", "Results"),
    (240, "Surveys", "Results"),
    (300, "Letters", ""),
    (400, "Good practice", "Learning"), (410, "Learning briefs", "Learning"),
    (500, "Register", "Register"), (510, "Imports", "Register"),
    (600, "Agencies", "Administration"), (610, "Practice standards", "Administration"),
    (620, "Users", "Administration"), (630, "Emails", "Administration"),
    (640, "Audit log", "Administration"), (650, "Background jobs", "Administration"),
]
"""(order, text, group): an item without a group stands alone in the navigation."""


def _fresh_app(database_url, tmp_path):
    from qa_app import create_app

    return create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                       "INSTANCE_PATH": str(tmp_path)})


def test_every_page_command_task_and_schedule_entry_is_wired(app):
    from qa_app.cli import cli
    from qa_app.jobs.schedule import beat_schedule
    from qa_app.navigation import items_for

    assert set(app.blueprints) >= BLUEPRINTS
    assert set(cli.commands) | set(app.cli.commands) >= COMMANDS
    assert set(app.extensions["celery"].tasks) >= TASKS
    assert {name: entry["task"] for name, entry in beat_schedule(app).items()} == BEAT
    assert app.extensions["celery"].conf.beat_schedule.keys() == BEAT.keys()
    assert [(item.order, item.text, item.group) for item in items_for(app)] == NAVIGATION
    for item in items_for(app):
        assert item.endpoint in app.view_functions
        assert item.group == "" or item.description, f"{item.text} has no line for its hub"


def test_a_missing_feature_stops_the_app_being_built(monkeypatch, database_url, tmp_path):
    monkeypatch.setattr(qa_app, "FEATURES", (*qa_app.FEATURES, "qa_app.no_such_feature"))
    with pytest.raises(ImportError, match="no_such_feature"):
        _fresh_app(database_url, tmp_path)


def test_a_feature_without_init_app_stops_the_app_being_built(monkeypatch, database_url,
                                                                tmp_path):
    monkeypatch.setattr(qa_app, "FEATURES", (*qa_app.FEATURES, "qa_app.cells"))
    with pytest.raises(AttributeError, match="init_app"):
        _fresh_app(database_url, tmp_path)


def test_a_new_feature_is_one_folder_and_one_line(app, monkeypatch, database_url, tmp_path):
    """A package with an init_app, added to FEATURES, is all it takes."""
    folder = tmp_path / "extra_feature"
    folder.mkdir()
    (folder / "__init__.py").write_text(
        "import click\n"
        "from flask import Blueprint\n"
        "from qa_app.auth.access import ALL_ROLES, roles\n"
        "from qa_app.jobs.schedule import add_beat\n"
        "from qa_app.navigation import add_item\n"
        "bp = Blueprint('extra', __name__, url_prefix='/extra')\n"
        "@bp.route('/')\n"
        "@roles(*ALL_ROLES)\n"
        "def index():\n"
        "    return 'extra'\n"
        "@click.command('extra')\n"
        "def extra():\n"
        "    click.echo('extra')\n"
        "def init_app(app):\n"
        "    app.register_blueprint(bp)\n"
        "    app.cli.add_command(extra)\n"
        "    add_item(app, 'Extra', 'extra.index', 145)\n"
        "    add_beat(app, 'extra-hourly', 'extra.task', 3600)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(qa_app, "FEATURES", (*qa_app.FEATURES, "extra_feature"))
    try:
        extra = _fresh_app(database_url, tmp_path / "instance")
        assert BLUEPRINTS | {"extra"} <= set(extra.blueprints)
        assert {"extra", "jobs", "letters"} <= set(extra.cli.commands)
        assert set(extra.extensions["celery"].conf.beat_schedule) == {*BEAT, "extra-hourly"}
        assert "extra" in extra.url_map.bind("localhost").match("/extra/")[0]
    finally:
        from workers import celery_init_app

        celery_init_app(app)


def test_navigation_shows_whom_each_view_admits(app):
    from qa_app.navigation import allowed_roles, items_for

    for item in items_for(app):
        declared = getattr(app.view_functions[item.endpoint], "_allowed_roles", None)
        assert declared and allowed_roles(app, item.endpoint) == declared


def _run(code: str, tmp_path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL"}}
    env.update(EHCP_QA_ENV="test", DATABASE_URL=database_url,
               EHCP_QA_INSTANCE_PATH=str(tmp_path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


def test_beat_started_from_the_celery_app_alone_has_every_features_schedule(
        tmp_path, database_url):
    """`celery -A workers beat` imports workers (no Flask app yet), finalises the Celery app,
    then builds its scheduler from the configuration: the four entries must be there."""
    code = (
        "import workers\n"
        "from celery.beat import Scheduler\n"
        "assert workers._bound_app is None\n"
        "workers.celery.loader.init_worker()\n"
        "workers.celery.finalize()\n"
        "schedule = Scheduler(app=workers.celery).schedule\n"
        "print(sorted((n, e.task) for n, e in schedule.items() if not n.startswith('celery.')))\n"
    )
    result = _run(code, tmp_path, database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sorted(BEAT.items()))


def test_help_lists_every_command(tmp_path):
    env = {**os.environ, "EHCP_QA_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'help.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "qa_app.cli", "--help"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("Commands:")[1]
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert names >= COMMANDS
