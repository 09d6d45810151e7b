"""Reads over the register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, Plan, PlanKind

PLAN_KINDS = {PlanKind.NEW.value: "New plan", PlanKind.ANNUAL_REVIEW.value: "Annual review"}
PLAN_STATUSES = {
    "issued": "Issued",
    "not_issued": "Not issued yet",
    "exception": "Statutory exception recorded",
}
"""What a manager filters the register by besides its kind: issued or not, and whether a
statutory exception to the 20 weeks is recorded."""
YEAR_GROUPS = range(-2, 21)
AUDIT_STATUSES = {"assigned": "Not started", "draft": "In progress", "submitted": "Submitted"}


def year_group_label(nc_year: int) -> str:
    if nc_year > 0:
        return f"Year {nc_year}"
    return "Reception (0)" if nc_year == 0 else f"Nursery or early years ({nc_year})"


@dataclass(frozen=True)
class PlanSearch:
    """The register filters, each already checked: an unknown value is simply not set."""

    ref: str = ""
    agency_id: int | None = None
    nc_year: int | None = None
    kind: str = ""
    status: str = ""

    @property
    def filtered(self) -> bool:
        return bool(self.ref or self.kind or self.status) or (
            self.agency_id is not None or self.nc_year is not None)

    def args(self) -> dict[str, Any]:
        """The filters as URL parameters, so a page link keeps them."""
        raw = {"ref": self.ref, "agency": self.agency_id, "year": self.nc_year,
               "kind": self.kind, "status": self.status}
        return {k: v for k, v in raw.items() if v not in (None, "")}


def search_plans(search: PlanSearch) -> Select[tuple[Plan]]:
    """Plans matching every filter set, by reference; the request's access scope applies."""
    query = select(Plan).options(selectinload(Plan.agency)).order_by(Plan.ref)
    if search.ref:
        query = query.where(func.lower(Plan.ref).contains(search.ref.lower(), autoescape=True))
    if search.agency_id is not None:
        query = query.where(Plan.agency_id == search.agency_id)
    if search.nc_year is not None:
        query = query.where(Plan.nc_year == search.nc_year)
    if search.kind:
        query = query.where(Plan.plan_kind == search.kind)
    if search.status == "issued":
        query = query.where(Plan.issue_date.is_not(None))
    elif search.status == "not_issued":
        query = query.where(Plan.issue_date.is_(None))
    elif search.status == "exception":
        query = query.where(Plan.exception.is_not(None))
    return query


def visible_agencies() -> list[Agency]:
    return list(db.session.execute(select(Agency).order_by(Agency.name)).scalars())


def overdue_advice_by_agency(as_of: date) -> dict[str, int]:
    """Advice past its due date and not yet received, without a statutory exception."""
    rows = db.session.execute(
        select(Agency.name, func.count(Advice.id))
        .join(Advice, Advice.agency_id == Agency.id)
        .where(
            Advice.received_date.is_(None),
            Advice.due_date < as_of,
            Advice.exception.is_(None),
        )
        .group_by(Agency.name)
        .order_by(Agency.name)
    ).all()
    return {name: count for name, count in rows}


def _scale(body: dict[str, Any]) -> dict[int, str]:
    return {s["value"]: s["label"] for s in body.get("scale", [])}


def _grade_text(value: int | None, labels: dict[int, str]) -> str | None:
    return None if value is None else labels.get(value, str(value))


def _subject(plan: Plan | None, advice: Advice | None) -> tuple[str, str]:
    if plan is not None:
        return plan.ref, "EHC plan"
    assert advice is not None
    return advice.ref, f"{advice.advice_type.replace('_', ' ').capitalize()} advice"


@dataclass(frozen=True)
class RecordedGrade:
    """A final grade of the plan or its advice, with what was recorded about the subject when
    it was finalised (audits/moderation/recorded.py)."""

    subject: str
    subject_kind: str
    cycle: str
    academic_year: str
    grade: str
    good_or_better: bool
    nc_year: int | None
    plan_kind: str | None
    agency: str
    advice_type: str | None = None
    assured_grade: str | None = None
    cycle_id: int | None = None
    agency_id: int | None = None


def _of_plan(model: Any, plan_id: int) -> Any:
    """Rows about the plan itself or about any of its advice the viewer can see."""
    return or_(model.plan_id == plan_id,
               model.advice_id.in_(select(Advice.id).where(Advice.plan_id == plan_id)))


