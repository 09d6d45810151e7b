"""Sampling strata: transition-year plans are never under-sampled, and the partnership's
all-plans rate of a cycle whose strata were sampled unequally is the stratum-weighted
estimate, with the raw count beside it on every page and in the API."""

from __future__ import annotations

import json
import math
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from qa_app.api.tokens import create_token
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.operations import draw_sample
from qa_app.audits.cycles.sampling import DrawParameters, PlanCandidate, draw
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.reporting.models import AggregationRun, RateSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.weighting import Stratum, weighted_estimate
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in

AS_OF = date(2026, 1, 15)
Z = 1.959963984540054


def by_hand(strata: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """(eligible when drawn, graded, good) per stratum -> weighted rate, low, high in percent,
    worked out longhand: W = N_h / N, variance with the finite population correction, and a
    Wilson interval on the effective sample size (the graded count when the variance is 0)."""
    population = sum(big for big, _, _ in strata)
    p = 0.0
    var = 0.0
    for big, n, good in strata:
        share = good / n
        p += big / population * share
        var += (big / population) ** 2 * share * (1 - share) / n * (1 - n / big)
    n_eff = p * (1 - p) / var if var > 0 and 0 < p < 1 else sum(n for _, n, _ in strata)
    centre = (p + Z * Z / (2 * n_eff)) / (1 + Z * Z / n_eff)
    half = Z * math.sqrt(p * (1 - p) / n_eff + Z * Z / (4 * n_eff * n_eff)) / (1 + Z * Z / n_eff)
    return 100 * p, max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


# --- the transition-year share is a minimum ----------------------------------------------


def test_transition_plans_get_at_least_their_share_of_the_population():
    plans = [PlanCandidate(i, f"EHCP-{i:03d}", 5 if i % 2 else 3, "Casework") for i in range(100)]
    result = draw(plans, DrawParameters(size=40, seed=7, transition_share=0.3,
                                        include_advice=False))
    # half the eligible plans are in a transition year, more than the 30% setting
    assert result.strata == {"other": 20, "transition_year": 20}
    assert result.transition_target == 20
    assert any("more than the 30% setting" in note for note in result.notes)


@settings(max_examples=150, deadline=None)
@given(st.integers(10, 120), st.integers(1, 9), st.integers(1, 60), st.integers(0, 2**31 - 1),
       st.sampled_from([0.0, 0.1, 0.3, 0.5]))
def test_no_draw_under_samples_transition_plans(count, every, size, seed, share):
    plans = [PlanCandidate(i, f"R-{i:03d}", 9 if i % every == 0 else 7, "Casework")
             for i in range(count)]
    result = draw(plans, DrawParameters(size=size, seed=seed, transition_share=share,
                                        include_advice=False))
    taken = result.strata.get("transition_year", 0)
    eligible = sum(1 for p in plans if p.nc_year == 9)
    drawn = len(result.plans)
    assert taken * count >= eligible * drawn  # sample share >= population share
    assert taken >= min(eligible, math.ceil(share * drawn - 1e-9))


# --- the estimator on its own ---------------------------------------------------------------


def test_a_worked_example():
    # 10 transition-year plans of 10 eligible audited, 3 good; 10 of 40 others, 9 good
    estimate = weighted_estimate([Stratum(10, 10, 3), Stratum(40, 10, 9)])
    assert estimate is not None
    assert estimate.rate == pytest.approx(78.0)  # 0.2 × 30% + 0.8 × 90%, not 12 of 20 = 60%
    rate, low, high = by_hand([(10, 10, 3), (40, 10, 9)])
    assert (estimate.rate, estimate.low, estimate.high) == pytest.approx((rate, low, high))
    assert 60 < low < 78 < high < 92


strata_values = st.tuples(st.integers(1, 400), st.integers(1, 400), st.integers(0, 400)).map(
    lambda t: (max(t[0], t[1]), t[1], min(t[2], t[1])))


@settings(max_examples=300, deadline=None)
@given(st.lists(strata_values, min_size=2, max_size=2))
def test_the_estimate_and_interval_match_a_longhand_calculation(strata):
    estimate = weighted_estimate([Stratum(*s) for s in strata])
    assert estimate is not None
    rate, low, high = by_hand(strata)
    assert estimate.rate == pytest.approx(rate, abs=1e-9)
    assert estimate.low == pytest.approx(low, abs=1e-9)
    assert estimate.high == pytest.approx(high, abs=1e-9)
    assert 0 <= estimate.low <= estimate.rate <= estimate.high <= 100


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 5), st.data())
def test_equal_sampling_fractions_give_the_pooled_rate(n_t, n_o, times, data):
    good_t = data.draw(st.integers(0, n_t))
    good_o = data.draw(st.integers(0, n_o))
    estimate = weighted_estimate([Stratum(n_t * times, n_t, good_t),
                                  Stratum(n_o * times, n_o, good_o)])
    assert estimate is not None
    assert estimate.rate == pytest.approx(100 * (good_t + good_o) / (n_t + n_o))


