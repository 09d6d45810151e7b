"""One commit point: a request keeps what its view wrote on a success and nothing on an error,
work queued for after the commit runs only once it has committed, a command that refuses
keeps nothing, and no module but the commit point (and the jobs package) commits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import click
import pytest
from flask import Blueprint, Flask, abort, redirect
from sqlalchemy import func, select, update

from qa_app import transactions
from qa_app.api.models import ApiToken
from qa_app.auth.access import public
from qa_app.auth.models import User, UserSession
from qa_app.console import FeatureGroup
from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.register.models import Agency
from qa_app.reporting.models import RecalculationRequest
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.factories import sign_in

followed: list[tuple[str, bool]] = []
"""What ran after a commit: (name, whether the row was already visible to another connection)."""


def _visible_elsewhere(name: str) -> bool:
    with db.engine.connect() as other:
        return other.scalar(select(Agency.id).where(Agency.name == name)) is not None


def _write(name: str) -> None:
    db.session.add(Agency(name=name, type="health"))
    db.session.flush()
    transactions.after_commit(lambda: followed.append((name, _visible_elsewhere(name))))


def _probe_blueprint() -> Blueprint:
    """A view that writes an agency, then ends the way its name says."""
    probe = Blueprint("probe", __name__, url_prefix="/probe")

    @probe.get("/<outcome>")
    @public
    def write(outcome: str):
        _write(f"Probe {outcome}")
        if outcome == "ok":
            return "saved"
        if outcome == "redirect":
            return redirect("/")
        if outcome == "refused":
            return "refused", 422
        if outcome == "unavailable":
            return "unavailable", 503
        if outcome == "kept":
            transactions.keep_writes()
            return "refused, but the attempt is kept", 409
        if outcome == "abort":
            abort(404)
        raise RuntimeError("the view failed")

    return probe


@pytest.fixture()
def probe_app(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app of its own (routes cannot be added once one has served), on the same database."""
    from qa_app import create_app
    from qa_app.extensions import limiter
    from workers import celery_init_app

    web = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path)})
    web.register_blueprint(_probe_blueprint())
    followed.clear()
    try:
        yield web
    finally:
        celery_init_app(app)
        limiter.init_app(app)


def _agencies(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Agency.name)))


@pytest.mark.parametrize(("outcome", "status", "kept"), [
    ("ok", 200, True), ("redirect", 302, True), ("kept", 409, True),
    ("refused", 422, False), ("unavailable", 503, False), ("abort", 404, False),
])
def test_a_view_keeps_its_writes_only_when_it_succeeds(app, probe_app, outcome, status, kept):
    response = probe_app.test_client().get(f"/probe/{outcome}")
    assert response.status_code == status
    name = f"Probe {outcome}"
    assert _agencies(app) == ({name} if kept else set())
    assert followed == ([(name, True)] if kept else [])


def test_a_view_that_raises_keeps_nothing_and_nothing_follows(app, probe_app):
    with pytest.raises(RuntimeError, match="the view failed"):
        probe_app.test_client().get("/probe/raise")
    assert "Probe raise" not in _agencies(app)
    assert followed == []


def test_work_after_a_commit_runs_once_it_has_committed_and_never_after_a_rollback(app):
    followed.clear()
    with app.app_context():
        _write("Rolled back")
        db.session.rollback()
        transactions.commit_point()
        assert followed == []
        _write("Committed")
        transactions.commit_point()
        assert followed == [("Committed", True)]
        transactions.commit_point()
    assert followed == [("Committed", True)]
    assert _agencies(app) == {"Committed"}


def test_a_commit_made_directly_still_gets_its_follow_up_when_the_context_ends(app):
    """A task or job that commits by itself: what it queued runs before its context closes."""
    followed.clear()
    with app.app_context():
        _write("Direct")
        db.session.commit()
        assert followed == []
    assert followed == [("Direct", True)]


