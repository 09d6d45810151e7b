"""On random partnerships, the SQL figures equal a plain-Python count of the same rows.

Runs on whichever database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, Plan
from qa_app.reporting import measures as m
from qa_app.reporting.operations import current_targets, read_figures
from qa_app.reporting.periods import Period, cycle_period, year_period
from qa_app.standards.models import RubricVersion
from tests.factories import aggregation as build

CYCLES = [("Autumn 2025", date(2025, 9, 1), date(2025, 12, 19)),
          ("Spring 2026", date(2026, 1, 5), date(2026, 3, 27)),
          ("Autumn 2026", date(2026, 9, 1), date(2026, 12, 18))]
YEARS = ["2025/26", "2026/27"]
CRITERIA = ["child_voice", "outcomes", "needs"]
DAY = st.dates(date(2025, 6, 1), date(2026, 12, 31))
GRADE = st.integers(1, 4)

subject_grades = st.lists(
    st.fixed_dictionaries({
        "cycle": st.sampled_from([0, 1, 2, None]),
        "year": st.sampled_from(YEARS),
        "grade": GRADE,
        "good": st.one_of(st.none(), st.booleans()),
        "method": st.sampled_from(["agreed", "moderated", "imported"]),
        "criteria": st.dictionaries(st.sampled_from(CRITERIA), GRADE, max_size=3),
    }),
    max_size=2, unique_by=lambda g: g["cycle"],
)
audits = st.lists(
    st.fixed_dictionaries({
        "cycle": st.sampled_from([0, 0, 1]),
        "status": st.sampled_from(["submitted", "submitted", "submitted", "draft"]),
        "source": st.sampled_from(["panel", "panel", "panel", "import"]),
        "scores": st.dictionaries(st.sampled_from(CRITERIA), st.one_of(st.none(), GRADE)),
    }),
    max_size=3,
)
plans = st.lists(
    st.fixed_dictionaries({
        "agency": st.integers(0, 2),
        "nc_year": st.sampled_from([-1, 2, 5, 9, 11, 14]),
        "kind": st.sampled_from(["new", "annual_review"]),
        "requested": st.one_of(st.none(), DAY),
        "issued_after": st.one_of(st.none(), st.sampled_from([140, 141]), st.integers(0, 200)),
        "exception": st.sampled_from([None, None, "school_closure"]),
        "grades": subject_grades,
        "audits": audits,
    }),
    max_size=7,
)
advice = st.lists(
    st.fixed_dictionaries({
        "agency": st.integers(0, 2),
        "type": st.sampled_from(["health", "social_care", "educational_psychology"]),
        "requested": DAY,
        "due_after": st.sampled_from([42, 42, 0, 60]),
        "received_after": st.one_of(st.none(), st.sampled_from([0, 42, 43]), st.integers(0, 80)),
        "exception": st.sampled_from([None, None, None, "missed_appointment"]),
        "agency_grade": st.one_of(st.none(), GRADE),
        "grades": subject_grades,
        "audits": audits,
    }),
    max_size=7,
)
TABLES = [AuditScore, Audit, FinalCriterionGrade, FinalGrade, Advice, Plan, Cycle, RubricVersion,
          Agency]


def load(spec: dict[str, Any]) -> None:
    for model in TABLES:
        db.session.execute(delete(model))
    agencies = [build.agency(f"Agency {i}").id for i in range(3)]
    plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice", 2).id
    cycles = [build.cycle(*c).id for c in CYCLES]

    def grade_and_audit(rubric: int, subject: dict[str, int], item: dict[str, Any]) -> None:
        for g in item["grades"]:
            cycle = cycles[g["cycle"]] if g["cycle"] is not None else None
            year = CYCLES[g["cycle"]][1].year if g["cycle"] is not None else None
            build.final_grade(rubric, g["grade"], cycle_id=cycle, good=g["good"],
                              year=f"{year}/{(year + 1) % 100:02d}" if year else g["year"],
                              criteria=g["criteria"], method=g["method"], **subject)
        for a in item["audits"]:
            build.panel_audit(rubric, cycles[a["cycle"]], a["scores"], status=a["status"],
                              source=a["source"], **subject)

    plan_ids = []
    for p in spec["plans"]:
        issued = None
        if p["issued_after"] is not None:
            issued = (p["requested"] or date(2025, 9, 1)) + timedelta(days=p["issued_after"])
        plan_id = build.plan(agencies[p["agency"]], nc_year=p["nc_year"], kind=p["kind"],
                             requested=p["requested"], issued=issued, exception=p["exception"]).id
        plan_ids.append(plan_id)
        grade_and_audit(plan_rubric, {"plan_id": plan_id}, p)
    for a in spec["advice"] if plan_ids else []:
        received = a["received_after"]
        advice_id = build.advice(
            plan_ids[0], agencies[a["agency"]], advice_type=a["type"], requested=a["requested"],
            due=a["requested"] + timedelta(days=a["due_after"]),
            received=None if received is None else a["requested"] + timedelta(days=received),
            exception=a["exception"], agency_grade=a["agency_grade"]).id
        grade_and_audit(advice_rubric, {"advice_id": advice_id}, a)
    db.session.flush()


def reference(periods: list[Period], as_of: date, transition: tuple[int, ...],
              days: int) -> dict[tuple, tuple[int, int, int]]:
    """Count every cell by walking the rows one at a time."""
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(period: Period, measure: str, scope: str, breakdown: str, agency: int,
            n: int, good: bool, excluded: int = 0) -> None:
        for who in (agency, None):
            cell = cells[(period.key, measure, scope, breakdown, who)]
            cell[0] += n
            cell[1] += int(good and n > 0)
            cell[2] += excluded

    threshold = {r.id: r.body["good_or_better"] for r in db.session.scalars(select(RubricVersion))}
    grades = db.session.scalars(select(FinalGrade).options(
        selectinload(FinalGrade.criteria), selectinload(FinalGrade.plan),
        selectinload(FinalGrade.advice))).all()
    for period in periods:
        for fg in grades:
            if (fg.cycle_id != period.cycle_id if period.cycle_id else
                    fg.academic_year != period.key):
                continue
            voice = next((c for c in fg.criteria if c.criterion_id == "child_voice"), None)
            good = fg.good_or_better and (voice is None or voice.good_or_better)
            moderated = fg.method == "moderated"
            if fg.plan is not None:
                kind, agency = "plan", fg.plan.agency_id
                scopes = ["all", fg.plan.plan_kind]
                scopes += ["transition_years"] if fg.plan.nc_year in transition else []
                for scope in scopes:
                    add(period, m.PLANS, scope, "", agency, 1, good)
            else:
                kind, agency, item = "advice", fg.advice.agency_id, fg.advice
                add(period, m.ADVICE, "all", "", agency, 1, good)
                add(period, m.ADVICE, f"advice_type:{item.advice_type}", "", agency, 1, good)
                assured = (item.agency_grade is not None
                           and item.agency_grade >= threshold[fg.rubric_version_id])
                add(period, m.ASSURED, "all", "", agency, 1, assured)
                if item.agency_grade is not None:
                    add(period, m.ASSURANCE, "all", m.AGREEMENT, agency, 1, assured == good)
                    if assured:
                        add(period, m.ASSURANCE, "all", "", agency, 1, good)
            add(period, m.MODERATED, "all", "", agency, 1, moderated)
            add(period, m.MODERATED, kind, "", agency, 1, moderated)
            for c in fg.criteria:
                add(period, m.CRITERION, kind, c.criterion_id, agency, 1, c.good_or_better)
            if voice is not None:
                add(period, m.CHILD_VOICE, "all", kind, agency, 1, voice.good_or_better)
                add(period, m.CHILD_VOICE, "all", "", agency, 1, voice.good_or_better)
        for a in db.session.scalars(select(Advice)):
            if not period.start <= a.due_date <= period.end:
                continue
            if a.exception:
                add(period, m.ON_TIME, "all", "", a.agency_id, 0, False, 1)
            elif a.received_date is not None or a.due_date < as_of:
                on_time = a.received_date is not None and a.received_date <= a.due_date
                add(period, m.ON_TIME, "all", "", a.agency_id, 1, on_time)
        for p in db.session.scalars(select(Plan)):
            if p.plan_kind != "new" or p.issue_date is None:
                continue
            if not period.start <= p.issue_date <= period.end:
                continue
            if p.request_date is None:
                add(period, m.ISSUED, "all", "", p.agency_id, 0, False, 1)
            else:
                add(period, m.ISSUED, "all", "", p.agency_id, 1,
                    (p.issue_date - p.request_date).days <= days)
            if p.request_date is None or p.exception:
                add(period, m.ISSUED, m.EXCLUDING_EXCEPTIONS, "", p.agency_id, 0, False, 1)
            else:
                add(period, m.ISSUED, m.EXCLUDING_EXCEPTIONS, "", p.agency_id, 1,
                    (p.issue_date - p.request_date).days <= days)
    return {k: tuple(v) for k, v in cells.items() if v[0] or v[2]}


def reference_agreement(periods: list[Period]) -> dict[tuple, tuple[int, ...]]:
    rubric_of = {r.id: r.rubric_id for r in db.session.scalars(select(RubricVersion))}
    subjects: dict[tuple, list[Audit]] = defaultdict(list)
    years = {p.key for p in periods if p.kind == "academic_year"}
    cycles: dict[int, list[str]] = defaultdict(list)  # a cycle's pairs count in its year too
    for p in periods:
        if p.cycle_id:
            cycles[p.cycle_id].append(p.key)
    for cycle in db.session.scalars(select(Cycle)):
        if cycle.academic_year in years:
            cycles[cycle.id].append(cycle.academic_year)
    for audit in db.session.scalars(select(Audit).options(selectinload(Audit.scores))):
        if audit.cycle_id in cycles and audit.status == "submitted" and audit.source == "panel":
            subjects[(audit.cycle_id, audit.plan_id, audit.advice_id)].append(audit)
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * 7)
    for (cycle_id, _, _), pair in subjects.items():
        if len(pair) != 2:
            continue
        first, second = sorted(pair, key=lambda a: a.id)
        theirs = {s.criterion_id: s.grade for s in second.scores}
        for score in first.scores:
            one, two = score.grade, theirs.get(score.criterion_id)
            if one is None or two is None:
                continue
            for key in cycles[cycle_id]:
                cell = sums[(key, rubric_of[first.rubric_version_id], score.criterion_id)]
                for i, value in enumerate((1, one == two, one, two, one * one, two * two,
                                           (one - two) ** 2)):
                    cell[i] += int(value)
    return {k: tuple(v) for k, v in sums.items()}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=st.fixed_dictionaries({"plans": plans, "advice": advice}),
       as_of=st.dates(date(2025, 10, 1), date(2027, 1, 31)))
def test_sql_figures_equal_a_plain_python_count(app, spec, as_of):
    with app.app_context():
        try:
            load(spec)
            db.session.commit()
            targets = current_targets()
            cycles = db.session.scalars(select(Cycle).order_by(Cycle.start_date)).all()
            periods = [cycle_period(c) for c in cycles] + [year_period(y) for y in YEARS]
            figures, _ = read_figures(periods, targets, as_of)
            got: dict[tuple, tuple[int, int, int]] = {}
            for c in figures.counts:
                key = (c.period_key, c.measure, c.scope, c.breakdown, c.agency_id)
                assert key not in got, f"{key} counted twice"
                if c.n or c.excluded:
                    got[key] = (c.n, c.good, c.excluded)
            expected = reference(periods, as_of, targets.transition_years,
                                 7 * targets.assessment_deadline_weeks)
            assert got == expected
            agreement = {(a.period_key, a.rubric_id, a.criterion_id):
                         (a.pairs, a.agreed, a.sum_first, a.sum_second, a.squares_first,
                          a.squares_second, a.squared_differences) for a in figures.agreement}
            assert agreement == reference_agreement(periods)
        finally:
            db.session.rollback()