def test_no_estimate_while_a_stratum_has_nothing_graded():
    assert weighted_estimate([Stratum(10, 0, 0), Stratum(40, 10, 9)]) is None


# --- stored with the cycle's figures and shown --------------------------------------------


def _world(app, size: int, share: float) -> dict:
    """10 transition-year plans and 40 others; the sample is drawn and every sampled plan
    graded: 3 of the transition-year plans good, 9 of 10 others (the rest below good)."""
    with app.app_context():
        north = build.agency("North casework", "local_authority").id
        south = build.agency("South casework", "local_authority").id
        rubric = build.rubric().id
        cycle_id = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for i in range(50):
            build.plan(north if i % 2 else south, nc_year=9 if i < 10 else 3)
        db.session.commit()
        cycle = db.session.get(Cycle, cycle_id)
        sample, _ = draw_sample(cycle, size=size, seed=20251101, transition_share=share,
                                include_advice=False)
        items = db.session.execute(
            select(SampleItem.plan_id, SampleItem.stratum)
            .where(SampleItem.sample_id == sample.id).order_by(SampleItem.plan_id)).all()
        good = {"transition_year": 3, "other": 9}
        for plan_id, stratum in items:
            grade = 3 if good[stratum] > 0 else 2
            good[stratum] -= 1
            build.final_grade(rubric, grade, cycle_id=cycle_id, plan_id=plan_id)
        db.session.commit()
        run_aggregation(as_of=AS_OF)
        db.session.commit()
        return {"cycle": cycle_id, "sample": sample.id, "items": items}


def _rows(app, kind: str, key: str) -> list[RateSnapshot]:
    with app.app_context():
        run = db.session.execute(
            select(AggregationRun).where(AggregationRun.period_kind == kind,
                                         AggregationRun.period_key == key)
            .order_by(AggregationRun.id.desc())).scalars().first()
        rows = db.session.execute(
            select(RateSnapshot).where(RateSnapshot.run_id == run.id)).scalars().all()
        db.session.expunge_all()
        return rows


def _partnership_all_plans(rows: list[RateSnapshot]) -> RateSnapshot:
    (row,) = [r for r in rows if (r.measure, r.scope, r.breakdown, r.agency_id)
              == ("plans_good_or_better", "all", "", None)]
    return row


@pytest.fixture()
def unequal(app):
    # transition plans are 20% of the register, but the 50% setting takes all 10 of them
    return _world(app, size=20, share=0.5)


def test_the_sample_records_its_strata_population(app, unequal):
    with app.app_context():
        parameters = db.session.get(Sample, unequal["sample"]).parameters
    assert parameters["stratum_population"] == {"transition_year": 10, "other": 40}
    assert parameters["strata"] == {"other": 10, "transition_year": 10}


