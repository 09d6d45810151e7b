"""Cycle changes (create, edit, close, reopen) and the sample draw, each checked and
written to the audit log; nothing here commits."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.cycles.queries import (
    DEFAULT_EXCLUDE_DAYS,
    Eligibility,
    clean_name,
    current_sample,
    cycle_named,
    eligible_count,
    eligible_population,
    has_audits,
    transition_years,
)
from qa_app.audits.cycles.sampling import OTHER, TRANSITION, Draw, DrawParameters, draw
from qa_app.audits.errors import CycleError, SampleError, SamplingError
from qa_app.extensions import db
from qa_app.timeutil import academic_year

NAME_LENGTH = 120
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
METHOD = "stratified-v1"


def parse_date(text: str | None, what: str = "date", field: str | None = None) -> date:
    """A UK date (05/01/2026) or an ISO date (2026-01-05)."""
    value = (text or "").strip()
    if not value:
        raise CycleError(f"Enter the {what}", field)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CycleError(
        f"The {what} must be a real date written as dd/mm/yyyy (for example 05/01/2026) "
        f"or yyyy-mm-dd, not {value!r}",
        field,
    )


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class CycleInput:
    name: str
    start: date
    end: date


def create_cycle(name: str, start: date, end: date, *, actor_id: int | None = None) -> Cycle:
    data = _checked(name, start, end, existing=None)
    cycle = Cycle(name=data.name, start_date=data.start, end_date=data.end,
                  academic_year=academic_year(data.start), status="open")
    db.session.add(cycle)
    db.session.flush()
    audit_log.record("cycle.create", "cycle", cycle.id, user_id=actor_id, changes={
        "name": cycle.name, "start_date": cycle.start_date.isoformat(),
        "end_date": cycle.end_date.isoformat(), "academic_year": cycle.academic_year,
    })
    return cycle


def edit_cycle(
    cycle: Cycle, name: str, start: date, end: date, *, actor_id: int | None = None
) -> Cycle:
    """Change a cycle's name or dates; a closed cycle must be reopened first."""
    if cycle.status == "closed":
        raise CycleError(f"{cycle.name} is closed: reopen it before changing it")
    data = _checked(name, start, end, existing=cycle)
    year = academic_year(data.start)
    if year != cycle.academic_year and has_audits(cycle):
        raise CycleError(
            f"{cycle.name} already has audits counted in {cycle.academic_year}, so its dates "
            f"cannot move into {year}", "start_date")
    before = {"name": cycle.name, "start_date": cycle.start_date.isoformat(),
              "end_date": cycle.end_date.isoformat(), "academic_year": cycle.academic_year}
    cycle.name, cycle.start_date, cycle.end_date = data.name, data.start, data.end
    cycle.academic_year = year
    after = {"name": cycle.name, "start_date": cycle.start_date.isoformat(),
             "end_date": cycle.end_date.isoformat(), "academic_year": cycle.academic_year}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    db.session.flush()
    if changes:
        audit_log.record("cycle.edit", "cycle", cycle.id, changes=changes, user_id=actor_id)
    return cycle


def close_cycle(cycle: Cycle, *, actor_id: int | None = None) -> Cycle:
    if cycle.status == "closed":
        raise CycleError(f"{cycle.name} is already closed")
    cycle.status = "closed"
    db.session.flush()
    audit_log.record("cycle.close", "cycle", cycle.id, changes={"status": ["open", "closed"]},
                     user_id=actor_id)
    return cycle


def reopen_cycle(cycle: Cycle, *, actor_id: int | None = None) -> Cycle:
    if cycle.status == "open":
        raise CycleError(f"{cycle.name} is already open")
    cycle.status = "open"
    db.session.flush()
    audit_log.record("cycle.reopen", "cycle", cycle.id, changes={"status": ["closed", "open"]},
                     user_id=actor_id)
    return cycle


def _checked(name: str, start: date, end: date, existing: Cycle | None) -> CycleInput:
    clean = clean_name(name)
    if not clean:
        raise CycleError("Enter a name for the cycle, such as Spring term 2026", "name")
    if len(clean) > NAME_LENGTH:
        raise CycleError(f"The name can be at most {NAME_LENGTH} characters", "name")
    if end < start:
        raise CycleError(
            f"The end date ({uk(end)}) must be the same as or after the start date ({uk(start)})",
            "end_date")
    first, last = academic_year(start), academic_year(end)
    if first != last:
        raise CycleError(
            f"A cycle must lie within one academic year (1 September to 31 August): "
            f"{uk(start)} is in {first} but {uk(end)} is in {last}. Use two cycles instead.",
            "end_date")
    same = cycle_named(clean)
    if same is not None and (existing is None or same.id != existing.id):
        raise CycleError(f"A cycle called {same.name!r} already exists: choose another name",
                         "name")
    return CycleInput(clean, start, end)


