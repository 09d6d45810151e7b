"""Reading cycles and their samples: finding a cycle by name, whether it is tied down by
audits, the plans eligible for a draw, and how far the cycle's work has gone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select, union

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.sampling import AdviceCandidate, ExportRow, PlanCandidate
from qa_app.audits.errors import SampleError
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel, PanelMember
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.inputs import parse_id
from qa_app.letters.models import Letter, LetterResponse
from qa_app.paging import PageLinks
from qa_app.register.models import Advice, Agency, Plan

DEFAULT_EXCLUDE_DAYS = 365
AUDITORS_PER_SUBJECT = 2
PLANS_PER_PAGE = 25


def clean_name(name: str | None) -> str:
    return " ".join((name or "").split())


def cycle_lookup() -> Callable[[str | None], Cycle | None]:
    """Find cycles by name, whatever the case or spacing (an exact match first), from one
    read of every cycle: there are a few a year, and a file may name them on every row."""
    by_key: dict[str, list[Cycle]] = {}
    for cycle in db.session.execute(select(Cycle).order_by(Cycle.id)).scalars():
        by_key.setdefault(clean_name(cycle.name).casefold(), []).append(cycle)

    def lookup(name: str | None) -> Cycle | None:
        clean = clean_name(name)
        same = by_key.get(clean.casefold(), [])
        return next((c for c in same if c.name == clean), same[0] if same else None)

    return lookup


def cycle_named(name: str | None) -> Cycle | None:
    """The cycle with this name, whatever its case or spacing."""
    return cycle_lookup()(name)


def find_cycle(name_or_id: str) -> Cycle | None:
    """A cycle by its name (any case), or by its id (the key a worker is given)."""
    cycle = cycle_named(name_or_id)
    if cycle is None and (cycle_id := parse_id(name_or_id)) is not None:
        cycle = db.session.get(Cycle, cycle_id)
    return cycle


def has_audits(cycle: Cycle) -> bool:
    """Any audit or final grade (draft, assigned or submitted) ties a cycle's sample down."""
    audits = db.session.scalar(select(func.count(Audit.id)).where(Audit.cycle_id == cycle.id))
    finals = db.session.scalar(
        select(func.count(FinalGrade.id)).where(FinalGrade.cycle_id == cycle.id)
    )
    return bool(audits or finals)


def list_cycles() -> list[tuple[Cycle, int | None]]:
    """Every cycle, newest first, with the number of plans in its sample (None: no sample)."""
    rows = db.session.execute(
        select(Cycle, Sample.size)
        .outerjoin(Sample, Sample.cycle_id == Cycle.id)
        .order_by(Cycle.start_date.desc(), Cycle.name)
    ).all()
    return [(cycle, size) for cycle, size in rows]


def open_cycles() -> list[Cycle]:
    """Cycles that can still take panels, newest first."""
    return list(db.session.execute(
        select(Cycle).where(Cycle.status == "open").order_by(Cycle.start_date.desc())
    ).scalars())


# --- the sample ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Which plans may be drawn: not audited since `window_start`, requested by the end."""

    cycle_id: int
    window_start: date
    cycle_end: date
    issued_by_end: bool = False

    @classmethod
    def for_cycle(cls, cycle: Cycle, exclude_days: int = DEFAULT_EXCLUDE_DAYS,
                  issued_by_end: bool = False) -> Eligibility:
        if not 0 <= exclude_days <= 3660:
            raise SampleError("The exclusion window must be from 0 to 3660 days")
        return cls(cycle.id, cycle.start_date - timedelta(days=exclude_days), cycle.end_date,
                   issued_by_end)


def transition_years() -> tuple[int, ...]:
    from qa_app.standards.targets import load_targets
    from qa_app.standards.yaml_lines import RubricError

    path = Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml"
    try:
        return tuple(load_targets(path).transition_years)
    except RubricError as exc:
        first = exc.problems[0] if exc.problems else "unreadable"
        raise SampleError(f"The transition years come from {path}, which has a problem: "
                          f"{first}") from None


def _recently_audited_plans(rule: Eligibility) -> Any:
    """Plan ids audited, finally graded or sampled by another cycle since the window start."""
    since = rule.window_start
    other_cycle = or_(Audit.cycle_id.is_(None), Audit.cycle_id != rule.cycle_id)
    other_final = or_(FinalGrade.cycle_id.is_(None), FinalGrade.cycle_id != rule.cycle_id)
    submitted = (Audit.status == "submitted", Audit.audit_date >= since, other_cycle)
    final = (FinalGrade.audit_date >= since, other_final)
    sampled = (Sample.cycle_id != rule.cycle_id, Cycle.end_date >= since)
    return union(
        select(Audit.plan_id).where(Audit.plan_id.is_not(None), *submitted),
        select(Advice.plan_id).join(Audit, Audit.advice_id == Advice.id).where(*submitted),
        select(FinalGrade.plan_id).where(FinalGrade.plan_id.is_not(None), *final),
        select(Advice.plan_id).join(FinalGrade, FinalGrade.advice_id == Advice.id).where(*final),
        select(SampleItem.plan_id).join(Sample).join(Cycle)
        .where(SampleItem.plan_id.is_not(None), *sampled),
        select(Advice.plan_id).join(SampleItem, SampleItem.advice_id == Advice.id)
        .join(Sample).join(Cycle).where(*sampled),
    )


