"""Reads for the good-practice library. Pages show an example's agency and advice type,
never the plan or advice it came from; agency names are read past the lead's agency scope
because an approved example is the whole partnership's to read.

Examples are kept apart by practice standard *and* criterion: the same criterion id (say
"outcomes") is in the plan standard and in each advice standard, and an example of one is no
example of another."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import g, has_request_context, url_for
from sqlalchemy import Select, select, tuple_

from qa_app.audits.panels.models import Panel
from qa_app.extensions import db
from qa_app.library.models import APPROVED, PENDING, PracticeExample
from qa_app.register.models import Agency
from qa_app.standards.models import RubricVersion
from qa_app.standards.titles import criterion_title, rubric_title

PLAN = "plan"
KEY_SEPARATOR = ":"
"""Between the standard and the criterion in the library's filter value."""

Standard = tuple[str, str]
"""(rubric id, criterion id): what an example is an example of."""


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
    rubric_id: str = ""
    heading: str = ""
    """The criterion's title, with its standard's where another standard has that title."""


@dataclass(frozen=True)
class ExampleRow:
    """One example as the library's pages show it."""

    id: int
    reference: str
    rubric_id: str
    criterion_id: str
    criterion_title: str
    heading: str
    standard_title: str
    excerpt: str
    subject_text: str
    agency_name: str
    status: str
    rejection_reason: str | None

    @property
    def key(self) -> str:
        return standard_key(self.rubric_id, self.criterion_id)


@dataclass(frozen=True)
class Group:
    """One (standard, criterion) heading of the library page and its examples."""

    rubric_id: str
    criterion_id: str
    heading: str
    rows: list[ExampleRow]


def standard_key(rubric_id: str, criterion_id: str) -> str:
    return f"{rubric_id}{KEY_SEPARATOR}{criterion_id}"


def short_standard(rubric_id: str) -> str:
    """"Health advice" for the "Health advice practice standard": short enough for a heading."""
    title = rubric_title(rubric_id)
    suffix = " practice standard"
    if title.lower().endswith(suffix) and len(title) > len(suffix):
        return title[:-len(suffix)]
    return title


def _standards_by_title() -> dict[str, set[str]]:
    """Each criterion title in the newest version of each loaded standard: which standards."""
    found: dict[str, set[str]] | None = g.get("library_titles")
    if found is None:
        newest: dict[str, dict] = {}
        for rubric, body in db.session.execute(
                select(RubricVersion.rubric_id, RubricVersion.body).order_by(RubricVersion.id)):
            newest[rubric] = body or {}
        found = {}
        for rubric, body in newest.items():
            for criterion in body.get("criteria") or []:
                if isinstance(criterion, dict) and criterion.get("title"):
                    found.setdefault(criterion["title"], set()).add(rubric)
        g.library_titles = found
    return found


def heading(rubric_id: str, criterion_id: str) -> str:
    """The criterion's title, and its standard's where another standard has the same title
    ("Outcomes are specific — Health advice"), so no two standards share a heading."""
    title = criterion_title(criterion_id, rubric_id)
    if _standards_by_title().get(title, set()) - {rubric_id}:
        return f"{title} — {short_standard(rubric_id)}"
    return title


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
    return [ExampleRow(e.id, e.reference, e.rubric_id, e.criterion_id,
                       criterion_title(e.criterion_id, e.rubric_id),
                       heading(e.rubric_id, e.criterion_id), rubric_title(e.rubric_id),
                       e.excerpt, subject_text(e.subject_kind, e.advice_type),
                       names.get(e.agency_id, ""), e.status, e.rejection_reason)
            for e in examples]


def groups_of(rows: Iterable[ExampleRow]) -> list[Group]:
    """Rows under their (standard, criterion) heading, headings in alphabetical order."""
    found: dict[Standard, list[ExampleRow]] = {}
    for row in rows:
        found.setdefault((row.rubric_id, row.criterion_id), []).append(row)
    groups = [Group(rubric, criterion, listed[0].heading, listed)
              for (rubric, criterion), listed in found.items()]
    return sorted(groups, key=lambda group: (group.heading, group.rubric_id, group.criterion_id))


