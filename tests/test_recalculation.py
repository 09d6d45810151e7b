"""Figures that never go stale or backwards: serialised runs, recorded subject attributes,
a hash of the figures themselves, automatic recalculation and the freshness check.

Every expected figure here is a plain count written out from the data the test built.
"""

from __future__ import annotations

import fcntl
import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.exc import OperationalError

from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.register.models import Advice, Plan
from qa_app.reporting import operations, run_lock
from qa_app.reporting.freshness import stale_reason
from qa_app.reporting.models import RateSnapshot, RecalculationRequest
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.queries import current_run
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in
from tests.services import REDIS_URL, need, reachable
from tests.worker import WorkerProcess, wait_for

AS_OF = date(2026, 6, 1)
YEAR = "2025/26"


def stored(kind: str, key: str) -> dict[tuple, tuple[int, int]]:
    """The current run's figures of a period: (measure, scope, breakdown, agency) -> (good, n)."""
    run = current_run(kind, key)
    assert run is not None
    return {(r.measure, r.scope, r.breakdown, r.agency_id): (r.good, r.n)
            for r in db.session.scalars(select(RateSnapshot).where(RateSnapshot.run_id == run.id))}


def aggregate(app, **kwargs) -> dict:
    with app.app_context():
        result = run_aggregation(as_of=AS_OF, **kwargs)
        db.session.commit()
        return result


@pytest.fixture()
def ten_plans(app):
    """One agency's ten plans in one cycle: 2 of 10 good or better."""
    with app.app_context():
        la = build.agency("Casework", "local_authority").id
        rubric = build.rubric().id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        grades = []
        for grade in [3, 3] + [2] * 8:
            plan = build.plan(la).id
            grades.append(build.final_grade(rubric, grade, cycle_id=cycle, plan_id=plan,
                                            criteria={"child_voice": 3, "outcomes": grade}).id)
        db.session.commit()
    return {"agency": la, "cycle": cycle, "grades": grades}


def plans_figure(app, cycle_id: int) -> tuple[int, int]:
    with app.app_context():
        return stored("cycle", str(cycle_id))[("plans_good_or_better", "all", "", None)]


# --- two runs at once ---------------------------------------------------------------------


def test_a_run_never_replaces_a_newer_one(app, ten_plans, database_url, monkeypatch):
    """Run A reads; a chair's change commits; run B starts. Whatever the order in which
    they finish, the figures left current are those of the changed data (3 of 10)."""
    real_compute = operations.measures.compute
    a_has_read, release_a = threading.Event(), threading.Event()

    def compute(conn, ctx, after=None):
        figures = real_compute(conn, ctx, after)
        if threading.current_thread().name == "run-a":
            a_has_read.set()
            assert release_a.wait(60)
        return figures

    monkeypatch.setattr(operations.measures, "compute", compute)
    real_flock, b_blocked = run_lock.fcntl.flock, threading.Event()

    def flock(handle, operation):
        if threading.current_thread().name == "run-b" and operation == fcntl.LOCK_EX:
            try:
                return real_flock(handle, operation | fcntl.LOCK_NB)
            except BlockingIOError:
                b_blocked.set()
        return real_flock(handle, operation)

    monkeypatch.setattr(run_lock.fcntl, "flock", flock)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            aggregate(app)
        except BaseException as exc:
            errors.append(exc)

    run_a = threading.Thread(target=run, name="run-a")
    run_b = threading.Thread(target=run, name="run-b")
    run_a.start()
    assert a_has_read.wait(60)
    other = create_engine(database_url, connect_args={"timeout": 0}
                          if database_url.startswith("sqlite") else {})
    first_grade = ten_plans["grades"][2]

    def change_grade() -> None:
        with other.begin() as conn:
            conn.execute(update(FinalGrade).where(FinalGrade.id == first_grade)
                         .values(grade=3, good_or_better=True))

    try:
        change_grade()
        changed_while_a_ran = True
    except OperationalError:  # in-memory SQLite: the run holds the only write lock
        changed_while_a_ran = False
    if changed_while_a_ran:
        run_b.start()
        waiting_for_lock = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        postgres = database_url.startswith("postgres")
        with other.connect() as conn:
            assert wait_for(lambda: not run_b.is_alive() or b_blocked.is_set() or (
                postgres and conn.execute(text(waiting_for_lock)).scalar()), timeout=60)
        release_a.set()
    else:
        release_a.set()
        run_a.join(60)
        change_grade()
        run_b.start()
    run_a.join(60)
    run_b.join(60)
    other.dispose()
    assert errors == []
    assert plans_figure(app, ten_plans["cycle"]) == (3, 10)
    with app.app_context():
        assert stored("academic_year", YEAR)[("plans_good_or_better", "all", "", None)] == (3, 10)


