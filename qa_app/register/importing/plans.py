"""The EHCP register: one row per plan, matched on plan_ref so a re-import updates in place.

A row of kind `new` with an issue date also records the plan's needs assessment (request and
issue dates, and that it was a new plan), and a row of kind `new` sets its statutory exception
to the 20-week limit. A later `annual_review` row for the same plan (the September refresh)
leaves both as they were, so the 20-week figures of past years never move.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from qa_app.extensions import db
from qa_app.register.importing import columnar
from qa_app.register.importing.agencies import AgencyNames
from qa_app.register.importing.bulk import CHUNK, Batch, upsert
from qa_app.register.importing.columnar import Memo
from qa_app.register.importing.mapping import Columns, Field
from qa_app.register.importing.readers import Table
from qa_app.register.importing.report import ImportReport
from qa_app.register.importing.values import (
    DateReader,
    ValueProblem,
    choice,
    is_blank,
    key,
    nc_year,
    text,
)
from qa_app.register.models import PLAN_EXCEPTION_LABELS, Plan, PlanException, PlanKind

FIELDS = (
    Field("plan_ref", required=True),
    Field("agency", required=True),
    Field("nc_year", required=True),
    Field("plan_kind", required=True),
    Field("request_date"),
    Field("issue_date"),
    Field("setting"),
    Field("exception"),
    Field("exception_note"),
)

PLAN_KINDS = {kind.value: kind.value for kind in PlanKind} | {
    "annual": PlanKind.ANNUAL_REVIEW.value,
    "review": PlanKind.ANNUAL_REVIEW.value,
    "ar": PlanKind.ANNUAL_REVIEW.value,
}
STORED = ("agency_id", "nc_year", "plan_kind", "request_date", "issue_date", "setting")
ASSESSMENT = ("assessed_as_new", "assessment_request_date", "assessment_issue_date",
              "assessment_agency_id")
EXCEPTION = ("exception", "exception_note")
STORED_AS = {"agency": "agency_id"}
MAX_REF = 64
MAX_NOTE = 2000
EXCEPTIONS = {key(e.value): e.value for e in PlanException} | {
    key(label): code.value for code, label in PLAN_EXCEPTION_LABELS.items()
}


def reference(cell: object, what: str) -> str:
    ref = text(cell)  # type: ignore[arg-type]
    if not ref:
        raise ValueProblem(f"{what} is required")
    if len(ref) > MAX_REF:
        raise ValueProblem(f"{what} is longer than {MAX_REF} characters")
    return ref


def validate(table: Table, columns: Columns, report: ImportReport) -> Batch:
    """Every row checked, a chunk at a time; rows with problems are reported and left out."""
    names = AgencyNames()
    agency, year, kind = Memo(names), Memo(nc_year), Memo(_plan_kind)
    day, setting = Memo(DateReader()), Memo(_setting)
    exception, note = Memo(_exception), Memo(_note)
    first_seen: dict[str, int] = {}
    kept: dict[str, list[object]] = {name: [] for name in ("ref", *STORED, *EXCEPTION)}
    for chunk in columnar.chunks(table, columns, report):
        requested = chunk.read("request_date", day)
        issued = chunk.read("issue_date", day)
        values = [
            chunk.references("plan_ref", first_seen, MAX_REF),
            chunk.read("agency", agency),
            chunk.read("nc_year", year),
            chunk.read("plan_kind", kind),
            requested,
            issued,
            chunk.read("setting", setting),
            chunk.read("exception", exception),
            chunk.read("exception_note", note),
        ]
        columnar.check_exceptions(chunk, values[-2], values[-1])
        names.refuse_inactive(chunk, values[1], values[0], Plan.__table__)
        for i, (asked, issue) in enumerate(zip(requested, issued, strict=True)):
            if asked and issue and issue < asked:
                chunk.fail(i, "issue_date", "the plan was issued before it was requested "
                           f"({issue:%d/%m/%Y} is before {asked:%d/%m/%Y})")
        for column, good in zip(kept.values(), chunk.keep(values), strict=True):
            column.extend(good)
    return Batch(kept, set(columns.index))


def _plan_kind(cell: object) -> str:
    return choice(cell, PLAN_KINDS, "plan_kind", [k.value for k in PlanKind])  # type: ignore


def _exception(cell: object) -> str | None:
    if is_blank(cell):  # type: ignore[arg-type]
        return None
    listed = [e.value for e in PlanException]
    return choice(cell, EXCEPTIONS, "statutory exception", listed)  # type: ignore[arg-type]


def _note(cell: object) -> str | None:
    value = text(cell)  # type: ignore[arg-type]
    if len(value) > MAX_NOTE:
        raise ValueProblem(f"exception_note is longer than {MAX_NOTE} characters")
    return value or None


def _setting(cell: object) -> str | None:
    value = text(cell)  # type: ignore[arg-type]
    if len(value) > 200:
        raise ValueProblem("setting is longer than 200 characters")
    return value or None


def write(batch: Batch, report: ImportReport) -> None:
    """Insert new plans and update changed ones, a chunk of references at a time."""
    present = {STORED_AS.get(name, name) for name in batch.present}
    with_exception = bool(present & set(EXCEPTION))
    _recorded_columns(batch, with_exception)
    present |= set(ASSESSMENT) | (set(EXCEPTION) if with_exception else set())
    upsert(Plan.__table__, (*STORED, *ASSESSMENT, *EXCEPTION), batch, present, report)


def _recorded_columns(batch: Batch, with_exception: bool) -> None:
    """The needs-assessment (and exception) columns to write: a new, issued plan's own
    dates (a new plan's own exception); for every other row, what is stored already."""
    columns = batch.columns
    kinds, issued = columns["plan_kind"], columns["issue_date"]
    is_new = [kind == PlanKind.NEW for kind in kinds]
    records = [new and day is not None for new, day in zip(is_new, issued, strict=True)]
    keep_refs = [ref for ref, own in zip(columns["ref"], records, strict=True) if not own]
    if with_exception:
        keep_refs += [ref for ref, new in zip(columns["ref"], is_new, strict=True) if not new]
    stored = _stored(sorted(set(keep_refs)))
    blank = (False, None, None, None, None, None)
    kept = [stored.get(ref, blank) for ref in columns["ref"]]
    columns["assessed_as_new"] = [own or old[0] for own, old in zip(records, kept, strict=True)]
    columns["assessment_request_date"] = _pick(records, columns["request_date"], kept, 1)
    columns["assessment_issue_date"] = _pick(records, issued, kept, 2)
    columns["assessment_agency_id"] = _pick(records, columns["agency_id"], kept, 3)
    if with_exception:
        columns["exception"] = _pick(is_new, columns["exception"], kept, 4)
        columns["exception_note"] = _pick(is_new, columns["exception_note"], kept, 5)


def _pick(own: Sequence[bool], values: Sequence[Any], kept: Sequence[tuple[Any, ...]],
          position: int) -> list[Any]:
    return [value if mine else old[position]
            for mine, value, old in zip(own, values, kept, strict=True)]


def _stored(refs: list[str]) -> dict[str, tuple[Any, ...]]:
    """What is recorded for these plans now, as Python values, a chunk of references at a time."""
    found: dict[str, tuple[Any, ...]] = {}
    columns = [getattr(Plan, name) for name in (*ASSESSMENT, *EXCEPTION)]
    for start in range(0, len(refs), CHUNK):
        rows = db.session.execute(
            select(Plan.ref, *columns).where(Plan.ref.in_(refs[start:start + CHUNK]))
        ).all()
        found.update((row[0], tuple(row[1:])) for row in rows)
    return found