def _approved(standard: Standard | None = None, kind: str | None = None,
              agency_id: int | None = None) -> Select[tuple[PracticeExample]]:
    query = select(PracticeExample).where(PracticeExample.status == APPROVED)
    if standard:
        query = query.where(PracticeExample.rubric_id == standard[0],
                            PracticeExample.criterion_id == standard[1])
    if kind == PLAN:
        query = query.where(PracticeExample.subject_kind == PLAN)
    elif kind:
        query = query.where(PracticeExample.advice_type == kind)
    if agency_id:
        query = query.where(PracticeExample.agency_id == agency_id)
    return query.order_by(PracticeExample.rubric_id, PracticeExample.criterion_id,
                          PracticeExample.id)


def browse(standard: Standard | None = None, kind: str | None = None,
           agency_id: int | None = None) -> list[ExampleRow]:
    return rows_of(db.session.execute(_approved(standard, kind, agency_id)).scalars().all())


@dataclass(frozen=True)
class Options:
    criteria: list[tuple[str, str]]
    """(standard_key, heading)"""
    kinds: list[tuple[str, str]]
    agencies: list[tuple[int, str]]

    def standard(self, value: str | None) -> Standard | None:
        """The (standard, criterion) a filter value names; a bare criterion id (from a link
        made before standards were told apart) when only one standard has examples of it;
        anything else is ignored."""
        if not value:
            return None
        keys = [key for key, _ in self.criteria]
        if value not in keys:
            matching = [k for k in keys if k.split(KEY_SEPARATOR, 1)[1] == value]
            if len(matching) != 1:
                return None
            value = matching[0]
        rubric, criterion = value.split(KEY_SEPARATOR, 1)
        return rubric, criterion


def filter_options() -> Options:
    """Only values that have an approved example, so no filter leads to an empty page."""
    examples = db.session.execute(_approved()).scalars().all()
    criteria = {standard_key(e.rubric_id, e.criterion_id): heading(e.rubric_id, e.criterion_id)
                for e in examples}
    kinds = {kind_key(e): subject_text(e.subject_kind, e.advice_type) for e in examples}
    names = agency_names({e.agency_id for e in examples})
    return Options(sorted(criteria.items(), key=lambda c: (c[1], c[0])),
                   sorted(kinds.items(), key=lambda k: (k[0] != PLAN, k[1])),
                   sorted(names.items(), key=lambda a: a[1]))


def standards_with_examples(criterion_id: str) -> list[str]:
    """The standards holding an approved example of a criterion id (for old booklet links)."""
    return list(db.session.execute(
        select(PracticeExample.rubric_id).distinct()
        .where(PracticeExample.status == APPROVED, PracticeExample.criterion_id == criterion_id)
        .order_by(PracticeExample.rubric_id)).scalars())


def _url(example_id: int) -> str:
    if has_request_context():
        return url_for("library.show", example_id=example_id)
    return f"/library/{example_id}"


def approved_examples(standards: Sequence[Standard] | None = None
                      ) -> list[GoodPracticeExample]:
    """Every approved example (of these (standard, criterion) pairs), by standard, criterion,
    then in order of marking. An example of another standard's criterion of the same id is
    never among them."""
    query = _approved()
    if standards is not None:
        if not standards:
            return []
        query = query.where(tuple_(PracticeExample.rubric_id, PracticeExample.criterion_id)
                            .in_([tuple(pair) for pair in standards]))
    examples = db.session.execute(query).scalars().all()
    return [GoodPracticeExample(row.criterion_id, row.criterion_title, row.excerpt,
                                row.subject_text, row.agency_name, _url(row.id),
                                row.reference, row.rubric_id, row.heading)
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
