"""Whether a cycle's letters may be written or issued now.

A letter is a formal record that cannot be taken back, so it is refused while the figures it
would quote are older than the grades they describe, and while the panel has not finalised
every sampled plan and piece of advice, unless the manager explicitly chooses a partial
letter (which then says, first of all, how much of the sample it rests on).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import and_, exists, func, select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.letters import content as letter_content
from qa_app.letters.errors import LetterError


@dataclass(frozen=True)
class Readiness:
    """How many of the cycle's sampled subjects have a final grade."""

    finalised: int
    sampled: int

    @property
    def complete(self) -> bool:
        return self.finalised >= self.sampled

    @property
    def words(self) -> str:
        return f"{self.finalised} of {self.sampled} finalised"


@contextmanager
def whole_cycle() -> Iterator[None]:
    """Read the whole cycle whoever asks: a chair's request is otherwise limited to her own
    panels' audits, and a letter's checks must see exactly what the letter was built from."""
    saved = {key: g.pop(key, None) for key in ("scope", "scope_criteria")} \
        if has_app_context() else {}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is not None:
                setattr(g, key, value)


def readiness(cycle_id: int) -> Readiness:
    """Counts sample items with a final grade in the same cycle; a cycle with no sample (an
    imported historic one) counts as complete."""
    same_subject = exists().where(
        FinalGrade.cycle_id == cycle_id,
        and_(SampleItem.plan_id.is_not(None), FinalGrade.plan_id == SampleItem.plan_id)
        | and_(SampleItem.advice_id.is_not(None), FinalGrade.advice_id == SampleItem.advice_id),
    )
    items = (select(func.count(SampleItem.id), func.count(SampleItem.id).filter(same_subject))
             .join(Sample, Sample.id == SampleItem.sample_id).where(Sample.cycle_id == cycle_id))
    sampled, finalised = db.session.execute(items).one()
    return Readiness(int(finalised or 0), int(sampled or 0))


def check_rates_ready(cycle: Cycle) -> None:
    if letter_content.current_run_id(cycle.id) is None:
        raise LetterError(
            f"the rates for {cycle.name} have not been computed yet: run the aggregation "
            f"first (ehcp-qa aggregate --cycle \"{cycle.name}\")"
        )


def check_fresh(cycle: Cycle) -> None:
    """Refuse when the stored figures no longer equal a recount of the grades."""
    from qa_app.reporting.freshness import stale_reason

    reason = stale_reason(cycle.id)
    if reason:
        raise LetterError(
            f"{reason.strip().rstrip('.')}. Recalculate the rates first (ehcp-qa aggregate "
            f"--cycle \"{cycle.name}\", or Recalculate on the rates page), then generate the "
            "letters again"
        )


def not_ready_message(cycle: Cycle, ready: Readiness) -> str:
    return (f"the panel has not finalised every sampled plan and piece of advice in "
            f"{cycle.name}: {ready.words}. Finalise the rest first, or choose to write partial "
            f"letters (ehcp-qa letters generate --cycle \"{cycle.name}\" --partial)")


def check_can_write(cycle: Cycle, *, partial: bool, fresh_checked: bool = False
                    ) -> Readiness | None:
    """Raise LetterError when the cycle's letters may not be written now; otherwise return
    the readiness a partial letter must state (None when the sample is complete)."""
    check_rates_ready(cycle)
    if not fresh_checked:
        check_fresh(cycle)
    ready = readiness(cycle.id)
    if ready.complete:
        return None
    if not partial:
        raise LetterError(not_ready_message(cycle, ready))
    return ready


def record_partial_choice(cycle: Cycle, ready: Readiness | None, *, actor_id: int | None,
                          via: str) -> None:
    """The audit log keeps who chose to write letters on an unfinished sample, and when."""
    if ready is None:
        return
    changes = {"cycle": cycle.name, "finalised": ready.finalised, "sampled": ready.sampled,
               "via": via}
    if actor_id is None:
        changes["system_user"] = _system_user()
    audit_log.record("letters.generate_partial", "cycle", cycle.id, user_id=actor_id,
                     changes=changes)


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def partial_notice(facts_finalised: int | None, facts_sampled: int | None,
                   cycle_name: str) -> str:
    """The paragraph that opens a letter written before the whole sample was finalised."""
    if facts_sampled is None or facts_finalised is None:
        return ""
    return (f"This letter is based on {facts_finalised} of {facts_sampled} of the sample for "
            f"the {cycle_name} audit: the panel had not finalised the grades of the rest when "
            "it was written, so the figures below may change once it has.")
