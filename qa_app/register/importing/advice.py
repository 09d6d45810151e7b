"""The advice log: one row per piece of advice, matched on advice_ref, due six weeks on."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import current_app

from qa_app.register.importing import columnar
from qa_app.register.importing.agencies import AgencyNames
from qa_app.register.importing.bulk import Batch, rows_by_key, upsert
from qa_app.register.importing.columnar import Chunk, Memo
from qa_app.register.importing.mapping import Columns, Field
from qa_app.register.importing.plans import MAX_REF
from qa_app.register.importing.readers import Table
from qa_app.register.importing.report import ImportFileError, ImportReport
from qa_app.register.importing.values import (
    Cell,
    DateReader,
    GradeReader,
    ValueProblem,
    choice,
    is_blank,
    key,
    text,
)
from qa_app.register.models import ADVICE_EXCEPTION_LABELS, Advice, AdviceException, Plan
from qa_app.standards.rubric import Rubric

FIELDS = (
    Field("advice_ref", required=True),
    Field("plan_ref", required=True),
    Field("agency", required=True),
    Field("advice_type", required=True),
    Field("requested_date", required=True),
    Field("received_date"),
    Field("agency_grade"),
    Field("exception"),
    Field("exception_note"),
)

DEFAULT_ADVICE_TYPES = ("educational_psychology", "health", "social_care", "education_setting")
EXCEPTIONS = {key(e.value): e.value for e in AdviceException} | {
    key(label): code.value for code, label in ADVICE_EXCEPTION_LABELS.items()
}
STORED = ("plan_id", "agency_id", "advice_type", "requested_date", "due_date", "received_date",
          "agency_grade", "exception", "exception_note")
WRITTEN = ("ref", "plan_id", "agency_id", "advice_type", "requested_date", "received_date",
           "agency_grade", "exception", "exception_note")
STORED_AS = {"plan_ref": "plan_id", "agency": "agency_id"}
MAX_NOTE = 2000


def advice_rubrics() -> dict[str, Rubric]:
    """The current rubric scoring each advice type, from the loaded practice standards."""
    from qa_app.standards.operations import current_versions, rubric_of

    by_type: dict[str, Rubric] = {}
    for version in current_versions().values():
        if version.applies_to == "advice":
            rubric = rubric_of(version)
            for advice_type in rubric.advice_types:
                by_type.setdefault(advice_type, rubric)
    return by_type


def known_advice_types(rubrics: dict[str, Rubric]) -> tuple[str, ...]:
    """The union of the loaded rubrics' advice types, or the four defaults if none is loaded."""
    return tuple(sorted(rubrics)) or DEFAULT_ADVICE_TYPES


def advice_deadline_days() -> int:
    from qa_app.standards.rubric import RubricError
    from qa_app.standards.targets import load_targets

    path = Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml"
    try:
        return load_targets(path).advice_deadline_days
    except (OSError, RubricError) as exc:
        raise ImportFileError(
            f"the advice deadline cannot be read from {path.name}: {exc}"
        ) from None


def validate(table: Table, columns: Columns, report: ImportReport) -> Batch:
    """Every row checked a chunk at a time, then every plan_ref looked up in bulk."""
    advice_deadline_days()
    rubrics = advice_rubrics()
    types = known_advice_types(rubrics)
    type_lookup = {key(t): t for t in types}
    graders = {t: GradeReader(rubrics.get(t)) for t in types}
    read_date = DateReader()
    names = AgencyNames()
    agency, received_day = Memo(names), Memo(read_date)
    advice_type = Memo(lambda cell: choice(cell, type_lookup, "advice_type", types))
    requested_day = Memo(lambda cell: _required(read_date(cell), "requested_date"))
    grade = Memo(lambda pair: graders[pair[0]](pair[1]) if pair[0] is not None else None)
    exception, note = Memo(_exception), Memo(_note)
    first_seen: dict[str, int] = {}
    kept: dict[str, list[Any]] = {name: [] for name in (*WRITTEN, "number")}
    unclean: list[tuple[int, str]] = []
    for chunk in columnar.chunks(table, columns, report):
        types_read = chunk.read("advice_type", advice_type)
        requested = chunk.read("requested_date", requested_day)
        received = chunk.read("received_date", received_day)
        exceptions = chunk.read("exception", exception)
        notes = chunk.read("exception_note", note)
        values = [
            chunk.references("advice_ref", first_seen, MAX_REF),
            chunk.required_texts("plan_ref", MAX_REF),
            chunk.read("agency", agency),
            types_read,
            requested,
            received,
            chunk.read("agency_grade", grade,
                       zip(types_read, chunk.cells("agency_grade"), strict=True)),
            exceptions,
            notes,
            list(chunk.numbers),
        ]
        _check_dates(chunk, requested, received)
        names.refuse_inactive(chunk, values[2], values[0], Advice.__table__)
        if any(exceptions) or any(notes):
            columnar.check_exceptions(chunk, exceptions, notes)
        unclean += [(chunk.numbers[i], values[1][i]) for i in chunk.bad if values[1][i]]
        for column, good in zip(kept.values(), chunk.keep(values), strict=True):
            column.extend(good)
    return _resolve_plans(Batch(kept, set(columns.index)), unclean, report)


def _check_dates(chunk: Chunk, requested: list[Any], received: list[Any]) -> None:
    for i, (asked, got) in enumerate(zip(requested, received, strict=True)):
        if asked and got and got < asked:
            chunk.fail(i, "received_date", "the advice was received before it was requested "
                       f"({got:%d/%m/%Y} is before {asked:%d/%m/%Y})")


def _resolve_plans(batch: Batch, unclean: list[tuple[int, str]], report: ImportReport
                   ) -> Batch:
    """Swap each plan_ref for the plan's id; every row naming an unknown plan is reported."""
    refs = batch.columns.pop("plan_id")
    numbers = batch.columns.pop("number")
    wanted = set(refs) | {ref for _, ref in unclean}
    found = {ref: row[0] for ref, row in rows_by_key(Plan.__table__, "ref", ["id"],
                                                     wanted).items()}
    missing = [(n, ref) for n, ref in zip(numbers, refs, strict=True) if ref not in found]
    missing += [(n, ref) for n, ref in unclean if ref not in found]
    for number, ref in missing:
        report.add(number, "plan_ref", f"no plan with reference {ref!r} "
                   "(import the plans register first)")
    batch.columns["plan_id"] = [] if missing else list(map(found.__getitem__, refs))
    return batch


def _required(value: date | None, name: str) -> date:
    if value is None:
        raise ValueProblem(f"{name} is required")
    return value


def _exception(cell: Cell) -> str | None:
    if is_blank(cell):
        return None
    listed = [e.value for e in AdviceException]
    return choice(cell, EXCEPTIONS, "statutory exception", listed)


def _note(cell: Cell) -> str | None:
    note = text(cell)
    if len(note) > MAX_NOTE:
        raise ValueProblem(f"exception_note is longer than {MAX_NOTE} characters")
    return note or None


def write(batch: Batch, report: ImportReport) -> None:
    """Insert new advice and update changed advice, due `advice_deadline_days` after request."""
    deadline = timedelta(days=advice_deadline_days())
    due = Memo(lambda day: day + deadline)
    batch.columns["due_date"] = list(map(due.get, batch.columns["requested_date"]))
    present = {STORED_AS.get(name, name) for name in batch.present} | {"due_date"}
    upsert(Advice.__table__, STORED, batch, present, report)
