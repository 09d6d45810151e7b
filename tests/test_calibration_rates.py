"""Calibration never counts in a rate: the aggregation run before and after a whole round
gives identical figures. And live-audit agreement per criterion (quadratic-weighted kappa and
Gwet's AC1) on the manager's page matches a table worked by hand."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun, AgreementSnapshot, RateSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import World, csrf_token, judged_ids, signed_in

CRITERIA = judged_ids("ehcp-plan.yaml", nc_year=9)


def figures(app: Flask) -> dict[str, object]:
    """Every stored figure of each period's latest run, without run ids or times."""
    with app.app_context():
        runs = db.session.scalars(select(AggregationRun).order_by(AggregationRun.id)).all()
        latest = {(r.period_kind, r.period_key): r for r in runs}
        out: dict[str, object] = {}
        for (kind, key), run in sorted(latest.items()):
            rates = db.session.scalars(select(RateSnapshot).where(
                RateSnapshot.run_id == run.id)).all()
            agreement = db.session.scalars(select(AgreementSnapshot).where(
                AgreementSnapshot.run_id == run.id)).all()
            out[f"{kind}:{key}"] = (
                run.inputs_hash,
                sorted((r.measure, r.scope, r.breakdown, r.agency_id or 0, r.n, r.good,
                        r.excluded, r.rate, r.ci_low, r.ci_high, r.rag) for r in rates),
                sorted((a.rubric_id, a.criterion_id, a.pairs, a.agreed, a.kappa, a.ac1)
                       for a in agreement))
        return out


def aggregate_everything(app: Flask, cycle_id: int) -> None:
    with app.app_context():
        run_aggregation("cycle", str(cycle_id))
        run_aggregation()  # every period with something to report
        db.session.commit()


@pytest.fixture()
def world(app: Flask) -> World:
    return make.on(app).panel_world(plans=2)


def plan_version(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(RubricVersion.id).where(
            RubricVersion.rubric_id == "ehcp-plan"))


def test_a_calibration_round_leaves_every_rate_as_it_was(app: Flask, world: World) -> None:
    version = plan_version(app)
    for number, plan_id in enumerate(world.plan_ids):
        grade = 2 + number  # one plan below good, one good
        make.on(app).final_grade(version, grade, cycle_id=world.cycle_id, plan_id=plan_id,
                                 criteria={c: grade for c in CRITERIA})
        for _ in range(2):
            make.on(app).panel_audit(version, world.cycle_id, {c: grade for c in CRITERIA},
                                     plan_id=plan_id)
    aggregate_everything(app, world.cycle_id)
    before = figures(app)
    assert any(rows[1] for rows in before.values())  # there are rates to protect

    # A whole round on the plan graded 2: every auditor grades it Outstanding.
    manager = signed_in(app, world.emails["manager"])
    token = csrf_token(manager, "/calibration/new")
    response = manager.post("/calibration/new", data={
        "csrf_token": token, "name": "Rates stay put", "subject_ref": "EHCP-W-000",
        "rubric_version_id": str(version), "chair_id": "none",
        "auditor_ids": [str(world.users[a]) for a in ("ep1", "health1", "social1")]})
    round_id = int(response.headers["Location"].split("/")[-1])
    for who in ("ep1", "health1", "social1"):
        client = signed_in(app, world.emails[who])
        path = f"/calibration/{round_id}/grade"
        client.post(path, data={"csrf_token": csrf_token(client, path), "action": "check",
                                **{f"grade_{c}": "4" for c in CRITERIA}})
        check = f"{path}/check"
        assert client.post(check, data={"csrf_token": csrf_token(client, check),
                                        "confirmed": "yes"}).status_code == 302
    ref = f"/calibration/{round_id}/reference"
    manager.post(ref, data={"csrf_token": csrf_token(manager, ref),
                            **{f"grade_{c}": "4" for c in CRITERIA}})
    check = f"{ref}/check"
    assert manager.post(check, data={"csrf_token": csrf_token(manager, check),
                                     "confirmed": "yes"}).status_code == 302

    aggregate_everything(app, world.cycle_id)
    assert figures(app) == before


def test_live_agreement_by_criterion_against_a_hand_worked_table(
        app: Flask, world: World) -> None:
    """Four plans, each scored by two auditors, on one criterion (the others left blank):
        first  1  2  3  4
        second 1  2  4  4
    Same grade in 3 of 4 pairs: 75%.
    Gwet's AC1: the 8 grades fall 2, 2, 1, 3 in grades 1 to 4, shares 1/4, 1/4, 1/8, 3/8;
      chance = (1/4*3/4 + 1/4*3/4 + 1/8*7/8 + 3/8*5/8) / (4 - 1) = (69/96) / 3 = 23/96;
      AC1 = (3/4 - 23/96) / (1 - 23/96) = (49/96) / (73/96) = 49/73 = 0.671.
    Quadratic-weighted kappa = 1 - observed / chance disagreement (squared differences):
      observed mean = (0 + 0 + 1 + 0) / 4 = 1/4;
      chance: first is 1,2,3,4 each 1/4; second is 1 (1/4), 2 (1/4), 4 (1/2);
        from 1: 0/4 + 1/4 + 9/2 = 4.75; from 2: 1/4 + 0 + 4/2 = 2.25;
        from 3: 4/4 + 1/4 + 1/2 = 1.75; from 4: 9/4 + 4/4 + 0 = 3.25; mean = 12/4 = 3;
      kappa = 1 - (1/4) / 3 = 11/12 = 0.917."""
    version = plan_version(app)
    criterion = CRITERIA[0]
    plans = [make.on(app).plan(world.agencies["SEND Casework Team"], nc_year=9).id
             for _ in range(4)]
    for plan_id, (one, two) in zip(plans, ((1, 1), (2, 2), (3, 4), (4, 4)), strict=True):
        make.on(app).panel_audit(version, world.cycle_id, {criterion: one}, plan_id=plan_id)
        make.on(app).panel_audit(version, world.cycle_id, {criterion: two}, plan_id=plan_id)

    with app.test_request_context():
        from qa_app.calibration.queries import live_agreement
        rows = {r.criterion_id: r for r in live_agreement()}
    assert list(rows) == [criterion]
    row = rows[criterion]
    assert row.pairs == 4 and row.exact_rate == pytest.approx(75.0)
    assert row.ac1 == pytest.approx(49 / 73)
    assert row.kappa == pytest.approx(11 / 12)

    page = signed_in(app, world.emails["manager"]).get("/calibration/consistency")
    text = page.get_data(as_text=True)
    assert "0.92" in text and "0.67" in text and "75%" in text
    with app.test_request_context():
        from qa_app.calibration.queries import live_agreement
        assert live_agreement("2024/25") == []
