"""Assembling a board report from the cycle's stored figures, the previous cycle's, the
agencies' commentary and the improvement actions.

The headline is every measure with a partnership-wide figure for the cycle; the exceptions
are only the agencies' measures that are below target or fell by at least the targets file's
amber margin since the previous cycle (both judged on at least `min_n` records).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.auth.models import User
from qa_app.board.document import (
    ActionGroup,
    ActionItem,
    ExceptionRow,
    HeadlineRow,
    ReportContent,
    SurveyFigure,
    Voices,
)
from qa_app.board.models import BoardReport, CommentaryRequest
from qa_app.extensions import db
from qa_app.letters.content import letterhead, previous_cycle
from qa_app.letters.document import long_date
from qa_app.register.models import Agency
from qa_app.reporting import labels
from qa_app.reporting import measures as m
from qa_app.reporting.models import AggregationRun, ImprovementAction
from qa_app.reporting.operations import AggregationError, current_targets
from qa_app.reporting.periods import CYCLE
from qa_app.reporting.queries import Rate, current_run, in_display_order, rates
from qa_app.reporting.recalculation import pending_since
from qa_app.standards.targets import Targets
from qa_app.surveys import figures as survey_figures
from qa_app.surveys import queries as survey_queries
from qa_app.surveys.figures import Share
from qa_app.timeutil import format_datetime

LEFT_OUT = frozenset({m.CRITERION})
"""Criterion rates are the detail behind the measures: the letters report them per agency."""

Key = tuple[str, str, int | None]


@dataclass(frozen=True)
class Rules:
    min_n: int
    worse_points: float


def rules() -> Rules:
    try:
        targets = current_targets()
    except AggregationError:
        targets = Targets(version="", targets=())
    return Rules(targets.min_n, targets.amber_margin_points)


def value(rate: Rate) -> Fraction | None:
    """The figure a rate is shown as: the weighted estimate where there is one."""
    if rate.weighted_rate is not None:
        return Fraction(repr(rate.weighted_rate))
    return labels.exact_percent(rate.good, rate.n)


def rate_text(rate: Rate) -> str:
    shown = labels.percent_text(value(rate), rate.target)
    return f"{shown} (weighted)" if rate.weighted else shown


def judged(rate: Rate | None, min_n: int) -> bool:
    return rate is not None and rate.n >= min_n and value(rate) is not None


def change_points(now: Rate, before: Rate | None, min_n: int) -> Fraction | None:
    """Percentage points from the previous cycle to this one; None where either is not judged
    on enough records."""
    if not (judged(now, min_n) and judged(before, min_n)):
        return None
    assert before is not None
    return value(now) - value(before)  # type: ignore[operator]


def trend_text(now: Rate, before: Rate | None, previous_name: str | None, min_n: int) -> str:
    if previous_name is None:
        return "No earlier cycle to compare with"
    if before is None or value(before) is None:
        return f"No figure for {previous_name}"
    was = labels.percent_text(value(before), before.target)
    points = change_points(now, before, min_n)
    if points is None:
        return f"Not compared: too few records ({previous_name}: {was}, {before.n} counted)"
    size = labels.percent_text(abs(points)).removesuffix("%")
    if points > 0:
        return f"Up {size} points from {was} in {previous_name}"
    if points < 0:
        return f"Down {size} points from {was} in {previous_name}"
    return f"No change from {was} in {previous_name}"


def status_of(rate: Rate) -> tuple[str, str]:
    key = labels.status(rate.rag, rate.target)
    return key, labels.STATUS_WORDS[key]


def main_rows(rows: Iterable[Rate]) -> list[Rate]:
    return [r for r in rows if not r.breakdown and r.measure not in LEFT_OUT]


def headline(now: list[Rate], before: dict[Key, Rate], previous_name: str | None,
             rule: Rules) -> tuple[HeadlineRow, ...]:
    rows = []
    shown = [r for r in now if r.agency_id is None and (r.scope == "all" or r.target is not None)]
    for rate in in_display_order(shown):
        key, words = status_of(rate)
        rows.append(HeadlineRow(
            title=labels.describe(rate.measure, rate.scope), counted=rate.n, met=rate.good,
            rate_text=rate_text(rate) if rate.n else "Nothing counted",
            target_text="None" if rate.target is None else labels.percent_text(rate.target),
            status_key=key, status_text=words,
            trend_text=trend_text(rate, before.get((rate.measure, rate.scope, None)),
                                  previous_name, rule.min_n),
            too_few=rate.n < rule.min_n, weighted=rate.weighted))
    return tuple(rows)


def is_worse(rate: Rate, before: Rate | None, rule: Rules) -> bool:
    points = change_points(rate, before, rule.min_n)
    return points is not None and points <= -Fraction(repr(rule.worse_points))


def exceptions(now: list[Rate], before: dict[Key, Rate], previous_name: str | None,
               rule: Rules, commentary: dict[Key, CommentaryRequest]) -> tuple[ExceptionRow, ...]:
    """Agencies' measures with a target that are below it, or fell by at least the margin."""
    found = []
    agency_rows = [r for r in now if r.agency_id is not None and r.target is not None]
    for rate in sorted(agency_rows, key=lambda r: ((r.agency or "").casefold(),
                                                   labels.MEASURE_ORDER.index(r.measure)
                                                   if r.measure in labels.MEASURE_ORDER else 99,
                                                   r.scope != "all", r.scope)):
        key = (rate.measure, rate.scope, rate.agency_id)
        earlier = before.get(key)
        status_key, words = status_of(rate)
        reasons = []
        if status_key == labels.BELOW_TARGET:
            reasons.append("Below target")
        if is_worse(rate, earlier, rule):
            reasons.append(f"{'worse' if reasons else 'Worse'} than {previous_name}")
        if not reasons:
            continue
        asked = commentary.get(key)
        found.append(ExceptionRow(
            agency_id=rate.agency_id or 0, agency_name=rate.agency or "", measure=rate.measure,
            scope=rate.scope, title=labels.describe(rate.measure, rate.scope), counted=rate.n,
            met=rate.good, rate_text=rate_text(rate),
            target_text=labels.percent_text(rate.target), status_key=status_key,
            status_text=words,
            previous_text=trend_text(rate, earlier, previous_name, rule.min_n),
            why="; ".join(reasons), request_id=asked.id if asked else None,
            commentary=asked.commentary if asked else None,
            commented_on=long_date(asked.commented_at.date())
            if asked and asked.commented_at else None))
    return tuple(found)


