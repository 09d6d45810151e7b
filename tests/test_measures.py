"""Every measure on a small partnership worked out by hand (see the comments beside the data).

Agencies: casework (owns every plan), psychology and health (write advice).
Cycles: Autumn (1 Sep - 19 Dec 2025) and Spring (5 Jan - 27 Mar 2026), both in 2025/26.
Figures are taken as of 1 June 2026.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting.models import AggregationRun, AgreementSnapshot, RateSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.stats import weighted_kappa, wilson_interval
from tests.factories import aggregation as build

AS_OF = date(2026, 6, 1)
AUTUMN, SPRING, YEAR = "Autumn term 2025", "Spring term 2026", "2025/26"
LA, EP, HEALTH, ALL = "Casework", "Psychology", "Health", "Partnership"

Cell = tuple[int, int, int]


@pytest.fixture()
def figures(app) -> dict[tuple[str, str, str, str, str], Cell]:
    with app.app_context():
        la, ep, health = (build.agency(LA, "local_authority").id, build.agency(EP, "education").id,
                          build.agency(HEALTH, "health").id)
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice-health", "advice").id
        autumn = build.cycle(AUTUMN, date(2025, 9, 1), date(2025, 12, 19)).id
        spring = build.cycle(SPRING, date(2026, 1, 5), date(2026, 3, 27)).id
        issued_1, issued_4 = date(2025, 9, 18), date(2026, 1, 20)
        # Plans. Good or better needs grade >= 3 AND child voice (where graded) >= 3.
        p1 = build.plan(la, nc_year=5, kind="new", requested=issued_1 - timedelta(days=140),
                        issued=issued_1).id                                   # in 20 weeks
        p2 = build.plan(la, nc_year=9, issued=date(2025, 10, 1)).id           # review: ignored
        p3 = build.plan(la, nc_year=2).id
        p4 = build.plan(la, nc_year=7, kind="new", requested=issued_4 - timedelta(days=141),
                        issued=issued_4).id                                   # one day late
        p5 = build.plan(la, nc_year=5).id
        p6 = build.plan(la, nc_year=10, kind="new", issued=date(2026, 2, 2)).id  # no request date
        grade = build.final_grade
        grade(plan_rubric, 3, cycle_id=autumn, plan_id=p1,
              criteria={"child_voice": 3, "outcomes": 2})                     # good
        grade(plan_rubric, 3, cycle_id=autumn, plan_id=p2,
              criteria={"child_voice": 2})                                    # limited: not good
        grade(plan_rubric, 2, cycle_id=autumn, plan_id=p3,
              criteria={"child_voice": 3, "outcomes": 3})                     # not good
        grade(plan_rubric, 4, cycle_id=spring, plan_id=p4, criteria={"child_voice": 4})  # good
        grade(plan_rubric, 1, cycle_id=spring, plan_id=p5)                    # not good
        grade(plan_rubric, 3, cycle_id=spring, plan_id=p6)                    # good, voice n/a
        # Advice (all for p1). Due 42 days after the request unless said otherwise.
        a1 = build.advice(p1, ep, advice_type="educational_psychology",
                          received=date(2025, 10, 20), agency_grade=3).id  # due 20 Oct: on time
        a2 = build.advice(p1, ep, advice_type="educational_psychology",
                          received=date(2025, 10, 21), agency_grade=3).id     # a day late
        a3 = build.advice(p1, health, requested=date(2025, 10, 1), agency_grade=2).id  # never came
        a4 = build.advice(p1, health, requested=date(2026, 1, 10), received=date(2026, 2, 1)).id
        build.advice(p1, health, requested=date(2025, 10, 1), received=date(2025, 12, 1),
                     exception="missed_appointment")                         # excepted, not late
        build.advice(p1, health, requested=date(2026, 5, 1))                 # due 12 Jun: pending
        build.advice(p1, health, requested=AS_OF - timedelta(days=42))      # due today: pending
        grade(advice_rubric, 3, cycle_id=autumn, advice_id=a1, criteria={"child_voice": 3})
        grade(advice_rubric, 2, cycle_id=autumn, advice_id=a2, criteria={"child_voice": 2})
        grade(advice_rubric, 4, cycle_id=autumn, advice_id=a3, criteria={"child_voice": 2},
              good=True)                                                      # limited: not good
        grade(advice_rubric, 3, cycle_id=spring, advice_id=a4, criteria={"child_voice": 3})
        # Inter-rater pairs in Autumn: p1 and p3 by two panel auditors; others do not count.
        audit = build.panel_audit
        audit(plan_rubric, autumn, {"child_voice": 3, "outcomes": 2}, plan_id=p1)
        audit(plan_rubric, autumn, {"child_voice": 3, "outcomes": 3}, plan_id=p1)
        audit(plan_rubric, autumn, {"child_voice": 2, "outcomes": 3}, plan_id=p3)
        audit(plan_rubric, autumn, {"child_voice": 4, "outcomes": 3}, plan_id=p3)
        audit(plan_rubric, autumn, {"child_voice": 1, "outcomes": None}, plan_id=p2)
        audit(plan_rubric, autumn, {"child_voice": 4, "outcomes": 4}, plan_id=p2, status="draft")
        audit(plan_rubric, autumn, {"child_voice": 1}, advice_id=a1)
        for voice in (1, 2, 3):                                               # three: not a pair
            audit(plan_rubric, spring, {"child_voice": voice}, plan_id=p5)
        db.session.commit()
        run_aggregation(as_of=AS_OF)
        db.session.commit()
        return read_cells()


def read_cells() -> dict[tuple[str, str, str, str, str], Cell]:
    from qa_app.audits.cycles.models import Cycle

    labels = {str(c.id): c.name for c in db.session.execute(select(Cycle)).scalars()}
    rows = db.session.execute(
        select(RateSnapshot, AggregationRun, Agency.name)
        .join(AggregationRun, AggregationRun.id == RateSnapshot.run_id)
        .outerjoin(Agency, Agency.id == RateSnapshot.agency_id)
    ).all()
    cells = {}
    for s, run, agency in rows:
        period = labels.get(run.period_key, run.period_key) if run.period_kind == "cycle" \
            else run.period_key
        cells[(period, s.measure, s.scope, s.breakdown, agency or ALL)] = (s.n, s.good, s.excluded)
    return cells


def cell(figures, period, measure, scope="all", breakdown="", agency=ALL):
    return figures.get((period, measure, scope, breakdown, agency))


def test_plans_good_or_better_with_the_limiting_child_voice_rule(figures):
    m = "plans_good_or_better"
    assert cell(figures, AUTUMN, m) == (3, 1, 0)  # p2 is graded good but its voice is not
    assert cell(figures, AUTUMN, m, agency=LA) == (3, 1, 0)
    assert cell(figures, SPRING, m) == (3, 2, 0)  # p6 has no child-voice grade: not limited
    assert cell(figures, YEAR, m) == (6, 3, 0)
    assert cell(figures, AUTUMN, m, agency=EP) is None


def test_plans_in_transition_years_new_and_annual_review(figures):
    m = "plans_good_or_better"
    assert cell(figures, AUTUMN, m, "transition_years") == (2, 1, 0)  # p1 (year 5), p2 (year 9)
    assert cell(figures, SPRING, m, "transition_years") == (1, 0, 0)  # p5
    assert cell(figures, YEAR, m, "transition_years") == (3, 1, 0)
    assert cell(figures, YEAR, m, "new") == (3, 3, 0)
    assert cell(figures, YEAR, m, "annual_review") == (3, 0, 0)
    assert cell(figures, AUTUMN, m, "new") == (1, 1, 0)


def test_advice_good_or_better_by_type(figures):
    m = "advice_good_or_better"
    assert cell(figures, AUTUMN, m, agency=EP) == (2, 1, 0)
    assert cell(figures, AUTUMN, m, "advice_type:educational_psychology", agency=EP) == (2, 1, 0)
    assert cell(figures, AUTUMN, m, agency=HEALTH) == (1, 0, 0)  # a3 limited by its voice
    assert cell(figures, AUTUMN, m) == (3, 1, 0)
    assert cell(figures, SPRING, m, "advice_type:health") == (1, 1, 0)
    assert cell(figures, YEAR, m) == (4, 2, 0)


def test_child_voice_for_plans_and_advice(figures):
    m = "child_voice_good_or_better"
    assert cell(figures, AUTUMN, m, breakdown="plan") == (3, 2, 0)
    assert cell(figures, AUTUMN, m, breakdown="advice") == (3, 1, 0)
    assert cell(figures, AUTUMN, m) == (6, 3, 0)
    assert cell(figures, AUTUMN, m, agency=EP) == (2, 1, 0)
    assert cell(figures, SPRING, m) == (2, 2, 0)  # p5 and p6 have no child-voice grade
    assert cell(figures, YEAR, m, agency=LA) == (4, 3, 0)


def test_advice_on_time_counts_missing_advice_as_late_and_exceptions_apart(figures):
    m = "advice_on_time"
    assert cell(figures, AUTUMN, m, agency=EP) == (2, 1, 0)  # received on the due day counts
    assert cell(figures, AUTUMN, m, agency=HEALTH) == (1, 0, 1)  # missing; one excepted
    assert cell(figures, AUTUMN, m) == (3, 1, 1)
    assert cell(figures, SPRING, m, agency=HEALTH) == (1, 1, 0)
    assert cell(figures, YEAR, m, agency=HEALTH) == (2, 1, 1)  # due today or later: not counted


def test_new_plans_issued_within_20_weeks(figures):
    m = "plans_issued_in_20_weeks"
    assert cell(figures, AUTUMN, m) == (1, 1, 0)  # exactly 140 days is in time
    assert cell(figures, SPRING, m) == (1, 0, 1)  # 141 days is late; no request date: excluded
    assert cell(figures, YEAR, m, agency=LA) == (2, 1, 1)


def test_advice_assured_good_or_better_by_its_agency(figures):
    m = "advice_assured_good_or_better"
    assert cell(figures, AUTUMN, m, agency=EP) == (2, 2, 0)  # a1 and a2 assured as good
    assert cell(figures, AUTUMN, m, agency=HEALTH) == (1, 0, 0)  # a3 assured below good
    assert cell(figures, SPRING, m, agency=HEALTH) == (1, 0, 0)  # a4 never assured
    assert cell(figures, YEAR, m) == (4, 2, 0)


def test_agency_assurance_against_the_panel(figures):
    m = "assured_advice_confirmed"
    assert cell(figures, AUTUMN, m, agency=EP) == (2, 1, 0)  # the panel found a1 good, not a2
    assert cell(figures, AUTUMN, m, breakdown="agreement", agency=EP) == (2, 1, 0)
    assert cell(figures, AUTUMN, m, breakdown="agreement", agency=HEALTH) == (1, 1, 0)  # both below
    assert cell(figures, SPRING, m, breakdown="agreement", agency=HEALTH) is None  # a4 unassured
    assert cell(figures, YEAR, m, breakdown="agreement") == (3, 2, 0)


def test_every_criterion_has_a_rate(figures):
    m = "criterion_good_or_better"
    assert cell(figures, AUTUMN, m, "plan", "outcomes", LA) == (2, 1, 0)
    assert cell(figures, AUTUMN, m, "plan", "child_voice", LA) == (3, 2, 0)
    assert cell(figures, AUTUMN, m, "advice", "child_voice") == (3, 1, 0)
    assert cell(figures, YEAR, m, "plan", "child_voice") == (4, 3, 0)


def test_rates_intervals_targets_and_status(app, figures):
    with app.app_context():
        autumn = db.session.execute(
            select(RateSnapshot).join(AggregationRun).where(
                AggregationRun.period_kind == "cycle", RateSnapshot.agency_id.is_(None),
                RateSnapshot.measure == "plans_good_or_better", RateSnapshot.scope == "all")
        ).scalars().all()
    first = min(autumn, key=lambda s: s.run_id)  # Autumn: 1 of 3
    assert first.rate == pytest.approx(100 / 3)
    assert (first.ci_low, first.ci_high) == pytest.approx(wilson_interval(1, 3))
    assert (first.ci_low, first.ci_high) == pytest.approx((6.149, 79.234), abs=1e-3)
    assert first.target == 80 and first.rag is None  # 3 plans: too few to judge (min_n 5)


def test_inter_rater_agreement_per_criterion(app, figures):
    with app.app_context():
        stored = db.session.execute(select(AgreementSnapshot, AggregationRun.period_kind)
                                    .join(AggregationRun)).all()
        rows = {a.criterion_id: a for a, kind in stored if kind == "cycle"}
        year = {a.criterion_id: a for a, kind in stored if kind == "academic_year"}
        assert len(stored) == 4  # the cycle's and, for its only cycle, the year's alike
        assert {(a.pairs, a.agreed, a.kappa) for a in year.values()} == {
            (a.pairs, a.agreed, a.kappa) for a in rows.values()}
    voice, outcomes = rows["child_voice"], rows["outcomes"]
    assert (voice.pairs, voice.agreed, voice.exact_rate) == (2, 1, 50.0)  # (3,3) and (2,4)
    assert voice.kappa == pytest.approx(1 - 2 / 1.5)
    assert (outcomes.pairs, outcomes.agreed) == (2, 1)  # (2,3) and (3,3)
    assert outcomes.kappa == pytest.approx(0.0)
    assert set(rows) == {"child_voice", "outcomes"}


def test_wilson_interval_and_kappa_edge_cases():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 10) == pytest.approx((0.0, 27.753), abs=1e-3)
    assert wilson_interval(10, 10) == pytest.approx((72.247, 100.0), abs=1e-3)
    assert wilson_interval(5, 10) == pytest.approx((23.659, 76.341), abs=1e-3)
    assert weighted_kappa(0, 0, 0, 0, 0, 0) is None
    assert weighted_kappa(3, 9, 9, 27, 27, 0) is None  # everyone gave 3: chance is nil
    assert weighted_kappa(2, 5, 5, 13, 13, 0) == pytest.approx(1.0)  # (2,2) and (3,3)
