"""The aggregation SQL: every rate is a GROUP BY in the database, over all periods at once.

Each query groups by agency (the plan's owning agency; the advice's agency) and by the
cycle and academic year of the final grades, or by period for register dates, so one
statement serves every agency of every period, cycles and academic years alike. The
partnership's figures are the sums of the agencies' groups. A run's inputs hash is a
SHA-256 of the figures these queries return (see reporting/operations.py), so two runs
share a hash exactly when they would show the same figures.

A plan or advice is good or better only when its final grade is good or better AND its
child-voice criterion, where graded, is good or better: child voice is limiting.

The same two passes over the final grades also count how many grades the panel chair had
to moderate (measure MODERATED: "good" holds the moderated count), so the dashboard reads
moderation from the snapshots like every other figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    String,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.sampling import REAUDIT
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.reaudit.models import ReauditMark
from qa_app.register.models import Advice, Plan
from qa_app.reporting import weighting
from qa_app.reporting.agreement import rank_tables
from qa_app.reporting.figures import Context, Figures
from qa_app.standards.models import RubricVersion

MEASURES_VERSION = "2026.7"
"""Part of every inputs hash: raise it when a definition here changes, so figures are redone."""

PLANS = "plans_good_or_better"
ADVICE = "advice_good_or_better"
ASSURED = "advice_assured_good_or_better"
ON_TIME = "advice_on_time"
CHILD_VOICE = "child_voice_good_or_better"
ISSUED = "plans_issued_in_20_weeks"
CRITERION = "criterion_good_or_better"
CHILD_VOICE_CRITERION = "child_voice"
ASSURANCE = "assured_advice_confirmed"
AGREEMENT = "agreement"
MODERATED = "grades_moderated"
EXCLUDING_EXCEPTIONS = "excluding_exceptions"
REAUDITED = "reaudited_good_or_better"



class days_between(FunctionElement[int]):  # reads as an SQL function
    """Whole days from the second date to the first."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"({later} - {earlier})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(flag(condition))




def _graded_in(ctx: Context) -> ColumnElement[bool]:
    """Final grades in any of the periods: by the cycle graded in, or by academic year;
    never a re-audit place, which sits beside the random sample (see REAUDITED)."""
    return and_(_in_periods(ctx), ~_reaudit_place())


def _in_periods(ctx: Context) -> ColumnElement[bool]:
    conditions = []
    if ctx.cycle_ids:
        conditions.append(FinalGrade.cycle_id.in_(sorted(ctx.cycle_ids)))
    if ctx.years:
        conditions.append(FinalGrade.academic_year.in_(sorted(ctx.years)))
    return or_(false(), *conditions)


def _reaudit_place() -> ColumnElement[bool]:
    """The grade's subject was added to its cycle's sample as a re-audit place."""
    return exists().where(
        Sample.cycle_id == FinalGrade.cycle_id, SampleItem.sample_id == Sample.id,
        SampleItem.stratum == REAUDIT,
        or_(SampleItem.plan_id == FinalGrade.plan_id, SampleItem.advice_id == FinalGrade.advice_id))


IS_PLAN = FinalGrade.plan_id.is_not(None)
"""Plan or advice, grouped on as a true/false value: PostgreSQL knows a boolean has two values
and plans a parallel hash aggregate, where a CASE giving 'plan' or 'advice' made it guess a
thousand times too many groups and sort 1.5 million criterion grades (3x slower)."""


def subject_kind(is_plan: bool) -> str:
    return "plan" if is_plan else "advice"


def reaudited_good_or_better(conn: Connection, ctx: Context) -> Figures:
    """Work marked for re-audit, amended and graded again in the cycle whose sample took it:
    how much is now good or better (child voice limiting), by the agency recorded with the
    new grade; scope "plan" or "advice" apart, and "all"."""
    cv, cv_joined, good = _child_voice()
    same = or_(ReauditMark.plan_id == FinalGrade.plan_id,
               ReauditMark.advice_id == FinalGrade.advice_id)
    keys = (FinalGrade.cycle_id, FinalGrade.academic_year, FinalGrade.agency_id, IS_PLAN)
    rows = conn.execute(
        select(*keys, func.count(), total(good))
        .select_from(FinalGrade)
        .join(ReauditMark, and_(ReauditMark.included_cycle_id == FinalGrade.cycle_id, same))
        .outerjoin(cv, cv_joined)
        .where(_in_periods(ctx))
        .group_by(*keys)
    ).all()
    figures = Figures()
    for cycle_id, year, agency_id, is_plan, n, met in rows:
        for key in ctx.keys_for(cycle_id, year):
            for scope in ("all", subject_kind(is_plan)):
                figures.add(key, REAUDITED, scope, "", agency_id, n, met)
    return figures