def provisional_reasons(cycle: Cycle) -> tuple[str, ...]:
    from qa_app.letters.readiness import readiness

    reasons = []
    if cycle.status == "open":
        reasons.append(f"The {cycle.name} audit cycle is still open, so its figures may "
                       "change.")
    ready = readiness(cycle.id)
    if not ready.complete:
        reasons.append(f"The panel has not finalised the whole sample: {ready.words}.")
    return tuple(reasons)


def stale_reasons(cycle: Cycle, run: AggregationRun | None, *, recount: bool) -> tuple[str, ...]:
    """A recalculation waiting, or (with `recount`) stored figures that no longer equal a
    recount of the data."""
    if run is None:
        return (f"No figures have been calculated for {cycle.name} yet.",)
    since = pending_since(CYCLE, str(cycle.id))
    if since is not None:
        return (f"These figures are being recalculated: a change made at "
                f"{format_datetime(since)} is not yet counted.",)
    if recount:
        from qa_app.reporting.freshness import stale_reason

        reason = stale_reason(cycle.id)
        if reason:
            return (reason,)
    return ()


def _by_key(rows: Iterable[Rate]) -> dict[Key, Rate]:
    return {(r.measure, r.scope, r.agency_id): r for r in rows}


def _commentary(report: BoardReport) -> dict[Key, CommentaryRequest]:
    return {(c.measure, c.scope, c.agency_id): c for c in report.requests}


def figures(cycle: Cycle, agencies: list[int] | None = None
            ) -> tuple[AggregationRun | None, list[Rate], dict[Key, Rate], str | None]:
    """The cycle's current run and main rows, and the previous cycle's by key."""
    run = current_run(CYCLE, str(cycle.id))
    now = main_rows(rates(run.id, agencies=agencies, partnership=agencies is None)) \
        if run else []
    earlier_cycle = previous_cycle(cycle)
    earlier_run = current_run(CYCLE, str(earlier_cycle.id)) if earlier_cycle else None
    before = _by_key(main_rows(rates(earlier_run.id, agencies=agencies,
                                     partnership=agencies is None))) if earlier_run else {}
    return run, now, before, earlier_cycle.name if earlier_cycle else None


def exceptions_now(report: BoardReport, agencies: list[int] | None = None
                   ) -> tuple[ExceptionRow, ...]:
    run, now, before, previous_name = figures(report.cycle, agencies)
    return exceptions(now, before, previous_name, rules(), _commentary(report))


def assemble(report: BoardReport, today: date, *, recount: bool = True) -> ReportContent:
    """What the report says now, from the current figures (a final report keeps its own)."""
    if report.is_final and report.content:
        return ReportContent.from_json(report.content)
    cycle = report.cycle
    rule = rules()
    run, now, before, previous_name = figures(cycle)
    groups, note = improvement_groups(today)
    return ReportContent(
        report_id=report.id, cycle_id=cycle.id, cycle_name=cycle.name,
        academic_year=cycle.academic_year, previous_cycle_name=previous_name,
        partnership=letterhead().name, board_date=long_date(report.board_date),
        prepared_on=long_date(today), final=False, min_n=rule.min_n,
        worse_points=rule.worse_points,
        computed_at=format_datetime(run.computed_at) if run else None,
        provisional=provisional_reasons(cycle),
        stale=stale_reasons(cycle, run, recount=recount),
        headline=headline(now, before, previous_name, rule),
        exceptions=exceptions(now, before, previous_name, rule, _commentary(report)),
        actions=groups, actions_note=note, voices=voices(cycle, rule.min_n),
    )