def _eligible_plans(rule: Eligibility) -> Select[Any]:
    query = select(Plan.id, Plan.ref, Plan.nc_year, Agency.name).join(
        Agency, Agency.id == Plan.agency_id
    ).where(
        Plan.id.not_in(_recently_audited_plans(rule)),
        or_(Plan.request_date.is_(None), Plan.request_date <= rule.cycle_end),
    )
    if rule.issued_by_end:
        query = query.where(Plan.issue_date.is_not(None), Plan.issue_date <= rule.cycle_end)
    return query


def eligible_count(rule: Eligibility) -> int:
    return db.session.scalar(select(func.count()).select_from(_eligible_plans(rule).subquery()))


def eligible_population(rule: Eligibility) -> list[PlanCandidate]:
    """Eligible plans with their advice received by the cycle end (advice that can be read)."""
    plans = db.session.execute(_eligible_plans(rule)).all()
    ids = select(_eligible_plans(rule).subquery().c.id)
    advice_rows = db.session.execute(
        select(Advice.id, Advice.ref, Advice.plan_id, Agency.name, Advice.advice_type)
        .join(Agency, Agency.id == Advice.agency_id)
        .where(Advice.plan_id.in_(ids), Advice.received_date.is_not(None),
               Advice.received_date <= rule.cycle_end)
    ).all()
    by_plan: dict[int, list[AdviceCandidate]] = {}
    for advice_id, ref, plan_id, agency, advice_type in advice_rows:
        by_plan.setdefault(plan_id, []).append(AdviceCandidate(advice_id, ref, agency, advice_type))
    return [
        PlanCandidate(plan_id, ref, nc_year, agency,
                      tuple(sorted(by_plan.get(plan_id, []), key=lambda a: a.ref)))
        for plan_id, ref, nc_year, agency in plans
    ]


def current_sample(cycle: Cycle) -> Sample | None:
    return db.session.execute(
        select(Sample).where(Sample.cycle_id == cycle.id)
    ).scalar_one_or_none()


def sample_rows(cycle: Cycle) -> list[ExportRow]:
    """One row per sample item, each plan followed by its advice, in reference order."""
    sample = current_sample(cycle)
    if sample is None:
        return []
    years = set(sample.parameters.get("transition_years") or transition_years())
    plans = db.session.execute(
        select(SampleItem.stratum, Plan.id, Plan.ref, Plan.nc_year, Agency.name)
        .join(Plan, Plan.id == SampleItem.plan_id).join(Agency, Agency.id == Plan.agency_id)
        .where(SampleItem.sample_id == sample.id)
    ).all()
    advice = db.session.execute(
        select(SampleItem.stratum, Advice.plan_id, Advice.ref, Plan.ref, Plan.nc_year,
               Agency.name, Advice.advice_type)
        .join(Advice, Advice.id == SampleItem.advice_id).join(Plan, Plan.id == Advice.plan_id)
        .join(Agency, Agency.id == Advice.agency_id)
        .where(SampleItem.sample_id == sample.id)
    ).all()
    rows = [
        ((ref, ""), ExportRow(ref, "", stratum, nc_year, nc_year in years, agency, ""))
        for stratum, _id, ref, nc_year, agency in plans
    ] + [
        ((plan_ref, advice_ref), ExportRow(plan_ref, advice_ref, stratum, nc_year,
                                           nc_year in years, agency, advice_type))
        for stratum, _pid, advice_ref, plan_ref, nc_year, agency, advice_type in advice
    ]
    return [row for _key, row in sorted(rows, key=lambda pair: pair[0])]


def prior_plan_rate(cycle: Cycle) -> tuple[int, int] | None:
    """(good or better, graded) for plans in the latest earlier cycle with final grades."""
    earlier = db.session.execute(
        select(FinalGrade.cycle_id, func.max(Cycle.start_date).label("start"))
        .join(Cycle, Cycle.id == FinalGrade.cycle_id)
        .where(FinalGrade.plan_id.is_not(None), Cycle.start_date < cycle.start_date)
        .group_by(FinalGrade.cycle_id).order_by(func.max(Cycle.start_date).desc()).limit(1)
    ).first()
    if earlier is None:
        return None
    good, total = db.session.execute(
        select(func.count().filter(FinalGrade.good_or_better), func.count())
        .where(FinalGrade.cycle_id == earlier[0], FinalGrade.plan_id.is_not(None))
    ).one()
    return (int(good), int(total)) if total else None