def test_a_command_that_refuses_keeps_nothing(app):
    followed.clear()
    group = FeatureGroup("probe")

    @group.command("add")
    @click.argument("name")
    @click.option("--refuse", is_flag=True)
    def add(name: str, refuse: bool) -> None:
        _write(name)
        if refuse:
            raise click.ClickException(f"{name} was refused")
        click.echo(f"{name} added")

    runner = app.test_cli_runner()
    refused = runner.invoke(group, ["add", "Refused", "--refuse"])
    assert refused.exit_code == 1 and "Refused was refused" in refused.output
    assert _agencies(app) == set() and followed == []
    added = runner.invoke(group, ["add", "Added"])
    assert added.exit_code == 0, added.output
    assert _agencies(app) == {"Added"} and followed == [("Added", True)]


def test_a_change_starts_its_recalculation_after_the_commit_and_never_after_a_rollback(
        app, monkeypatch):
    monkeypatch.setitem(app.config, "RECALCULATE_ON_CHANGE", True)

    def recalculations() -> list[str]:
        return list(db.session.scalars(select(JobRun.status).where(JobRun.job == "recalculate")))

    def waiting() -> int:
        return db.session.scalar(select(func.count()).select_from(RecalculationRequest))

    with app.app_context():
        make.plan(make.agency("Casework", "local_authority").id)
        db.session.rollback()
        transactions.commit_point()
        assert (recalculations(), waiting()) == ([], 0)
        make.plan(make.agency("Casework", "local_authority").id)
        transactions.commit_point()
        assert (recalculations(), waiting()) == (["done"], 0)


# --- the signed-in session and the API token, whose notes ride on the request's commit ------


def _session_row(app: Flask, user_id: int) -> UserSession | None:
    with app.app_context():
        return db.session.scalar(select(UserSession).where(UserSession.user_id == user_id))


def _age_session(app: Flask, user_id: int, minutes: int) -> None:
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id)
                           .values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def test_an_idle_session_is_refused_at_once_and_deleted_by_the_page_it_leads_to(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _age_session(app, manager.id, app.config["SESSION_IDLE_MINUTES"] + 5)
    refused = client.get("/rates")
    assert refused.status_code == 302 and "/sign-in" in refused.headers["Location"]
    assert _session_row(app, manager.id) is not None  # nothing was kept: refused again next time
    assert client.get("/rates").status_code == 302
    assert client.get(refused.headers["Location"]).status_code == 200
    assert _session_row(app, manager.id) is None
    assert client.get("/rates").status_code == 302


def test_a_page_that_answers_saves_when_the_session_was_last_seen(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _age_session(app, manager.id, 5)
    assert client.get("/rates?cycle=999").status_code == 404
    before = _session_row(app, manager.id)
    assert before is not None and utcnow() - before.last_seen_at > timedelta(minutes=4)
    assert client.get("/rates").status_code == 200
    after = _session_row(app, manager.id)
    assert after is not None and utcnow() - after.last_seen_at < timedelta(minutes=1)


@pytest.mark.parametrize(("path", "role", "status"), [
    ("/api/v1/agencies", "qi_manager", 200),
    ("/api/v1/rates?page=0", "qi_manager", 400),
    ("/api/v1/agreement", "agency_lead", 404),
])
def test_a_token_shows_every_use_even_a_refused_one(app, path, role, status):
    from qa_app.api.tokens import create_token

    with app.app_context():
        casework = make.agency("Casework", "local_authority")
        person = make.user(role, casework.name if role == "agency_lead" else None)
        _, token = create_token(db.session.get(User, person.id), "Power BI")
        db.session.commit()
    response = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status
    with app.app_context():
        used = db.session.scalar(select(ApiToken.last_used_at))
    assert used is not None and utcnow() - used < timedelta(minutes=1)


# --- nothing else commits ---------------------------------------------------------------------

COMMIT_CALL = re.compile(r"\.commit\(\)")


def test_no_module_outside_the_commit_point_and_the_jobs_package_commits(project_root):
    package = project_root / "qa_app"
    allowed = {package / "transactions.py"}
    committing = sorted(
        f"{path.relative_to(project_root)}:{number}"
        for path in package.rglob("*.py")
        if path not in allowed and (package / "jobs") not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if COMMIT_CALL.search(line)
    )
    assert committing == [], "commit at the commit point instead:\n" + "\n".join(committing)