def _date_periods(ctx: Context) -> Any:
    """The periods as a small table of (key, first day, last day) for register dates."""
    rows = [
        select(
            literal(p.key, String).label("key"),
            literal(p.start, Date).label("first_day"),
            literal(p.end, Date).label("last_day"),
        )
        for p in ctx.periods
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("periods")


def _child_voice() -> tuple[Any, ColumnElement[bool], ColumnElement[bool]]:
    """The limiting join: (alias, join condition, effective good-or-better condition)."""
    cv = aliased(FinalCriterionGrade, name="cv")
    joined = and_(cv.final_grade_id == FinalGrade.id, cv.criterion_id == CHILD_VOICE_CRITERION)
    good = and_(FinalGrade.good_or_better == true(),
                or_(cv.id.is_(None), cv.good_or_better == true()))
    return cv, joined, good


def _moderated() -> ColumnElement[bool]:
    return FinalGrade.method == "moderated"


def plans_good_or_better(conn: Connection, ctx: Context) -> Figures:
    """Final-graded plans: all, transition years (NC year), new and annual review, by the
    agency, year group and kind recorded with each final grade."""
    cv, cv_joined, good = _child_voice()
    transition = FinalGrade.nc_year.in_(ctx.transition_years)
    new = FinalGrade.plan_kind == "new"
    annual = FinalGrade.plan_kind == "annual_review"
    scopes = {"all": true(), "transition_years": transition, "new": new, "annual_review": annual}
    columns = []
    for condition in scopes.values():
        columns += [total(condition), total(and_(condition, good))]
    rows = conn.execute(
        select(
            FinalGrade.cycle_id, FinalGrade.academic_year, FinalGrade.agency_id, *columns,
            total(_moderated()),
        )
        .select_from(FinalGrade)
        .outerjoin(cv, cv_joined)
        .where(_graded_in(ctx), FinalGrade.plan_id.is_not(None))
        .group_by(FinalGrade.cycle_id, FinalGrade.academic_year, FinalGrade.agency_id)
    ).all()
    figures = Figures()
    for cycle_id, year, agency_id, *values, moderated in rows:
        for key in ctx.keys_for(cycle_id, year):
            for index, scope in enumerate(scopes):
                figures.add(key, PLANS, scope, "", agency_id, *values[2 * index: 2 * index + 2])
            for scope in ("all", "plan"):
                figures.add(key, MODERATED, scope, "", agency_id, values[0], moderated)
    return figures


def advice_good_or_better(conn: Connection, ctx: Context) -> Figures:
    """Final-graded advice by type; how much of it the providing agency had assured as good or
    better (the partnership wants all of it); and how far the agency's own grade stood up:
    of the advice it assured as good or better, how much the panel found so (ASSURANCE), and
    how often the two agree either way (breakdown "agreement", over the advice it assured)."""
    cv, cv_joined, good = _child_voice()
    threshold = RubricVersion.body["good_or_better"].as_integer()
    assured = FinalGrade.assured_grade.is_not(None)
    assured_good = and_(assured, FinalGrade.assured_grade >= threshold)
    assured_below = and_(assured, FinalGrade.assured_grade < threshold)
    agrees = or_(and_(assured_good, good), and_(assured_below, ~good))
    rows = conn.execute(
        select(
            FinalGrade.cycle_id, FinalGrade.academic_year, FinalGrade.agency_id,
            FinalGrade.advice_type, func.count(), total(good), total(assured), total(agrees),
            total(assured_good), total(and_(assured_good, good)), total(_moderated()),
        )
        .select_from(FinalGrade)
        .join(RubricVersion, RubricVersion.id == FinalGrade.rubric_version_id)
        .outerjoin(cv, cv_joined)
        .where(_graded_in(ctx), FinalGrade.advice_id.is_not(None))
        .group_by(FinalGrade.cycle_id, FinalGrade.academic_year, FinalGrade.agency_id,
                  FinalGrade.advice_type)
    ).all()
    figures = Figures()
    for (cycle_id, year, agency_id, kind, n, met, n_assured, agreed, n_good, confirmed,
         moderated) in rows:
        for key in ctx.keys_for(cycle_id, year):
            figures.add(key, ADVICE, f"advice_type:{kind}", "", agency_id, n, met)
            figures.add(key, ADVICE, "all", "", agency_id, n, met)
            figures.add(key, ASSURED, "all", "", agency_id, n, n_good)
            figures.add(key, ASSURANCE, "all", "", agency_id, n_good, confirmed)
            figures.add(key, ASSURANCE, "all", AGREEMENT, agency_id, n_assured, agreed)
            for scope in ("all", "advice"):
                figures.add(key, MODERATED, scope, "", agency_id, n, moderated)
    return figures


def criterion_rates(conn: Connection, ctx: Context) -> Figures:
    """Every criterion's final grades, for plans and advice apart (scope "plan" or
    "advice"); the child-voice measure is the child_voice criterion's rows. One pass over
    the criterion grades, joined to their final grades' recorded agencies."""
    fcg = FinalCriterionGrade
    keys = (FinalGrade.cycle_id, FinalGrade.academic_year, IS_PLAN, FinalGrade.agency_id,
            fcg.criterion_id)
    rows = conn.execute(
        select(*keys, func.count(), total(fcg.good_or_better == true()))
        .select_from(fcg)
        .join(FinalGrade, FinalGrade.id == fcg.final_grade_id)
        .where(_graded_in(ctx))
        .group_by(*keys)
    ).all()
    figures = Figures()
    for cycle_id, year, is_plan, agency_id, criterion_id, n, met in rows:
        subject = subject_kind(is_plan)
        for key in ctx.keys_for(cycle_id, year):
            figures.add(key, CRITERION, subject, criterion_id, agency_id, n, met)
            if criterion_id == CHILD_VOICE_CRITERION:
                figures.add(key, CHILD_VOICE, "all", subject, agency_id, n, met)
                figures.add(key, CHILD_VOICE, "all", "", agency_id, n, met)
    return figures


def advice_on_time(conn: Connection, ctx: Context) -> Figures:
    """Register advice due in the period: on time when received by its due date; late when
    received after it, or still missing once it is past. Advice with a statutory exception
    is counted apart (excluded), never as late; advice not yet due is not counted."""
    periods = _date_periods(ctx)
    no_exception = Advice.exception.is_(None)
    received = Advice.received_date.is_not(None)
    overdue = Advice.due_date < ctx.as_of
    counted = and_(no_exception, or_(received, overdue))
    on_time = and_(no_exception, received, Advice.received_date <= Advice.due_date)
    rows = conn.execute(
        select(
            periods.c.key, Advice.agency_id, total(counted), total(on_time), total(~no_exception),
        )
        .select_from(Advice)
        .join(periods, Advice.due_date.between(periods.c.first_day, periods.c.last_day))
        .group_by(periods.c.key, Advice.agency_id)
    ).all()
    figures = Figures()
    for key, agency_id, n, met, excepted in rows:
        figures.add(key, ON_TIME, "all", "", agency_id, n, met, excepted)
    return figures


def plans_issued_in_time(conn: Connection, ctx: Context) -> Figures:
    """New plans issued in the period within the assessment deadline of their request, read
    from the needs-assessment dates and owning agency recorded when each came in as a new
    plan (a later annual-review row or a change of owner changes nothing here); plans with
    no request date cannot be judged and are excluded. Scope "all" counts plans with a
    statutory exception like the rest (national statistics' "including exceptions");
    EXCLUDING_EXCEPTIONS leaves them out."""
    periods = _date_periods(ctx)
    requested, issued = Plan.assessment_request_date, Plan.assessment_issue_date
    known = requested.is_not(None)
    in_time = and_(known, days_between(issued, requested) <= ctx.assessment_days)
    plain = and_(known, Plan.exception.is_(None))
    owner = func.coalesce(Plan.assessment_agency_id, Plan.agency_id)
    rows = conn.execute(
        select(
            periods.c.key, owner, total(known), total(in_time), total(~known),
            total(plain), total(and_(plain, in_time)), total(~plain),
        )
        .select_from(Plan)
        .join(periods, issued.between(periods.c.first_day, periods.c.last_day))
        .where(Plan.assessed_as_new == true())
        .group_by(periods.c.key, owner)
    ).all()
    figures = Figures()
    for key, agency_id, n, met, unknown, n_plain, met_plain, left_out in rows:
        figures.add(key, ISSUED, "all", "", agency_id, n, met, unknown)
        figures.add(key, ISSUED, EXCLUDING_EXCEPTIONS, "", agency_id, n_plain, met_plain,
                    left_out)
    return figures


def inter_rater_agreement(conn: Connection, ctx: Context) -> Figures:
    """Per period and criterion, over subjects with exactly two submitted panel audits in a
    cycle: the pairs of grades both auditors gave (not-applicable grades are left out),
    counted per pair of grades and turned into ranks on the rubric's scale; computed
    criteria are dropped (see reporting/agreement.py). A cycle's pairs count in that cycle
    and in its academic year, so the year's kappa and AC1 cover every cycle of the year."""
    figures = Figures()
    counted = [Cycle.id.in_(sorted(ctx.cycle_ids))] if ctx.cycle_ids else []
    counted += [Cycle.academic_year.in_(sorted(ctx.years))] if ctx.years else []
    if not counted:
        return figures
    pairs = (
        select(Audit.cycle_id, func.min(Audit.id).label("first"),
               func.max(Audit.id).label("second"))
        .where(Audit.cycle_id.in_(select(Cycle.id).where(or_(*counted))),
               Audit.status == "submitted", Audit.source == "panel")
        .group_by(Audit.cycle_id, Audit.plan_id, Audit.advice_id)
        .having(func.count() == 2)
        .subquery("pairs")
    )
    first, second = aliased(AuditScore, name="s1"), aliased(AuditScore, name="s2")
    one, two = first.grade, second.grade
    with _hash_joins(conn):
        rows = _agreement_rows(conn, pairs, first, second, one, two)
    versions = sorted({row[3] for row in rows})
    bodies = dict(conn.execute(  # type: ignore[arg-type]
        select(RubricVersion.id, RubricVersion.body).where(RubricVersion.id.in_(versions))
    ).all()) if versions else {}
    by_period = [(key, *rest) for cycle_id, year, *rest in rows
                 for key in ctx.keys_for(cycle_id, year)]
    figures.agreement.extend(rank_tables(by_period, bodies))
    return figures


@contextmanager
def _hash_joins(conn: Connection) -> Iterator[None]:
    """PostgreSQL cannot foresee how many subjects have exactly two audits (the HAVING:
    it guesses under a hundred where there are tens of thousands) and would pick index nested
    loops, several times slower at national scale, then sort the pairs' grades on disk to
    count them, where hashing takes two thirds of the time."""
    postgres = conn.dialect.name == "postgresql" and conn.in_transaction()
    if postgres:
        conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
    try:
        yield
    finally:
        if postgres:
            conn.exec_driver_sql("SET LOCAL enable_nestloop = on")
            conn.exec_driver_sql("SET LOCAL enable_sort = on")


def _agreement_rows(conn: Connection, pairs: Any, first: Any, second: Any, one: Any,
                    two: Any) -> list[Any]:
    return conn.execute(
        select(
            pairs.c.cycle_id, Cycle.academic_year, RubricVersion.rubric_id, RubricVersion.id,
            first.criterion_id, one, two, func.count(),
        )
        .select_from(pairs)
        .join(Cycle, Cycle.id == pairs.c.cycle_id)
        .join(Audit, Audit.id == pairs.c.first)
        .join(RubricVersion, RubricVersion.id == Audit.rubric_version_id)
        .join(first, first.audit_id == pairs.c.first)
        .join(second, and_(second.audit_id == pairs.c.second,
                           second.criterion_id == first.criterion_id))
        .where(one.is_not(None), two.is_not(None))
        .group_by(pairs.c.cycle_id, Cycle.academic_year, RubricVersion.rubric_id,
                  RubricVersion.id, first.criterion_id, one, two)
    ).all()


Step = Callable[[Connection, Context], Figures]
STEPS: tuple[tuple[str, Step], ...] = (
    ("plans good or better", plans_good_or_better),
    ("advice good or better and assured grades", advice_good_or_better),
    ("criterion and child-voice rates", criterion_rates),
    ("advice on time", advice_on_time),
    ("new plans issued in time", plans_issued_in_time),
    ("inter-rater agreement", inter_rater_agreement),
    ("stratum-weighted plans rate", weighting.plan_estimates),
    ("re-audited work now good or better", reaudited_good_or_better),
)


def compute(
    conn: Connection, ctx: Context, after_step: Callable[[int, str], None] | None = None
) -> Figures:
    """Every measure for every period in `ctx`; `after_step(done, name)` reports progress."""
    figures = Figures()
    for done, (name, step) in enumerate(STEPS, start=1):
        figures.extend(step(conn, ctx))
        if after_step:
            after_step(done, name)
    return figures
