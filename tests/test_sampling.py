"""The stratified draw: reproducible from its seed, strata honoured, every agency represented,
recently audited plans skipped, stored with its parameters, and redrawn only before audits."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.sampling import (
    AdviceCandidate,
    DrawParameters,
    PlanCandidate,
    SamplingError,
    draw,
)
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.register.models import Advice, Plan
from qa_app.standards.models import RubricVersion
from tests import factories as make

AGENCIES = ["Community Paediatrics", "Educational Psychology Service", "Children's Social Care"]


def population(count: int = 200, transition_every: int = 4, rare_agency: str | None = None,
               seed: int = 1) -> list[PlanCandidate]:
    """Plans whose every fourth is in a transition year, each with advice from common agencies;
    the rare agency (if any) wrote advice for one plan only."""
    rng = random.Random(seed)
    plans = []
    for i in range(count):
        nc_year = rng.choice([5, 9]) if i % transition_every == 0 else rng.choice([1, 3, 7, 11])
        advice = tuple(
            AdviceCandidate(10_000 + i * 10 + k, f"ADV-{i:04d}-{k}", agency, f"type{k}")
            for k, agency in enumerate(AGENCIES) if rng.random() < 0.6
        )
        if rare_agency and i == count // 2:
            advice += (AdviceCandidate(99_999, f"ADV-{i:04d}-R", rare_agency, "speech"),)
        plans.append(PlanCandidate(i + 1, f"EHCP-{i:04d}", nc_year, "SEND Casework Team", advice))
    return plans


def refs(result) -> list[str]:
    return [p.ref for p, _ in result.plans]


# --- the draw on its own ------------------------------------------------------------------


def test_same_seed_same_sample_and_another_seed_another():
    plans = population()
    first = draw(plans, DrawParameters(size=30, seed=20260105))
    again = draw(plans, DrawParameters(size=30, seed=20260105))
    other = draw(plans, DrawParameters(size=30, seed=20260106))
    assert refs(first) == refs(again)
    assert [a.ref for a, _ in first.advice] == [a.ref for a, _ in again.advice]
    assert refs(first) != refs(other)


def test_the_order_the_register_is_read_in_does_not_matter():
    plans = population()
    shuffled = plans[:]
    random.Random(7).shuffle(shuffled)
    params = DrawParameters(size=25, seed=42)
    assert refs(draw(plans, params)) == refs(draw(shuffled, params))


def test_transition_share_is_honoured_exactly_when_nothing_else_intervenes():
    plans = population(200)
    result = draw(plans, DrawParameters(size=40, seed=3, transition_share=0.3,
                                        include_advice=False))
    strata = result.strata
    assert strata == {"other": 28, "transition_year": 12}  # ceil(0.3 × 40) = 12
    assert result.transition_target == 12 and result.advice == []


@pytest.mark.parametrize("seed", range(25))
def test_with_advice_every_agency_is_represented_within_the_size(seed):
    plans = population(200, rare_agency="Speech and Language Therapy")
    result = draw(plans, DrawParameters(size=20, seed=seed, transition_share=0.3))
    agencies = {a.agency for a, _ in result.advice}
    assert agencies == {*AGENCIES, "Speech and Language Therapy"}
    assert len(result.plans) == 20
    assert result.strata["transition_year"] >= math.ceil(0.3 * 20)
    assert "EHCP-0100" in refs(result)  # the one plan with the rare agency's advice


def test_a_swap_is_recorded_with_the_plan_it_replaced():
    plans = population(200, rare_agency="Speech and Language Therapy")
    result = draw(plans, DrawParameters(size=10, seed=5))
    rare = [a for a in result.additions if a.agency == "Speech and Language Therapy"]
    assert rare and rare[0].plan_ref == "EHCP-0100" and rare[0].replaced_ref
    assert rare[0].replaced_ref not in refs(result)


def test_when_no_swap_keeps_every_agency_the_sample_grows_and_says_so():
    plans = [
        PlanCandidate(i, f"P-{i}", 3, "Casework",
                      (AdviceCandidate(100 + i, f"A-{i}", f"Agency {i}", "health"),))
        for i in range(1, 4)
    ]
    result = draw(plans, DrawParameters(size=1, seed=1))
    assert sorted(refs(result)) == ["P-1", "P-2", "P-3"]
    assert any("beyond the requested size" in note for note in result.notes)
    assert sum(1 for a in result.additions if a.replaced_ref is None) == 2


def test_minimum_advice_per_agency_above_one():
    plans = population(200, rare_agency=None)
    result = draw(plans, DrawParameters(size=5, seed=9, min_advice_per_agency=4))
    for agency in AGENCIES:
        assert result.advice_by_agency[agency] >= 4


def test_too_few_transition_plans_takes_them_all_and_says_so():
    plans = population(40, transition_every=20)  # plans 0 and 20: two transition-year plans
    result = draw(plans, DrawParameters(size=10, seed=2, transition_share=0.5,
                                        include_advice=False))
    assert result.strata["transition_year"] == 2
    assert any("Only 2 transition-year plans" in note for note in result.notes)


def test_too_few_other_plans_takes_more_transition_plans():
    years = [5] * 10 + [3] * 2
    plans = [PlanCandidate(i, f"R-{i:02d}", year, "Casework") for i, year in enumerate(years)]
    result = draw(plans, DrawParameters(size=11, seed=1, transition_share=0.1))
    # transition plans are 10 of 12, so at least ceil(10/12 × 11) = 10 of the 11, not 10%
    assert result.strata == {"other": 1, "transition_year": 10}


def test_asking_for_more_than_are_eligible_draws_them_all():
    plans = population(8)
    result = draw(plans, DrawParameters(size=50, seed=1, include_advice=False))
    assert len(result.plans) == 8
    assert "Only 8 plans are eligible" in result.notes[0]


@pytest.mark.parametrize(
    ("plans", "params", "message"),
    [
        ([], DrawParameters(size=5, seed=1), "No plans are eligible"),
        (None, DrawParameters(size=0, seed=1), "at least 1 plan"),
        (None, DrawParameters(size=5, seed=-1), "seed must be a whole number"),
        (None, DrawParameters(size=5, seed=2**31), "seed must be a whole number"),
        (None, DrawParameters(size=5, seed=1, transition_share=1.5), "between 0% and 100%"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(plans, params, message):
    with pytest.raises(SamplingError, match=message):
        draw(population(20) if plans is None else plans, params)


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(1, 60),
    size=st.integers(1, 40),
    seed=st.integers(0, 2**31 - 1),
    share=st.sampled_from([0.0, 0.25, 0.3, 0.5, 1.0]),
    minimum=st.integers(0, 3),
    data_seed=st.integers(0, 1000),
)
def test_every_draw_keeps_its_promises(count, size, seed, share, minimum, data_seed):
    plans = population(count, transition_every=3, rare_agency="Rare", seed=data_seed)
    params = DrawParameters(size=size, seed=seed, transition_share=share,
                            min_advice_per_agency=minimum)
    result = draw(plans, params)
    chosen = refs(result)
    assert len(set(chosen)) == len(chosen) and chosen == sorted(chosen)
    asked = min(size, count)
    assert len(chosen) >= asked
    assert len(chosen) == asked or any("beyond" in note for note in result.notes)
    assert result.strata.get("transition_year", 0) >= result.transition_target
    available: dict[str, int] = {}
    for plan in plans:
        for advice in plan.advice:
            available[advice.agency] = available.get(advice.agency, 0) + 1
    for agency, total in available.items():
        assert result.advice_by_agency.get(agency, 0) >= min(minimum, total)


# --- the draw against the register --------------------------------------------------------


def _register(app, count: int = 60) -> dict[str, int]:
    """Plans inserted in shuffled order (so ids do not follow refs), with received advice."""
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    agencies = {
        "health": make.on(app).agency("Community Paediatrics", "health"),
        "educational_psychology": make.on(app).agency("Educational Psychology Service",
                                                      "education"),
    }
    order = list(range(count))
    random.Random(99).shuffle(order)
    ids = {}
    for i in order:
        ref = f"EHCP-{i:03d}"
        plan = make.on(app).plan(casework.id, ref=ref, nc_year=(5, 9, 2, 7, 10)[i % 5])
        ids[ref] = plan.id
        advice_type = "health" if i % 2 else "educational_psychology"
        make.on(app).advice(plan.id, agencies[advice_type].id, advice_type=advice_type,
                            received=date(2025, 10, 20))
    return ids


def _cycle(app, name="Spring term 2026", start=date(2026, 1, 5), end=date(2026, 3, 27)) -> int:
    with app.app_context():
        cycle = Cycle(name=name, start_date=start, end_date=end, academic_year="2025/26")
        db.session.add(cycle)
        db.session.commit()
        return cycle.id


def _draw(app, cycle_id: int, **kwargs) -> list[tuple[str, str]]:
    from qa_app.audits.cycles.operations import draw_sample

    params = {"size": 12, "seed": 1234} | kwargs
    with app.app_context():
        draw_sample(db.session.get(Cycle, cycle_id), **params)
        db.session.commit()
        return _items(cycle_id)


def _items(cycle_id: int) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(func.coalesce(Plan.ref, Advice.ref), SampleItem.stratum)
        .select_from(SampleItem).join(Sample)
        .outerjoin(Plan, Plan.id == SampleItem.plan_id)
        .outerjoin(Advice, Advice.id == SampleItem.advice_id)
        .where(Sample.cycle_id == cycle_id)
    ).all()
    return sorted((ref, stratum) for ref, stratum in rows)


def _rubric(app) -> int:
    with app.app_context():
        version = RubricVersion(rubric_id="ehcp-plan", version="1", title="Plan standard",
                                applies_to="plan", content_hash="0" * 64, body={})
        db.session.add(version)
        db.session.commit()
        return version.id


def test_the_stored_sample_is_the_same_on_every_database(app):
    _register(app)
    cycle_id = _cycle(app)
    items = _draw(app, cycle_id, size=6, seed=20260105, transition_share=0.5)
    plans = [ref for ref, stratum in items if not stratum.startswith("advice:")]
    # Fixed by the seed and the refs alone: SQLite and PostgreSQL must both give this list.
    assert plans == ["EHCP-004", "EHCP-015", "EHCP-030", "EHCP-049", "EHCP-051", "EHCP-052"]
    transition = {ref for ref, stratum in items if stratum == "transition_year"}
    assert transition == {"EHCP-015", "EHCP-030", "EHCP-051"}  # ceil(0.5 × 6) = 3
    assert len(items) == 12  # each plan has one piece of received advice


def test_redraw_with_the_same_seed_is_identical_and_another_seed_differs(app):
    _register(app)
    cycle_id = _cycle(app)
    first = _draw(app, cycle_id, seed=555)
    assert _draw(app, cycle_id, seed=555) == first
    assert _draw(app, cycle_id, seed=556) != first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sample)) == 1


def test_parameters_and_strata_are_stored_with_the_sample(app):
    _register(app)
    cycle_id = _cycle(app)
    _draw(app, cycle_id, size=10, seed=77, transition_share=0.4, exclude_days=200)
    with app.app_context():
        sample = db.session.execute(select(Sample)).scalar_one()
        p = sample.parameters
        assert sample.seed == 77 and sample.size == 10
        assert p["seed"] == 77 and p["requested_size"] == 10 and p["transition_share"] == 0.4
        assert p["transition_years"] == [5, 9] and p["exclude_days"] == 200
        assert p["window_start"] == (date(2026, 1, 5) - timedelta(days=200)).isoformat()
        assert p["eligible_plans"] == 60 and p["transition_target"] == 4
        assert p["strata"]["transition_year"] >= 4
        assert sum(v for k, v in p["strata"].items() if not k.startswith("advice:")) == 10
        assert set(p["advice_by_agency"]) == {"Community Paediatrics",
                                              "Educational Psychology Service"}


def test_exclusion_window_skips_recently_audited_and_sampled_plans(app):
    ids = _register(app, count=20)
    version = _rubric(app)
    earlier = _cycle(app, "Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))
    cycle_id = _cycle(app)
    start = date(2026, 1, 5)
    with app.app_context():
        advice_of_5 = db.session.scalar(select(Advice.id).where(Advice.plan_id == ids["EHCP-005"]))
        db.session.add_all([
            FinalGrade(plan_id=ids["EHCP-001"], rubric_version_id=version, grade=3,
                       academic_year="2025/26", audit_date=start - timedelta(days=100),
                       good_or_better=True, method="imported"),
            FinalGrade(plan_id=ids["EHCP-002"], rubric_version_id=version, grade=3,
                       academic_year="2023/24", audit_date=start - timedelta(days=400),
                       good_or_better=True, method="imported"),
            Audit(plan_id=ids["EHCP-003"], rubric_version_id=version, status="submitted",
                  audit_date=start - timedelta(days=30)),
            Audit(plan_id=ids["EHCP-004"], rubric_version_id=version, status="draft",
                  audit_date=start - timedelta(days=30)),
            FinalGrade(advice_id=advice_of_5, rubric_version_id=version, grade=2,
                       academic_year="2025/26", audit_date=start - timedelta(days=10),
                       good_or_better=False, method="imported"),
            Sample(cycle_id=earlier, seed=1, size=1,
                   items=[SampleItem(plan_id=ids["EHCP-006"], stratum="other")]),
        ])
        db.session.commit()
    everything = [ref for ref, s in _draw(app, cycle_id, size=100, exclude_days=365)
                  if not s.startswith("advice:")]
    skipped = {"EHCP-001", "EHCP-003", "EHCP-005", "EHCP-006"}
    assert not skipped & set(everything)
    assert {"EHCP-002", "EHCP-004"} <= set(everything)  # too long ago; only a draft
    assert len(everything) == 16
    short_window = [ref for ref, s in _draw(app, cycle_id, size=100, exclude_days=20)
                    if not s.startswith("advice:")]
    assert "EHCP-001" in short_window and "EHCP-003" in short_window  # 100 and 30 days ago
    assert "EHCP-005" not in short_window  # 10 days ago
    assert "EHCP-006" not in short_window  # the autumn cycle ended 17 days before the start


def test_redraw_is_refused_once_the_cycle_has_audits_and_nothing_changes(app):
    _register(app)
    version = _rubric(app)
    cycle_id = _cycle(app)
    first = _draw(app, cycle_id, seed=10)
    with app.app_context():
        plan_id = db.session.scalar(select(SampleItem.plan_id).where(
            SampleItem.plan_id.is_not(None)).limit(1))
        db.session.add(Audit(cycle_id=cycle_id, plan_id=plan_id, rubric_version_id=version))
        db.session.commit()
    from qa_app.audits.errors import SampleError

    with pytest.raises(SampleError, match="already has audits"):
        _draw(app, cycle_id, seed=11)
    with app.app_context():
        db.session.rollback()
        assert _items(cycle_id) == first


def test_a_closed_cycle_cannot_be_drawn(app):
    _register(app, count=5)
    cycle_id = _cycle(app)
    with app.app_context():
        db.session.get(Cycle, cycle_id).status = "closed"
        db.session.commit()
    from qa_app.audits.errors import SampleError

    with pytest.raises(SampleError, match="is closed"):
        _draw(app, cycle_id)


def test_plans_requested_after_the_cycle_ends_are_not_eligible(app):
    ids = _register(app, count=6)
    cycle_id = _cycle(app)
    with app.app_context():
        late = db.session.get(Plan, ids["EHCP-000"])
        late.request_date, late.issue_date = date(2026, 4, 1), None
        unissued = db.session.get(Plan, ids["EHCP-001"])
        unissued.issue_date = None
        db.session.commit()
    drawn = {ref for ref, s in _draw(app, cycle_id, size=10) if not s.startswith("advice:")}
    assert "EHCP-000" not in drawn and "EHCP-001" in drawn
    issued = {ref for ref, s in _draw(app, cycle_id, size=10, issued_by_end=True)
              if not s.startswith("advice:")}
    assert "EHCP-001" not in issued