# --- the hash of the figures ----------------------------------------------------------------


def test_opposite_changes_in_one_group_still_make_new_figures(app, ten_plans):
    """One plan's outcomes criterion 2 -> 3 (now good), another's 2 -> 1 (still below): the
    grades add up to the same total, but the criterion's count moves from 2 to 3 of 10."""
    aggregate(app)
    with app.app_context():
        rows = {c.final_grade_id: c for c in db.session.scalars(
            select(FinalCriterionGrade).where(FinalCriterionGrade.criterion_id == "outcomes"))}
        up, down = rows[ten_plans["grades"][2]], rows[ten_plans["grades"][3]]
        up.grade, up.good_or_better = 3, True
        down.grade = 1
        db.session.commit()
    result = aggregate(app)
    assert [p["status"] for p in result["periods"]] == ["new", "new"]
    with app.app_context():
        figure = stored("cycle", str(ten_plans["cycle"]))
        assert figure[("criterion_good_or_better", "plan", "outcomes", None)] == (3, 10)
    again = aggregate(app)
    assert [p["status"] for p in again["periods"]] == ["unchanged", "unchanged"]


# --- a register refresh ---------------------------------------------------------------------


def test_a_register_refresh_changes_no_past_figure(app):
    """Year groups up by one, kinds switched, a plan's owner and an assured grade corrected:
    every stored figure stays what the panel saw when it finalised the grades."""
    spec = [  # (nc_year, kind, grade)
        (5, "new", 3), (5, "annual_review", 2), (9, "annual_review", 3), (3, "new", 3),
        (8, "annual_review", 2), (9, "new", 4),
    ]
    with app.app_context():
        la = build.agency("Casework", "local_authority").id
        other = build.agency("Other LA", "local_authority").id
        health = build.agency("Health").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for nc_year, kind, grade in spec:
            plan = build.plan(la, nc_year=nc_year, kind=kind).id
            build.final_grade(plan_rubric, grade, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 3})
            advice = build.advice(plan, health, agency_grade=3, advice_type="health").id
            build.final_grade(advice_rubric, grade, cycle_id=cycle, advice_id=advice)
        db.session.commit()
    aggregate(app)
    with app.app_context():
        before = {key: stored(*key) for key in (("cycle", str(cycle)), ("academic_year", YEAR))}
        db.session.execute(update(Plan).values(nc_year=Plan.nc_year + 1,
                                               plan_kind="annual_review", agency_id=other))
        db.session.execute(update(Advice).values(agency_grade=1, advice_type="education"))
        db.session.commit()
    aggregate(app)
    with app.app_context():
        for key, figures in before.items():
            assert stored(*key) == figures
        cycle_figures = before[("cycle", str(cycle))]
    good = [grade >= 3 for _, _, grade in spec]
    transition = [good[i] for i, (year, _, _) in enumerate(spec) if year in (5, 9)]
    new = [good[i] for i, (_, kind, _) in enumerate(spec) if kind == "new"]
    expect = {
        ("plans_good_or_better", "all", "", la): (sum(good), len(good)),
        ("plans_good_or_better", "transition_years", "", la): (sum(transition), len(transition)),
        ("plans_good_or_better", "new", "", la): (sum(new), len(new)),
        ("advice_good_or_better", "advice_type:health", "", health): (sum(good), len(good)),
        ("advice_assured_good_or_better", "all", "", health): (len(spec), len(spec)),
    }
    for key, value in expect.items():
        assert cycle_figures[key] == value, key


# --- automatic recalculation, and the page while it waits -----------------------------------


def test_a_change_recalculates_its_periods_when_it_commits(app, ten_plans, monkeypatch):
    aggregate(app)
    monkeypatch.setitem(app.config, "RECALCULATE_ON_CHANGE", True)
    with app.app_context():
        grade = db.session.get(FinalGrade, ten_plans["grades"][2])
        grade.grade, grade.good_or_better = 3, True
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(RecalculationRequest)) == 2
    # The app context has ended (as a request or command does): the periods are current.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecalculationRequest)) == 0
        assert stored("cycle", str(ten_plans["cycle"]))[
            ("plans_good_or_better", "all", "", None)] == (3, 10)
        job = db.session.scalars(select(JobRun).where(JobRun.job == "recalculate")).one()
        assert job.status == "done" and "Autumn term 2025" in job.message