@dataclass(frozen=True)
class SamplePage(PageLinks):
    """One page of the sample table: whole plans, each followed by its advice."""

    rows: list[ExportRow]
    page: int
    pages: int
    plans: int
    first: int
    last: int


def sample_page(rows: list[ExportRow], page: int, per_page: int = PLANS_PER_PAGE) -> SamplePage:
    """The rows of the `page`th group of `per_page` plans (past the end: the last page)."""
    plan_refs = list(dict.fromkeys(row.plan_ref for row in rows))
    pages = max(1, -(-len(plan_refs) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    shown = set(plan_refs[start:start + per_page])
    return SamplePage([row for row in rows if row.plan_ref in shown], page, pages,
                      len(plan_refs), start + 1 if shown else 0, start + len(shown))


# --- how far the cycle has gone -------------------------------------------------------------


@dataclass(frozen=True)
class CycleProgress:
    """The counts behind the cycle's task list, each a plain count of stored rows."""

    has_sample: bool
    plans_sampled: int
    advice_sampled: int
    panels: int
    panel_auditors: int
    subjects_assigned: int
    audits: int
    audits_started: int
    audits_submitted: int
    final_grades: int
    subjects_finalised: int
    agencies_graded: int
    agencies_with_letter: int
    agencies_issued: int
    responses_received: int
    responses_presented: int

    @property
    def sampled(self) -> int:
        return self.plans_sampled + self.advice_sampled


def _sample_items(cycle_id: int) -> Select[Any]:
    return select(SampleItem).join(Sample, Sample.id == SampleItem.sample_id).where(
        Sample.cycle_id == cycle_id)


def _count(query: Select[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _on_item(model: type[Audit] | type[FinalGrade]) -> Any:
    """The audit or final grade is of the sample item's plan or advice."""
    return or_(and_(SampleItem.plan_id.is_not(None), model.plan_id == SampleItem.plan_id),
               and_(SampleItem.advice_id.is_not(None), model.advice_id == SampleItem.advice_id))


def cycle_progress(cycle: Cycle) -> CycleProgress:
    items = _sample_items(cycle.id)
    panel_audits = (select(func.count(Audit.id))
                    .where(Audit.cycle_id == cycle.id, Audit.source == "panel", _on_item(Audit))
                    .correlate(SampleItem).scalar_subquery())
    finalised = (select(FinalGrade.id).where(FinalGrade.cycle_id == cycle.id, _on_item(FinalGrade))
                 .correlate(SampleItem).exists())
    panels = select(Panel.id).where(Panel.cycle_id == cycle.id)
    audits = select(Audit.id).where(Audit.cycle_id == cycle.id)
    graded = select(FinalGrade.agency_id).where(FinalGrade.cycle_id == cycle.id).distinct()
    letters = select(Letter.agency_id).where(Letter.cycle_id == cycle.id,
                                             Letter.agency_id.in_(graded)).distinct()
    received, presented = _responses(cycle.id)
    return CycleProgress(
        has_sample=current_sample(cycle) is not None,
        plans_sampled=_count(items.where(SampleItem.plan_id.is_not(None))),
        advice_sampled=_count(items.where(SampleItem.advice_id.is_not(None))),
        panels=_count(panels),
        panel_auditors=_count(select(PanelMember.user_id).where(PanelMember.panel_id.in_(panels))
                              .distinct()),
        subjects_assigned=_count(items.where(panel_audits >= AUDITORS_PER_SUBJECT)),
        audits=_count(audits),
        audits_started=_count(audits.where(Audit.status != "assigned")),
        audits_submitted=_count(audits.where(Audit.status == "submitted")),
        final_grades=_count(select(FinalGrade.id).where(FinalGrade.cycle_id == cycle.id)),
        subjects_finalised=_count(items.where(finalised)),
        agencies_graded=_count(graded),
        agencies_with_letter=_count(letters),
        agencies_issued=_count(letters.where(Letter.status == "issued")),
        responses_received=received,
        responses_presented=presented,
    )


def _responses(cycle_id: int) -> tuple[int, int]:
    """(received, presented) for each agency's newest issued letter, the one answered."""
    newest = (select(Letter.agency_id, func.max(Letter.version).label("version"))
              .where(Letter.cycle_id == cycle_id, Letter.status == "issued")
              .group_by(Letter.agency_id).subquery())
    received, presented = db.session.execute(
        select(func.count(LetterResponse.submitted_at), func.count(LetterResponse.presented_on))
        .select_from(Letter)
        .join(newest, and_(newest.c.agency_id == Letter.agency_id,
                           newest.c.version == Letter.version))
        .join(LetterResponse, LetterResponse.letter_id == Letter.id)
        .where(Letter.cycle_id == cycle_id)
    ).one()
    return int(received or 0), int(presented or 0)
