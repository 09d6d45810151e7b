"""What is audited, a plan or a piece of advice: the rule that a row names exactly one, and
the few ways every audits page names and keys a subject."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Index, or_, select, text

from qa_app.register.models import Advice, Plan

if TYPE_CHECKING:
    from qa_app.audits.scoring.models import Audit

ONE_SUBJECT = "(plan_id IS NULL) <> (advice_id IS NULL)"

Subject = Plan | Advice


def once_per(table: str, parent: str, subject: str) -> Index:
    """A plan (or advice) appears at most once per parent. A unique key over (parent, plan,
    advice) would not do it: one of plan and advice is always NULL, and NULLs never clash.
    Rows without a parent (historic imports without a cycle) are left free."""
    only = text(f"{parent} IS NOT NULL AND {subject}_id IS NOT NULL")
    return Index(f"uq_{table}_{parent}_{subject}", parent, f"{subject}_id", unique=True,
                 sqlite_where=only, postgresql_where=only)


def of_agency(model: Any, agency_id: int | None) -> ColumnElement[bool]:
    """Rows (audits, final grades) whose subject is the agency's own plan or advice."""
    own_plans = select(Plan.id).where(Plan.agency_id == agency_id)
    own_advice = select(Advice.id).where(Advice.agency_id == agency_id)
    return or_(model.plan_id.in_(own_plans), model.advice_id.in_(own_advice))


def subject_of(audit: Audit) -> Subject:
    subject = audit.plan if audit.plan_id is not None else audit.advice
    assert subject is not None
    return subject


def subject_key(subject: Subject) -> tuple[str, int]:
    return ("plan", subject.id) if isinstance(subject, Plan) else ("advice", subject.id)


def subject_label(subject: Subject) -> str:
    if isinstance(subject, Plan):
        return f"plan {subject.ref}"
    return f"{subject.advice_type.replace('_', ' ')} advice {subject.ref}"


def subject_filter(subject: Subject) -> dict[str, int | None]:
    if isinstance(subject, Plan):
        return {"plan_id": subject.id, "advice_id": None}
    return {"plan_id": None, "advice_id": subject.id}