# --- the sample ---------------------------------------------------------------------------


def new_seed() -> int:
    """A six-digit seed: short enough to write in a report, so a draw can be repeated."""
    return 100_000 + secrets.randbelow(900_000)


def check_replaceable(cycle: Cycle) -> None:
    """Refuse a draw in a closed cycle, and a redraw that would throw away audit work."""
    if cycle.status == "closed":
        raise SampleError(f"{cycle.name} is closed: reopen it before drawing its sample")
    previous = current_sample(cycle)
    if previous is not None and has_audits(cycle):
        raise SampleError(f"{cycle.name} already has audits, so its sample (seed "
                          f"{previous.seed}) can no longer be redrawn: drawing again would "
                          "throw away the audits assigned and scored from it")


def check_can_draw(cycle: Cycle, size: int, rule: Eligibility) -> int:
    """What a person asks for is checked before anything is drawn: a size larger than the
    eligible plans is refused with their number. Returns the number of eligible plans."""
    check_replaceable(cycle)
    eligible = eligible_count(rule)
    if 0 < eligible < size:
        raise SampleError(f"You asked for {size:,} plans but only {eligible:,} "
                          f"{'is' if eligible == 1 else 'are'} eligible for {cycle.name}: "
                          f"enter a number from 1 to {eligible:,}", "size")
    return eligible


def draw_sample(
    cycle: Cycle,
    *,
    size: int,
    seed: int,
    transition_share: float = 0.3,
    include_advice: bool = True,
    min_advice_per_agency: int = 1,
    exclude_days: int = DEFAULT_EXCLUDE_DAYS,
    issued_by_end: bool = False,
    actor_id: int | None = None,
) -> tuple[Sample, Draw]:
    """Draw and store the cycle's sample, replacing an earlier one while nothing is audited.

    The eligible plans in each stratum are stored with the sample, so the partnership's
    plans rate can later be weighted by the population as it stood when it was drawn."""
    check_replaceable(cycle)
    previous = current_sample(cycle)
    rule = Eligibility.for_cycle(cycle, exclude_days, issued_by_end)
    params = DrawParameters(size=size, seed=seed, transition_share=transition_share,
                            transition_years=transition_years(), include_advice=include_advice,
                            min_advice_per_agency=min_advice_per_agency if include_advice else 0)
    try:
        result = draw(eligible_population(rule), params)
    except SamplingError as exc:
        raise SampleError(str(exc)) from None
    replaced = None
    if previous is not None:
        replaced = {"seed": previous.seed, "size": previous.size}
        db.session.delete(previous)
        db.session.flush()
    sample = Sample(cycle_id=cycle.id, seed=seed, size=len(result.plans), drawn_by_id=actor_id,
                    parameters=_parameters(params, rule, exclude_days, result))
    sample.items = [SampleItem(plan_id=p.id, stratum=s) for p, s in result.plans] + [
        SampleItem(advice_id=a.id, stratum=s) for a, s in result.advice
    ]
    db.session.add(sample)
    db.session.flush()
    reaudits = _add_reaudit_places(cycle, sample, actor_id)
    audit_log.record("sample.redraw" if replaced else "sample.draw", "sample", sample.id,
                     user_id=actor_id, changes={
                         "cycle": cycle.name, "seed": seed, "plans": len(result.plans),
                         "advice": len(result.advice), "replaced": replaced,
                         "reaudit_places": reaudits})
    return sample, result


def _add_reaudit_places(cycle: Cycle, sample: Sample, actor_id: int | None) -> int:
    """Amended work marked for re-audit joins the sample beside the random draw (its own
    stratum), after the draw, so the random choice and its rates are untouched."""
    from qa_app.reaudit.operations import include_in_sample, release_from

    release_from(cycle)
    added = include_in_sample(cycle, sample, actor_id=actor_id)
    if added:
        sample.parameters = {**sample.parameters, "reaudit_places": added}
        db.session.flush()
    return added


def _parameters(params: DrawParameters, rule: Eligibility, exclude_days: int,
                result: Draw) -> dict[str, Any]:
    return {
        "method": METHOD,
        "requested_size": params.size,
        "seed": params.seed,
        "transition_share": params.transition_share,
        "transition_years": list(params.transition_years),
        "include_advice": params.include_advice,
        "min_advice_per_agency": params.min_advice_per_agency,
        "exclude_days": exclude_days,
        "window_start": rule.window_start.isoformat(),
        "issued_by_end": rule.issued_by_end,
        "eligible_plans": result.eligible,
        "eligible_transition_plans": result.eligible_transition,
        "transition_target": result.transition_target,
        "strata": result.strata,
        "stratum_population": {TRANSITION: result.eligible_transition,
                               OTHER: result.eligible - result.eligible_transition},
        "advice_by_agency": result.advice_by_agency,
        "agency_additions": [asdict(a) for a in result.additions],
        "notes": result.notes,
    }
