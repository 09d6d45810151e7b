"""Writes for the good-practice library: marking an excerpt, approving and rejecting it.

Each write is checked here (not only in the form), flushed and logged; the request commits."""

from __future__ import annotations

from collections.abc import Collection

from qa_app import audit_log
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.library.models import APPROVED, PENDING, REJECTED, PracticeExample
from qa_app.rules import RuleError
from qa_app.text import clean_text
from qa_app.timeutil import utcnow

EXCERPT_LIMIT = 1000
REASON_LIMIT = 500
CHECKLIST = (
    ("names", "No names of the child, family members, carers or staff"),
    ("birth", "No dates of birth or ages tied to a date"),
    ("addresses", "No addresses, postcodes or places the family can be found"),
    ("schools", "No names of schools, settings, clinics or teams the child attends"),
    ("other", "No other detail that could identify the child or family (a rare condition, "
              "an event, a plan or advice reference)"),
)
"""What the chair confirms before an example is shown to the whole partnership."""


def judged_criteria(audit: Audit) -> dict[str, str]:
    """The criteria of the audit's rubric an auditor grades by hand, id to title."""
    criteria = (audit.rubric_version.body or {}).get("criteria") or []
    return {c["id"]: c.get("title") or c["id"] for c in criteria
            if isinstance(c, dict) and c.get("id") and c.get("kind") != "computed"}


def _excerpt(text: str | None, field: str = "excerpt") -> str:
    value = clean_text(text or "").strip()
    if not value:
        raise RuleError("Enter the excerpt", field)
    if len(value) > EXCERPT_LIMIT:
        raise RuleError(f"The excerpt must be {EXCERPT_LIMIT:,} characters or fewer", field)
    return value


def mark(audit: Audit, criterion_id: str, excerpt: str, *, actor_id: int
         ) -> PracticeExample:
    """The audit's auditor offers an excerpt for one criterion; it waits for the chair."""
    if audit.auditor_id != actor_id or audit.panel_id is None:
        raise RuleError("Only the auditor of this audit can mark an example from it")
    if audit.in_closed_cycle:
        raise RuleError("This audit's cycle is closed, so no example can be marked from it")
    if criterion_id not in judged_criteria(audit):
        raise RuleError("Choose a criterion of this audit's practice standard", "criterion_id")
    text = _excerpt(excerpt)
    subject = audit.plan if audit.plan is not None else audit.advice
    assert subject is not None
    example = PracticeExample(
        audit_id=audit.id, panel_id=audit.panel_id, rubric_id=audit.rubric_version.rubric_id,
        criterion_id=criterion_id, subject_kind="plan" if audit.plan is not None else "advice",
        advice_type=None if audit.advice is None else audit.advice.advice_type,
        agency_id=subject.agency_id, excerpt=text, typed_excerpt=text, status=PENDING,
        author_id=actor_id)
    db.session.add(example)
    db.session.flush()
    audit_log.record("good_practice.mark", "good_practice_example", example.id,
                     user_id=actor_id, changes={"criterion_id": criterion_id,
                                                "audit_id": audit.id})
    return example


def may_decide(example: PracticeExample, user_id: int) -> bool:
    """Only the chair of the panel the example came from decides on it."""
    if example.panel_id is None:
        return False
    panel = db.session.get(Panel, example.panel_id)
    return panel is not None and panel.chair_id == user_id


def _pending(example: PracticeExample, user_id: int) -> None:
    if not may_decide(example, user_id):
        raise RuleError("Only the chair of the panel this example came from can decide on it")
    if example.status != PENDING:
        raise RuleError("This example has already been decided")


def approve(example: PracticeExample, excerpt: str, checked: Collection[str], *,
            actor_id: int) -> PracticeExample:
    """Shown to the whole partnership from now on, in the chair's (possibly edited) words."""
    _pending(example, actor_id)
    missing = [text for key, text in CHECKLIST if key not in set(checked)]
    if missing:
        raise RuleError("Confirm every check before approving: " + missing[0].lower(),
                        "checks")
    text = _excerpt(excerpt)
    edited = text != example.excerpt
    example.excerpt = text
    example.status = APPROVED
    example.decided_by_id = actor_id
    example.decided_at = utcnow()
    db.session.flush()
    audit_log.record("good_practice.approve", "good_practice_example", example.id,
                     user_id=actor_id, changes={"edited": edited,
                                                "checks": [key for key, _ in CHECKLIST]})
    return example


def reject(example: PracticeExample, reason: str, *, actor_id: int
           ) -> PracticeExample:
    _pending(example, actor_id)
    why = clean_text(reason or "").strip()
    if not why:
        raise RuleError("Enter the reason the example is rejected", "reason")
    if len(why) > REASON_LIMIT:
        raise RuleError(f"The reason must be {REASON_LIMIT} characters or fewer", "reason")
    example.status = REJECTED
    example.rejection_reason = why
    example.decided_by_id = actor_id
    example.decided_at = utcnow()
    db.session.flush()
    audit_log.record("good_practice.reject", "good_practice_example", example.id,
                     user_id=actor_id, reason=why)
    return example
