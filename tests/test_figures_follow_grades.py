"""After any sequence of changes to final grades, the stored figures equal a plain-Python
recount, and a run stores new figures exactly when the recount changed.

Runs on whichever database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.extensions import db
from qa_app.register.models import Agency, Plan
from qa_app.reporting.models import (
    AggregationRun,
    AgreementSnapshot,
    ImprovementAction,
    RateSnapshot,
    RecalculationRequest,
)
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.queries import current_run
from qa_app.standards.models import RubricVersion
from tests.factories import aggregation as build

GRADE = st.integers(1, 4)
AS_OF = date(2026, 6, 1)
TABLES = [RateSnapshot, AgreementSnapshot, AggregationRun, ImprovementAction,
          RecalculationRequest, FinalCriterionGrade, FinalGrade, Plan, Cycle, RubricVersion,
          Agency]

start = st.lists(st.tuples(st.integers(0, 1), GRADE, GRADE, GRADE), min_size=1, max_size=8)
COUNTED = {"plans_good_or_better", "child_voice_good_or_better", "criterion_good_or_better",
           "grades_moderated"}
changes = st.lists(st.tuples(st.integers(0, 7), GRADE, GRADE, GRADE), min_size=1, max_size=6)


def recount(state: list[list[int]], agencies: list[int]) -> dict[tuple, tuple[int, int]]:
    """(measure, scope, breakdown, agency or None) -> (good, n), counted by hand."""
    out: dict[tuple, tuple[int, int]] = {}

    def add(agency: int, key: tuple, good: bool) -> None:
        for who in (key + (agencies[agency],), key + (None,)):
            have, n = out.get(who, (0, 0))
            out[who] = (have + good, n + 1)

    for agency, grade, voice, outcomes in state:
        good = grade >= 3 and voice >= 3
        for key, met in [(("plans_good_or_better", "all", ""), good),
                         (("plans_good_or_better", "annual_review", ""), good),
                         (("child_voice_good_or_better", "all", ""), voice >= 3),
                         (("child_voice_good_or_better", "all", "plan"), voice >= 3),
                         (("criterion_good_or_better", "plan", "child_voice"), voice >= 3),
                         (("criterion_good_or_better", "plan", "outcomes"), outcomes >= 3),
                         (("grades_moderated", "all", ""), False),
                         (("grades_moderated", "plan", ""), False)]:
            add(agency, key, met)
    return out


def figures_of(cycle_id: int) -> tuple[dict[tuple, tuple[int, int]], str]:
    run = current_run("cycle", str(cycle_id))
    assert run is not None
    rows = db.session.scalars(select(RateSnapshot).where(RateSnapshot.run_id == run.id))
    return ({(r.measure, r.scope, r.breakdown, r.agency_id): (r.good, r.n) for r in rows
             if r.measure in COUNTED},
            run.inputs_hash)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=start, steps=changes)
def test_stored_figures_follow_every_change_to_final_grades(app, first, steps):
    with app.app_context():
        try:
            for model in TABLES:
                db.session.execute(delete(model))
            agencies = [build.agency(f"Agency {i}").id for i in range(2)]
            rubric = build.rubric().id
            cycle = build.cycle("Autumn 2025", date(2025, 9, 1), date(2025, 12, 19)).id
            ids = []
            for agency, grade, voice, outcomes in first:
                plan = build.plan(agencies[agency]).id
                ids.append(build.final_grade(rubric, grade, cycle_id=cycle, plan_id=plan,
                                             criteria={"child_voice": voice,
                                                       "outcomes": outcomes}).id)
            db.session.commit()
            state = [list(item) for item in first]
            run_aggregation("cycle", str(cycle), as_of=AS_OF)
            db.session.commit()
            figures, digest = figures_of(cycle)
            assert figures == recount(state, agencies)
            for index, grade, voice, outcomes in steps:
                index %= len(ids)
                before = recount(state, agencies)
                row = db.session.get(FinalGrade, ids[index])
                row.grade, row.good_or_better = grade, grade >= 3
                for criterion in row.criteria:
                    value = voice if criterion.criterion_id == "child_voice" else outcomes
                    criterion.grade, criterion.good_or_better = value, value >= 3
                db.session.commit()
                state[index][1:] = [grade, voice, outcomes]
                result = run_aggregation("cycle", str(cycle), as_of=AS_OF)
                db.session.commit()
                figures, new_digest = figures_of(cycle)
                expected = recount(state, agencies)
                assert figures == expected
                assert (new_digest != digest) == (expected != before)
                assert result["periods"][0]["status"] in (
                    ("new", "restored") if expected != before else ("unchanged",))
                digest = new_digest
        finally:
            db.session.rollback()

