"""The demo's good-practice library: while a cycle is open its auditors mark a few excerpts
they graded Outstanding, and the panel's chair approves them when the panel meets; the
latest cycle's last excerpt still waits for its chair. Runs through the library's own
operations, then dates each step as the panel's calendar has it.

The excerpts are our own words, written for the demo: no names, places or other details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_app.audits.scoring.models import Audit
from qa_app.demo.panels import PanelRun
from qa_app.extensions import db
from qa_app.library import operations
from qa_app.register.models import Advice

PLAN = "plan"


@dataclass(frozen=True)
class ExampleSpec:
    """One excerpt: the subject it comes from ("plan" or an advice type) and its criterion."""

    kind: str
    criterion_id: str
    excerpt: str
    approve: bool = True


EARLIER: tuple[ExampleSpec, ...] = (
    ExampleSpec(PLAN, "child_voice",
                "The young person's views are written in the first person and checked with "
                "them: \"I learn best when someone shows me first. Loud rooms make my head "
                "hurt, so I need somewhere calm to go at lunchtime.\" The coordinator used "
                "picture cards over two short visits and notes which views came from the "
                "young person and which from their parents."),
    ExampleSpec("health", "outcomes",
                "Within twelve months, to use a communication aid to choose between two "
                "activities at snack time on four days out of five, as recorded by the staff "
                "who support snack time. Progress is reviewed with the family each term."),
)
LATEST: tuple[ExampleSpec, ...] = (
    ExampleSpec("educational_psychology", "provision",
                "A daily 15-minute reading session in a group of no more than four, led by a "
                "teaching assistant trained by the educational psychologist, with reading "
                "accuracy checked every six weeks and the plan for the next six weeks "
                "agreed with the class teacher."),
    ExampleSpec(PLAN, "preparation_for_adulthood",
                "By the end of the next key stage, to travel on a familiar bus route to "
                "college taster days without an adult, having practised the route weekly "
                "with a mentor; the steps towards this are set out for each term."),
    ExampleSpec("social_care", "child_voice",
                "The social worker met the young person somewhere they chose and records, in "
                "their words, what matters most: keeping weekend family time, having a say "
                "in who supports them, and not missing the lessons they enjoy.",
                approve=False),
)


def examples_for(position: int) -> tuple[ExampleSpec, ...]:
    """The earlier closed cycle's examples (position 0), then the latest's."""
    return EARLIER if position == 0 else LATEST


def mark_examples(run: PanelRun, specs: tuple[ExampleSpec, ...]) -> int:
    """Mark each excerpt from an audit of its kind that graded the criterion well; the
    chair approves those meant to be approved. The cycle must still be open. Returns how
    many were marked."""
    audits = db.session.execute(
        select(Audit).where(Audit.panel_id == run.panel.id)
        .options(selectinload(Audit.scores), selectinload(Audit.advice),
                 selectinload(Audit.plan), selectinload(Audit.rubric_version))
        .order_by(Audit.id)).scalars().all()
    marked = 0
    used: set[int] = set()
    for spec in specs:
        audit = _outstanding(audits, spec, used)
        if audit is None or audit.auditor_id is None:
            continue
        used.add(audit.id)
        example = operations.mark(audit, spec.criterion_id, spec.excerpt,
                                  actor_id=audit.auditor_id)
        example.created_at = audit.submitted_at or datetime.combine(run.meeting_date, time(9))
        if spec.approve:
            operations.approve(example, spec.excerpt, [key for key, _ in operations.CHECKLIST],
                               actor_id=run.chair.id)
            example.decided_at = datetime.combine(run.meeting_date, time(16, 0))
        marked += 1
    db.session.flush()
    return marked


def _outstanding(audits: list[Audit], spec: ExampleSpec, used: set[int]) -> Audit | None:
    """The first audit of the kind graded Outstanding for the criterion; failing that, the
    first graded good."""
    fallback: Audit | None = None
    for audit in audits:
        if audit.id in used or _kind(audit) != spec.kind:
            continue
        body = audit.rubric_version.body
        top = max(level["value"] for level in body["scale"])
        grade = next((s.grade for s in audit.scores if s.criterion_id == spec.criterion_id),
                     None)
        if grade == top:
            return audit
        if fallback is None and grade is not None and grade >= body["good_or_better"]:
            fallback = audit
    return fallback


def _kind(audit: Audit) -> str:
    return PLAN if audit.plan_id is not None else _advice_type(audit.advice)


def _advice_type(advice: Advice | None) -> str:
    return advice.advice_type if advice is not None else ""