def plan_final_grades(plan_id: int) -> list[RecordedGrade]:
    """The final grades the viewer may see for a plan and its advice, oldest first."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade

    rows = db.session.execute(
        select(FinalGrade, Cycle.name, Agency.name)
        .outerjoin(Cycle, Cycle.id == FinalGrade.cycle_id)
        .outerjoin(Agency, Agency.id == FinalGrade.agency_id)
        .options(selectinload(FinalGrade.plan), selectinload(FinalGrade.advice))
        .where(_of_plan(FinalGrade, plan_id))
        .order_by(FinalGrade.audit_date, FinalGrade.id)
    ).all()
    out = []
    for final, cycle, agency in rows:
        labels = _scale(final.rubric_version.body)
        subject, kind = _subject(final.plan, final.advice)
        out.append(RecordedGrade(
            subject=subject, subject_kind=kind, cycle=cycle or "Imported, no cycle",
            academic_year=final.academic_year,
            grade=labels.get(final.grade, str(final.grade)),
            good_or_better=final.good_or_better, nc_year=final.nc_year,
            plan_kind=final.plan_kind, agency=agency or "Another agency",
            advice_type=(final.advice_type.replace("_", " ").capitalize()
                         if final.advice_type else None),
            assured_grade=_grade_text(final.assured_grade, labels),
            cycle_id=final.cycle_id, agency_id=final.agency_id))
    return out


@dataclass(frozen=True)
class AuditRow:
    subject: str
    subject_kind: str
    cycle: str
    auditor: str
    status: str
    grade: str | None


def plan_audits(plan_id: int, *, names: bool, viewer_id: int) -> list[AuditRow]:
    """The audits the viewer may see of a plan and its advice. `names` says whether the
    viewer is shown auditors' names elsewhere (panel and moderation pages); if not, an
    auditor is "You" or "An auditor"."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.scoring.models import Audit

    rows = db.session.execute(
        select(Audit, Cycle.name)
        .outerjoin(Cycle, Cycle.id == Audit.cycle_id)
        .options(selectinload(Audit.plan), selectinload(Audit.advice),
                 selectinload(Audit.auditor), selectinload(Audit.rubric_version))
        .where(_of_plan(Audit, plan_id))
        .order_by(Audit.cycle_id, Audit.id)
    ).all()
    out = []
    for audit, cycle in rows:
        subject, kind = _subject(audit.plan, audit.advice)
        if audit.auditor is None:
            who = "Not assigned"
        elif audit.auditor_id == viewer_id:
            who = "You"
        else:
            who = audit.auditor.display_name if names else "An auditor"
        out.append(AuditRow(
            subject, kind, cycle or "Imported, no cycle", who,
            AUDIT_STATUSES.get(audit.status, audit.status),
            _grade_text(audit.overall_grade, _scale(audit.rubric_version.body))))
    return out


@dataclass(frozen=True)
class LetterRow:
    id: int
    reference: str
    agency: str
    cycle: str
    version: int
    issued: bool
    subjects: tuple[str, ...]


def plan_letters(grades: Iterable[RecordedGrade], *,
                 issued_only: bool) -> list[LetterRow]:
    """The letters whose appendix lists the plan or its advice.

    A letter covers the final grades of one agency in one cycle, so only the letters of those
    (agency, cycle) pairs are read; their stored content names the subjects it lists."""
    from qa_app.letters.models import Letter

    subjects: dict[tuple[int, int], set[str]] = {}
    for g in grades:
        if g.cycle_id is not None and g.agency_id is not None:
            subjects.setdefault((g.agency_id, g.cycle_id), set()).add(g.subject)
    if not subjects:
        return []
    query = (select(Letter)
             .options(selectinload(Letter.agency), selectinload(Letter.cycle))
             .where(Letter.cycle_id.in_({c for _a, c in subjects}),
                    Letter.agency_id.in_({a for a, _c in subjects}))
             .order_by(Letter.cycle_id, Letter.agency_id, Letter.version))
    if issued_only:
        query = query.where(Letter.status == "issued")
    out = []
    for letter in db.session.execute(query).scalars():
        ours = subjects.get((letter.agency_id, letter.cycle_id), set())
        listed = {item.get("reference") for item in
                  ((letter.content or {}).get("facts") or {}).get("items", [])}
        found = tuple(sorted(ours & listed if letter.content else ours))
        if found:
            out.append(LetterRow(letter.id, letter.reference,
                                 letter.agency.name if letter.agency else "Another agency",
                                 letter.cycle.name, letter.version, letter.is_issued, found))
    return out