# --- what families and practitioners say ---------------------------------------------------


def _share_figure(title: str, share: Share, target: float | None = None,
                  targets: Targets | None = None) -> SurveyFigure:
    """One survey share in the report's words; below min_n only the number counted."""
    if not share.shown:
        words = "No answers yet" if share.n == 0 else "Too few to judge"
        key = labels.status(None, target)
        return SurveyFigure(title=title, counted=share.n, good=None, rate_text=words,
                            target_text=_target_text(target), status_key=key,
                            status_text=labels.STATUS_WORDS[key])
    rag = targets.rag(None, None, None, target, measure=survey_figures.MEASURE,
                      good=share.good, n=share.n) if targets and target is not None else None
    key = labels.status(rag, target)
    return SurveyFigure(title=title, counted=share.n, good=share.good,
                        rate_text=labels.percent_text(share.percent, target),
                        target_text=_target_text(target), status_key=key,
                        status_text=labels.STATUS_WORDS[key])


def _target_text(target: float | None) -> str:
    return "None" if target is None else labels.percent_text(target)


def voices(cycle: Cycle, min_n: int) -> Voices:
    """Families rating their experience good or better in the cycle, against the target, and
    practitioners' confidence from the survey that closed during it: counted by the surveys
    feature, partnership-wide only, never a written answer."""
    try:
        targets: Targets | None = current_targets()
    except AggregationError:
        targets = None
    target = targets.target_for(survey_figures.MEASURE, "all", cycle.academic_year) \
        if targets else None
    family = survey_figures.family_figures(cycle.id, min_n, target)
    run = survey_queries.run_closed_between(cycle.start_date, cycle.end_date)
    staff: tuple[SurveyFigure, ...] = ()
    if run is not None:
        staff = tuple(_share_figure(row.question, row.partnership)
                      for row in survey_figures.confidence_figures(run, min_n).rows)
    return Voices(
        family=_share_figure("Families rating their experience good or better",
                             family.partnership, family.target, targets),
        practitioner_run=run.name if run else None,
        practitioner_closed=long_date(run.closes_on) if run else None,
        practitioners=staff)


# --- improvement actions -----------------------------------------------------------------


def improvement_groups(today: date) -> tuple[tuple[ActionGroup, ...], str]:
    """Improvement actions by status, from the improvement actions feature; until it is
    installed, from the stored actions themselves."""
    try:
        from qa_app.improvement.queries import actions_by_status
    except ImportError:
        return _stored_actions(), ("Improvement actions as recorded by the figures: owners and "
                                   "due dates are not yet tracked.")
    groups = []
    for heading, lines in actions_by_status(today):
        items = tuple(ActionItem(
            agency_name=line.agency_name, measure_text=line.measure_text,
            academic_year=line.academic_year, owner_name=line.owner_name or "Not assigned",
            due_text=long_date(line.due_date) if line.due_date else "Not set",
            status_text=line.status_text, overdue=bool(line.overdue), url=line.url or "")
            for line in lines)
        groups.append(ActionGroup(str(heading), items))
    return tuple(groups), ""


STATUS_HEADINGS = {"open": "Open", "closing": "Asked to close", "closed": "Closed"}


def _stored_actions() -> tuple[ActionGroup, ...]:
    rows = db.session.execute(
        select(ImprovementAction).order_by(ImprovementAction.opened_at.desc(),
                                           ImprovementAction.id.desc())
    ).scalars().all()
    names = {a.id: a.name for a in _agencies({r.agency_id for r in rows})}
    grouped: dict[str, list[ActionItem]] = {}
    for row in rows:
        grouped.setdefault(row.status, []).append(ActionItem(
            agency_name=names.get(row.agency_id, ""),
            measure_text=labels.describe(row.measure, row.scope),
            academic_year=row.academic_year, owner_name="Not assigned", due_text="Not set",
            status_text=STATUS_HEADINGS.get(row.status, row.status.capitalize()),
            overdue=False))
    order = sorted(grouped, key=lambda s: list(STATUS_HEADINGS).index(s)
                   if s in STATUS_HEADINGS else 99)
    return tuple(ActionGroup(STATUS_HEADINGS.get(s, s.capitalize()), tuple(grouped[s]))
                 for s in order)


def _agencies(ids: set[int]) -> list[Agency]:
    if not ids:
        return []
    return list(db.session.execute(select(Agency).where(Agency.id.in_(ids))).scalars())


def person(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return (user.display_name or user.email) if user else None