def test_the_cycles_partnership_rate_is_weighted_and_the_raw_count_kept(app, unequal):
    rows = _rows(app, "cycle", str(unequal["cycle"]))
    row = _partnership_all_plans(rows)
    assert (row.n, row.good, row.rate) == (20, 12, pytest.approx(60.0))
    rate, low, high = by_hand([(10, 10, 3), (40, 10, 9)])
    assert row.weighted_rate == pytest.approx(78.0)
    assert (row.weighted_rate, row.weighted_low, row.weighted_high) == pytest.approx(
        (rate, low, high))
    assert row.rag == "amber"  # 78% is within 5 points of 80%; the raw 60% would be red
    others = [r for r in rows if r is not row]
    assert others and all(r.weighted_rate is None and r.weighted_low is None for r in others)


def test_academic_year_figures_stay_raw(app, unequal):
    row = _partnership_all_plans(_rows(app, "academic_year", "2025/26"))
    assert (row.n, row.good, row.weighted_rate) == (20, 12, None)


def test_equal_fractions_leave_the_pooled_rate_alone(app):
    world = _world(app, size=25, share=0.2)  # 5 of 10 and 20 of 40: half of each
    row = _partnership_all_plans(_rows(app, "cycle", str(world["cycle"])))
    assert row.n == 25 and row.weighted_rate is None


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_rates_page_shows_the_weighted_rate_with_the_raw_count(app, client, unequal):
    sign_in(client, make.on(app).user("qi_manager").email)
    body = _text(client.get(f"/rates?cycle={unequal['cycle']}&measure=plans_good_or_better"))
    rate, low, high = by_hand([(10, 10, 3), (40, 10, 9)])
    assert "78.0%" in body and "weighted; raw: 12 of 20 (60.0%)" in body
    assert f"{low:.1f}% to {high:.1f}%" in body
    assert "The partnership's rate for all plans is weighted" in body
    year = _text(client.get("/rates?year=2025/26&measure=plans_good_or_better"))
    assert "weighted; raw" not in year and "is weighted" not in year


def test_dashboard_headline_shows_the_weighted_rate(app, client, unequal):
    sign_in(client, make.on(app).user("qi_manager").email)
    body = _text(client.get(f"/dashboard/?year=2025/26&cycle={unequal['cycle']}"))
    headline = body.split('id="headline"')[1].split('id="agencies"')[0]
    assert "78.0%" in headline and "weighted; raw: 12 of 20 (60.0%)" in headline
    assert "The partnership's rate for all plans is weighted" in headline


def test_api_rates_carry_the_weighted_figure(app, client, unequal):
    with app.app_context():
        user = db.session.get(User, make.on(app).user("qi_manager").id)
        _, token = create_token(user, "Power BI")
        db.session.commit()
    response = client.get(f"/api/v1/rates?period={unequal['cycle']}&measure="
                          "plans_good_or_better&scope=all",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    data = response.get_json()["data"]
    partnership = [r for r in data if r["agency_id"] is None]
    assert len(partnership) == 1
    row = partnership[0]
    assert (row["n"], row["good"], row["rate"]) == (20, 12, pytest.approx(60.0))
    assert row["weighted_rate"] == pytest.approx(78.0)
    assert row["weighted_ci_low"] < 78.0 < row["weighted_ci_high"]
    assert all(r["weighted_rate"] is None for r in data if r["agency_id"] is not None)


def test_rates_command_prints_the_weighted_figure(app, runner, unequal):
    result = runner.invoke(["rates", "--cycle", "Autumn term 2025", "--measure",
                            "plans_good_or_better", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = [r for r in json.loads(result.output) if r["scope"] == "all"]
    partnership = [r for r in records if r["agency"] == "Partnership"]
    assert [(r["n"], r["good"], r["rate"], r["weighted_rate"]) for r in partnership] == [
        (20, 12, 60.0, 78.0)]
    assert all(r["weighted_rate"] is None for r in records if r["agency"] != "Partnership")
    table = runner.invoke(["rates", "--cycle", "Autumn term 2025", "--measure",
                           "plans_good_or_better"])
    assert "78.0% weighted (raw 60.0%)" in table.output