def test_a_register_change_before_any_cycle_is_answered_once(app):
    """A register imported before the first cycle begins has no period to recalculate: the
    run still answers the request, so the scheduled check does not start an empty job every
    JOB_CHECK_SECONDS for ever."""
    from qa_app.reporting.tasks import recalculate_pending

    def waiting() -> int:
        return db.session.scalar(select(func.count()).select_from(RecalculationRequest))

    with app.app_context():
        build.plan(build.agency("Casework", "local_authority").id)
        db.session.commit()
        assert waiting() == 1
    with app.app_context():
        recalculate_pending()
    with app.app_context():
        assert waiting() == 0
        recalculate_pending()
        recalculate_pending()
    with app.app_context():
        jobs = db.session.scalars(select(JobRun).where(JobRun.job == "recalculate")).all()
        assert [(j.status, j.message) for j in jobs] == [("done", "Recalculated nothing")]


def test_a_draft_audit_or_a_rolled_back_change_asks_for_nothing(app, ten_plans):
    aggregate(app)

    def waiting() -> int:
        return db.session.scalar(select(func.count()).select_from(RecalculationRequest))

    with app.app_context():
        assert waiting() == 0
        graded = db.session.get(FinalGrade, ten_plans["grades"][0])
        build.panel_audit(graded.rubric_version_id, ten_plans["cycle"], {"child_voice": 3},
                          plan_id=graded.plan_id, status="draft")
        db.session.commit()
        assert waiting() == 0
        grade = db.session.get(FinalGrade, ten_plans["grades"][2])
        grade.grade = 4
        db.session.flush()
        db.session.rollback()
        assert waiting() == 0


def test_the_rates_page_says_when_figures_are_being_recalculated(app, client, ten_plans):
    aggregate(app)
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    path = f"/rates?cycle={ten_plans['cycle']}"
    assert "being recalculated" not in client.get(path).get_data(as_text=True)
    with app.app_context():
        db.session.get(FinalGrade, ten_plans["grades"][2]).grade = 3
        db.session.commit()
    html = client.get(path).get_data(as_text=True)
    assert "These figures are being recalculated" in html
    aggregate(app)
    assert "being recalculated" not in client.get(path).get_data(as_text=True)


# --- the freshness check that letters use ---------------------------------------------------


def test_stale_figures_are_named_until_recalculated(app, ten_plans):
    with app.app_context():
        assert stale_reason(ten_plans["cycle"]) == (
            "No figures have been calculated for Autumn term 2025 yet.")
    aggregate(app)
    with app.app_context():
        assert stale_reason(ten_plans["cycle"]) is None
        grade = db.session.get(FinalGrade, ten_plans["grades"][2])
        grade.grade, grade.good_or_better = 3, True
        db.session.commit()
        reason = stale_reason(ten_plans["cycle"])
    assert reason is not None
    assert "no longer match the data" in reason
    assert "EHC plans good or better for the partnership was 2 of 10 and is now 3 of 10" in reason
    aggregate(app)
    with app.app_context():
        assert stale_reason(ten_plans["cycle"]) is None


# --- on a real worker -----------------------------------------------------------------------


@pytest.mark.worker
def test_the_scheduled_check_recalculates_on_a_real_worker(app, ten_plans, database_url,
                                                            tmp_path):
    need("Redis", reachable(REDIS_URL, 6379))
    aggregate(app)
    with app.app_context():
        grade = db.session.get(FinalGrade, ten_plans["grades"][2])
        grade.grade, grade.good_or_better = 3, True
        db.session.commit()
    worker = WorkerProcess(database_url, tmp_path)
    worker.start()
    try:
        worker.send("workers.tasks.recalculate_pending")

        def settled() -> bool:
            with app.app_context():
                return not db.session.scalar(select(func.count())
                                             .select_from(RecalculationRequest))

        assert wait_for(settled), worker.log()
    finally:
        worker.stop()
    assert plans_figure(app, ten_plans["cycle"]) == (3, 10)


def test_the_plan_page_shows_what_was_recorded_beside_the_register_now(app, client, ten_plans):
    with app.app_context():
        plan_id = db.session.get(FinalGrade, ten_plans["grades"][0]).plan_id
        db.session.execute(update(Plan).where(Plan.id == plan_id).values(nc_year=4))
        db.session.commit()
    sign_in(client, make.on(app).user("qi_manager").email)
    html = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "Year group when graded" in html
    assert "3 (now 4)" in html
