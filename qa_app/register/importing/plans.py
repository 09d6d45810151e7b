"""The EHCP register: one row per plan, matched on plan_ref so a re-import updates in place."""

from __future__ import annotations

from sqlalchemy import select

from qa_app.extensions import db
from qa_app.register.importing import columnar
from qa_app.register.importing.bulk import Batch, upsert
from qa_app.register.importing.columnar import Memo
from qa_app.register.importing.mapping import Columns, Field
from qa_app.register.importing.readers import Table
from qa_app.register.importing.report import ImportReport
from qa_app.register.importing.values import DateReader, ValueProblem, choice, nc_year, text
from qa_app.register.models import Agency, Plan, PlanKind

FIELDS = (
    Field("plan_ref", required=True),
    Field("agency", required=True),
    Field("nc_year", required=True),
    Field("plan_kind", required=True),
    Field("request_date"),
    Field("issue_date"),
    Field("setting"),
)

PLAN_KINDS = {kind.value: kind.value for kind in PlanKind} | {
    "annual": PlanKind.ANNUAL_REVIEW.value,
    "review": PlanKind.ANNUAL_REVIEW.value,
    "ar": PlanKind.ANNUAL_REVIEW.value,
}
STORED = ("agency_id", "nc_year", "plan_kind", "request_date", "issue_date", "setting")
STORED_AS = {"agency": "agency_id"}
MAX_REF = 64


class AgencyNames:
    """Agencies by exact name, with a hint when only the case or spacing differs."""

    def __init__(self) -> None:
        rows = db.session.execute(select(Agency.name, Agency.id)).all()
        self.ids = {name: agency_id for name, agency_id in rows}
        self._loose = {" ".join(name.casefold().split()): name for name in self.ids}

    def __call__(self, cell: object) -> int:
        raw = text(cell)  # type: ignore[arg-type]
        found = self.ids.get(raw)
        if found is not None:
            return found
        if not raw:
            raise ValueProblem("agency is required (the agency's exact name)")
        near = self._loose.get(" ".join(raw.casefold().split()))
        hint = f" (did you mean {near!r}?)" if near else " (add it under Agencies first)"
        raise ValueProblem(f"unknown agency {raw!r}{hint}")


def reference(cell: object, what: str) -> str:
    ref = text(cell)  # type: ignore[arg-type]
    if not ref:
        raise ValueProblem(f"{what} is required")
    if len(ref) > MAX_REF:
        raise ValueProblem(f"{what} is longer than {MAX_REF} characters")
    return ref


def validate(table: Table, columns: Columns, report: ImportReport) -> Batch:
    """Every row checked, a chunk at a time; rows with problems are reported and left out."""
    agency, year, kind = Memo(AgencyNames()), Memo(nc_year), Memo(_plan_kind)
    day, setting = Memo(DateReader()), Memo(_setting)
    first_seen: dict[str, int] = {}
    kept: dict[str, list[object]] = {name: [] for name in ("ref", *STORED)}
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
        ]
        for i, (asked, issue) in enumerate(zip(requested, issued, strict=True)):
            if asked and issue and issue < asked:
                chunk.fail(i, "issue_date", "the plan was issued before it was requested "
                           f"({issue:%d/%m/%Y} is before {asked:%d/%m/%Y})")
        for column, good in zip(kept.values(), chunk.keep(values), strict=True):
            column.extend(good)
    return Batch(kept, set(columns.index))


def _plan_kind(cell: object) -> str:
    return choice(cell, PLAN_KINDS, "plan_kind", [k.value for k in PlanKind])  # type: ignore


def _setting(cell: object) -> str | None:
    value = text(cell)  # type: ignore[arg-type]
    if len(value) > 200:
        raise ValueProblem("setting is longer than 200 characters")
    return value or None


def write(batch: Batch, report: ImportReport) -> None:
    """Insert new plans and update changed ones, a chunk of references at a time."""
    present = {STORED_AS.get(name, name) for name in batch.present}
    upsert(Plan.__table__, STORED, batch, present, report)
