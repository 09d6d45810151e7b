"""Publishing a learning brief: only from its check page, only once the cycle's grades are
final, and only if the brief is still what the manager checked. In the audit log; no commit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date

from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.board.content import person
from qa_app.extensions import db
from qa_app.learning.content import assemble
from qa_app.learning.document import BriefContent
from qa_app.learning.models import LearningBrief
from qa_app.letters.document import long_date
from qa_app.rules import RuleError
from qa_app.timeutil import utcnow


def digest(content: BriefContent) -> str:
    """A fingerprint of what the brief says (not the day it was prepared), so a brief that
    changed after its check page was shown is refused."""
    raw = content.to_json()
    raw.pop("prepared_on", None)
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def published(cycle_id: int) -> LearningBrief | None:
    return db.session.execute(
        select(LearningBrief).where(LearningBrief.cycle_id == cycle_id)).scalar_one_or_none()


def publish(cycle_id: int, *, actor_id: int, checked: str, today: date) -> LearningBrief:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise RuleError("There is no such audit cycle")
    if published(cycle.id) is not None:
        raise RuleError(f"The learning brief for {cycle.name} is already published")
    now = assemble(cycle, today)
    if now.provisional:
        raise RuleError("The brief cannot be published until the cycle's grades are final: "
                        + " ".join(now.provisional))
    if checked != digest(now):
        raise RuleError("The brief has changed since you checked it (new grades, examples or "
                        "outcomes). Check it again before publishing it")
    at = utcnow()
    frozen = replace(now, published=True, published_on=long_date(at.date()),
                     published_by=person(actor_id))
    raw = frozen.to_json()
    brief = LearningBrief(cycle_id=cycle.id, content=raw, published_at=at,
                          published_by_id=actor_id,
                          content_sha256=hashlib.sha256(
                              json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest())
    db.session.add(brief)
    db.session.flush()
    audit_log.record("learning_brief.publish", "learning_brief", brief.id, user_id=actor_id,
                     changes={"cycle": cycle.name, "graded": now.graded,
                              "criteria_below_good": sum(len(g.criteria) for g in now.by_type),
                              "improved": len(now.improved), "examples": len(now.examples)})
    return brief


def content_of(brief: LearningBrief) -> BriefContent:
    return BriefContent.from_json(brief.content)
