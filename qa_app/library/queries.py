"""Reads for the good-practice library. Pages show an example's agency and advice type,
never the plan or advice it came from; agency names are read past the lead's agency scope
because an approved example is the whole partnership's to read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import has_request_context, url_for
from sqlalchemy import Select, select

from qa_app.audits.panels.models import Panel
from qa_app.extensions import db
from qa_app.library.models import APPROVED, PENDING, PracticeExample
from qa_app.register.models import Agency
from qa_app.standards.titles import criterion_title

PLAN = "plan"


@dataclass(frozen=True)
class GoodPracticeExample:
    """An approved example as other features cite it (letters, learning briefs)."""

    criterion_id: str
    criterion_title: str
    excerpt: str
    subject_text: str
    agency_name: str
    url: str
    reference: str = ""


@dataclass(frozen=True)
class ExampleRow:
    """One example as the library's pages show it."""

    id: int
    reference: str
    criterion_id: str
    criterion_title: str
    excerpt: str
    subject_text: str
    agency_name: str
    status: str
    rejection_reason: str | None


def subject_text(kind: str, advice_type: str | None) -> str:
    if kind == PLAN or not advice_type:
        return "EHC plan"
    return f"{advice_type.replace('_', ' ').capitalize()} advice"


def kind_key(example: PracticeExample) -> str:
    """The advice-type filter's value: "plan" or the advice type."""
    return PLAN if example.subject_kind == PLAN else example.advice_type or ""


def agency_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))
                              .execution_options(unscoped=True)).all()
    return dict(rows)


def rows_of(examples: Sequence[PracticeExample]) -> list[ExampleRow]:
    names = agency_names({e.agency_id for e in examples})
    return [ExampleRow(e.id, e.reference, e.criterion_id,
                       criterion_title(e.criterion_id, e.rubric_id), e.excerpt,
                       subject_text(e.subject_kind, e.advice_type),
                       names.get(e.agency_id, ""), e.status, e.rejection_reason)
            for e in examples]


def _approved(criterion: str | None = None, kind: str | None = None,
              agency_id: int | None = None) -> Select[tuple[PracticeExample]]:
    query = select(PracticeExample).where(PracticeExample.status == APPROVED)
    if criterion:
        query = query.where(PracticeExample.criterion_id == criterion)
    if kind == PLAN:
        query = query.where(PracticeExample.subject_kind == PLAN)
    elif kind:
        query = query.where(PracticeExample.advice_type == kind)
    if agency_id:
        query = query.where(PracticeExample.agency_id == agency_id)
    return query.order_by(PracticeExample.criterion_id, PracticeExample.id)


def browse(criterion: str | None = None, kind: str | None = None,
           agency_id: int | None = None) -> list[ExampleRow]:
    return rows_of(db.session.execute(_approved(criterion, kind, agency_id)).scalars().all())


@dataclass(frozen=True)
class Options:
    criteria: list[tuple[str, str]]
    kinds: list[tuple[str, str]]
    agencies: list[tuple[int, str]]


def filter_options() -> Options:
    """Only values that have an approved example, so no filter leads to an empty page."""
    examples = db.session.execute(_approved()).scalars().all()
    criteria = {e.criterion_id: criterion_title(e.criterion_id, e.rubric_id) for e in examples}
    kinds = {kind_key(e): subject_text(e.subject_kind, e.advice_type) for e in examples}
    names = agency_names({e.agency_id for e in examples})
    return Options(sorted(criteria.items(), key=lambda c: c[1]),
                   sorted(kinds.items(), key=lambda k: (k[0] != PLAN, k[1])),
                   sorted(names.items(), key=lambda a: a[1]))


def _url(example_id: int) -> str:
    if has_request_context():
        return url_for("library.show", example_id=example_id)
    return f"/library/{example_id}"


def approved_examples(criterion_ids: Sequence[str] | None = None) -> list[GoodPracticeExample]:
    """Every approved example (of these criteria), by criterion then in order of marking."""
    query = _approved()
    if criterion_ids is not None:
        query = query.where(PracticeExample.criterion_id.in_(list(criterion_ids)))
    examples = db.session.execute(query).scalars().all()
    return [GoodPracticeExample(row.criterion_id, row.criterion_title, row.excerpt,
                                row.subject_text, row.agency_name, _url(row.id),
                                row.reference)
            for row in rows_of(examples)]


def waiting_for(user_id: int | None) -> list[ExampleRow]:
    """Examples waiting for a decision: a chair's own panels' (None: every panel's)."""
    query = select(PracticeExample).where(PracticeExample.status == PENDING)
    if user_id is not None:
        query = query.where(PracticeExample.panel_id.in_(
            select(Panel.id).where(Panel.chair_id == user_id)))
    return rows_of(db.session.execute(query.order_by(PracticeExample.id)).scalars().all())


def marked_by(user_id: int) -> list[ExampleRow]:
    query = (select(PracticeExample).where(PracticeExample.author_id == user_id)
             .order_by(PracticeExample.id.desc()))
    return rows_of(db.session.execute(query).scalars().all())
