"""What an auditor is shown about the subject they score, and the facts the computed criteria
(advice timeliness) are worked out from: references, year, kind and dates only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app

from qa_app.audits.scoring.models import Audit
from qa_app.register.models import ADVICE_EXCEPTION_LABELS, Advice, AdviceException, Plan
from qa_app.standards.grading import SubjectContext

DEFAULT_TRANSITION_YEARS = (5, 9)
DEFAULT_ASSESSMENT_WEEKS = 20


@dataclass(frozen=True)
class SubjectFacts:
    """What the auditor is shown about the subject: references, year, kind and dates only."""

    kind: str
    ref: str
    plan_ref: str
    writer: str
    nc_year: int
    phase: str
    transition_year: bool
    plan_kind: str
    request_date: date | None
    issue_date: date | None
    advice_type: str | None = None
    requested_date: date | None = None
    due_date: date | None = None
    received_date: date | None = None
    exception: str | None = None

    @property
    def context(self) -> SubjectContext:
        return SubjectContext(nc_year=self.nc_year, plan_kind=self.plan_kind)

    @property
    def days_late(self) -> int | None:
        """Lateness that counts: None before the advice arrives or under a statutory exception."""
        if self.kind != "advice" or self.exception or self.received_date is None:
            return None
        assert self.due_date is not None
        return (self.received_date - self.due_date).days

    @property
    def timeliness(self) -> str:
        if self.kind == "plan":
            if self.request_date is None or self.issue_date is None:
                return "Not known: the request or issue date is missing"
            weeks = (self.issue_date - self.request_date).days / 7
            limit = assessment_weeks()
            within = "within" if weeks <= limit else "outside"
            return f"Issued {weeks:.0f} weeks after the request ({within} {limit} weeks)"
        if self.exception:
            label = ADVICE_EXCEPTION_LABELS.get(AdviceException(self.exception), self.exception)
            return f"Not counted: statutory exception ({label})"
        late = self.days_late
        if late is None:
            return "Not received yet"
        if late <= 0:
            return "On time"
        return f"{late} day{'s' if late != 1 else ''} late"

    @property
    def title(self) -> str:
        if self.kind == "plan":
            return f"EHC plan {self.ref}"
        return f"{(self.advice_type or '').replace('_', ' ').capitalize()} advice {self.ref}"


def facts_for(audit: Audit) -> SubjectFacts:
    plan: Plan | None = audit.plan
    advice: Advice | None = audit.advice
    if advice is not None:
        plan = advice.plan
    assert plan is not None
    common: dict[str, Any] = {
        "plan_ref": plan.ref,
        "nc_year": plan.nc_year,
        "phase": plan.phase,
        "transition_year": plan.nc_year in transition_years(),
        "plan_kind": plan.plan_kind,
        "request_date": plan.request_date,
        "issue_date": plan.issue_date,
    }
    if advice is None:
        return SubjectFacts(kind="plan", ref=plan.ref, writer=plan.agency.name, **common)
    return SubjectFacts(
        kind="advice",
        ref=advice.ref,
        writer=advice.agency.name,
        advice_type=advice.advice_type,
        requested_date=advice.requested_date,
        due_date=advice.due_date,
        received_date=advice.received_date,
        exception=advice.exception,
        **common,
    )


def transition_years() -> tuple[int, ...]:
    return _deadlines(str(current_app.config["RUBRICS_DIR"]))[0]


def assessment_weeks() -> int:
    return _deadlines(str(current_app.config["RUBRICS_DIR"]))[1]


@lru_cache(maxsize=8)
def _deadlines(rubrics_dir: str) -> tuple[tuple[int, ...], int]:
    """Transition years and the assessment deadline from targets.yaml, or the defaults."""
    from qa_app.standards.rubric import RubricError
    from qa_app.standards.targets import load_targets

    try:
        targets = load_targets(Path(rubrics_dir) / "targets.yaml")
    except (OSError, RubricError):
        return DEFAULT_TRANSITION_YEARS, DEFAULT_ASSESSMENT_WEEKS
    return tuple(targets.transition_years), targets.assessment_deadline_weeks
