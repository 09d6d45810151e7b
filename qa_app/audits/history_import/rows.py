"""Reading historic audits: one row per audit, a column per criterion, graded as panels grade.

Each row is checked against the exact rubric version it names (or the current one), its
subject is found by reference, blank computed criteria (advice timeliness) are worked out
from the advice log's dates, and the overall grade comes from the grading engine. A row
that names a cycle (by its name, in any case) belongs to that cycle's academic year, and its
date must fall within the cycle; a row without one takes the academic year of its date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from qa_app.audits.cycles.queries import cycle_lookup
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.register.importing.bulk import chunks
from qa_app.register.importing.mapping import Columns, Field, field_readers, read_fields
from qa_app.register.importing.plans import reference
from qa_app.register.importing.readers import Table
from qa_app.register.importing.report import ImportReport
from qa_app.register.importing.values import (
    Cell,
    DateReader,
    GradeReader,
    ValueProblem,
    is_blank,
    text,
)
from qa_app.register.models import Advice, Plan
from qa_app.standards.grading import (
    GradingError,
    OverallResult,
    SubjectContext,
    computed_grades,
    resolve_overall,
)
from qa_app.standards.models import RubricVersion
from qa_app.standards.rubric import Rubric
from qa_app.timeutil import academic_year

FIELDS = (
    Field("subject_ref", required=True),
    Field("rubric_id", required=True),
    Field("rubric_version"),
    Field("audit_date", required=True),
    Field("cycle"),
    Field("auditor_email"),
    Field("overall"),
    Field("override_reason"),
)


@dataclass(frozen=True)
class Version:
    id: int
    rubric: Rubric
    grade: GradeReader


@dataclass
class AuditRow:
    number: int
    subject_ref: str
    version: Version
    audit_date: date
    cycle_id: int | None
    auditor_id: int | None
    grades: dict[str, int | None]
    blank_computed: set[str]
    overall: int | None
    override_reason: str | None
    plan_id: int | None = None
    advice_id: int | None = None
    result: OverallResult = field(default_factory=lambda: OverallResult(None))
    academic_year: str = ""
    """The cycle's academic year when a cycle is named, else that of the audit date."""
    existing_audit: int | None = None
    existing_final: int | None = None
    bad: bool = False
    """Reported already; graded only so that every problem in the row is listed at once."""

    @property
    def subject(self) -> tuple[int | None, int | None]:
        return self.plan_id, self.advice_id

    @property
    def rubric_id(self) -> str:
        return self.version.rubric.id


class Rubrics:
    """Every stored version of every rubric; a blank version means the current one."""

    def __init__(self) -> None:
        from qa_app.standards.operations import current_versions, rubric_of

        self._rows = {(v.rubric_id, v.version): v for v in db.session.execute(
            select(RubricVersion)).scalars()}
        self._current = {rid: v.version for rid, v in current_versions().items()}
        self._parsed: dict[int, Version] = {}
        self._rubric_of = rubric_of

    def get(self, rubric_id: str, version: str) -> Version:
        if rubric_id not in self._current:
            known = ", ".join(sorted(self._current)) or "none loaded"
            raise ValueProblem(f"unknown rubric {rubric_id!r} (loaded: {known})")
        wanted = version or self._current[rubric_id]
        row = self._rows.get((rubric_id, wanted))
        if row is None:
            versions = sorted(v for r, v in self._rows if r == rubric_id)
            raise ValueProblem(f"rubric {rubric_id!r} has no version {wanted!r} "
                               f"(loaded: {', '.join(versions)})")
        if row.id not in self._parsed:
            rubric = self._rubric_of(row)
            self._parsed[row.id] = Version(row.id, rubric, GradeReader(rubric))
        return self._parsed[row.id]


def validate_rows(
    table: Table, columns: Columns, report: ImportReport, ignored: set[str]
) -> list[AuditRow]:
    """Each row's fields and criterion grades; `ignored` columns (other imports' fields) skipped."""
    rubrics = Rubrics()
    cycle_named = cycle_lookup()
    users = {email.casefold(): uid for email, uid in db.session.execute(
        select(User.email, User.id)).all()}
    read_date = DateReader()
    today = date.today()

    def audit_date(cell: Cell) -> date:
        day = read_date(cell)
        if day is None:
            raise ValueProblem("audit_date is required")
        if day > today:
            raise ValueProblem(f"{day:%d/%m/%Y} is in the future")
        return day

    def cycle(cell: Cell) -> Any:
        name = text(cell)
        if not name:
            return None
        found = cycle_named(name)
        if found is None:
            raise ValueProblem(f"no audit cycle called {name!r} (create it first, or leave "
                               "cycle blank)")
        return found

    def auditor(cell: Cell) -> int | None:
        email = text(cell).casefold()
        if not email:
            return None
        if email not in users:
            raise ValueProblem(f"no user with the email {text(cell)!r}")
        return users[email]

    readers = field_readers(columns, {
        "subject_ref": lambda cell: reference(cell, "subject_ref"),
        "rubric_id": lambda cell: text(cell) or _missing("rubric_id"),
        "rubric_version": text,
        "audit_date": audit_date,
        "cycle": cycle,
        "auditor_email": auditor,
        "overall": lambda cell: cell,
        "override_reason": lambda cell: text(cell) or None,
    })
    criteria_columns = {k: p for k, p in columns.extra.items() if k not in ignored}
    rows: list[AuditRow] = []
    for number, cells in table.rows:
        report.rows += 1
        values, clean = read_fields(readers, number, cells, report)
        ref, rubric_id, version_text, day, in_cycle, auditor_id, overall_cell, reason = values
        if not _within_cycle(day, in_cycle, number, report):
            clean = False
        if ref is None or rubric_id is None:
            continue
        try:
            version = rubrics.get(rubric_id, version_text)
        except ValueProblem as problem:
            report.add(number, "rubric_version" if version_text else "rubric_id", str(problem))
            continue
        grades, blank_computed, graded = _criterion_grades(
            version, criteria_columns, columns, number, cells, report)
        try:
            overall = version.grade(overall_cell)
        except ValueProblem as problem:
            report.add(number, "overall", str(problem))
            graded = False
        if graded:
            year = in_cycle.academic_year if in_cycle else academic_year(day) if day else ""
            rows.append(AuditRow(number, ref, version, day, in_cycle.id if in_cycle else None,
                                 auditor_id, grades, blank_computed, overall, reason,
                                 academic_year=year, bad=not clean))
    return rows


def _within_cycle(day: date | None, in_cycle: Any, number: int, report: ImportReport) -> bool:
    """An audit named as part of a cycle must be dated within it."""
    if day is None or in_cycle is None or in_cycle.start_date <= day <= in_cycle.end_date:
        return True
    report.add(number, "audit_date", f"{day:%d/%m/%Y} is outside cycle {in_cycle.name!r} "
               f"({in_cycle.start_date:%d/%m/%Y} to {in_cycle.end_date:%d/%m/%Y}): correct "
               "the date or the cycle")
    return False


def _missing(name: str) -> str:
    raise ValueProblem(f"{name} is required")


def _criterion_grades(
    version: Version,
    criteria_columns: dict[str, int],
    columns: Columns,
    number: int,
    cells: list[Cell],
    report: ImportReport,
) -> tuple[dict[str, int | None], set[str], bool]:
    rubric = version.rubric
    own = {c.id: c for c in rubric.criteria}
    grades: dict[str, int | None] = {c.id: None for c in rubric.criteria}
    blank_computed = {c.id for c in rubric.criteria if not c.is_judged}
    clean = True
    for name, position in criteria_columns.items():
        cell = cells[position]
        if name not in own:
            if not is_blank(cell):
                report.add(number, columns.extra_names[name], f"not a criterion of rubric "
                           f"{rubric.id} {rubric.version}: leave it blank or remove the column")
                clean = False
            continue
        if is_blank(cell):
            continue
        blank_computed.discard(name)
        try:
            grades[name] = version.grade(cell)
        except ValueProblem as problem:
            report.add(number, columns.extra_names[name], str(problem))
            clean = False
    return grades, blank_computed, clean


def resolve_subjects(rows: list[AuditRow], report: ImportReport) -> list[AuditRow]:
    """Find each row's plan or advice, fill computed criteria, and grade it with the engine."""
    plan_refs = {r.subject_ref for r in rows if r.version.rubric.applies_to == "plan"}
    advice_refs = {r.subject_ref for r in rows if r.version.rubric.applies_to == "advice"}
    plans = _subjects(
        select(Plan.ref, Plan.id, Plan.nc_year, Plan.plan_kind), Plan.ref, plan_refs)
    advice = _subjects(
        select(Advice.ref, Advice.id, Plan.nc_year, Plan.plan_kind, Advice.advice_type,
               Advice.due_date, Advice.received_date, Advice.exception)
        .join(Plan, Plan.id == Advice.plan_id),
        Advice.ref, advice_refs)
    graded: list[AuditRow] = []
    for row in rows:
        rubric = row.version.rubric
        found = (plans if rubric.applies_to == "plan" else advice).get(row.subject_ref)
        if found is None:
            report.add(row.number, "subject_ref", f"no {rubric.applies_to} with reference "
                       f"{row.subject_ref!r} for rubric {rubric.id}")
            continue
        ctx = SubjectContext(nc_year=found[1], plan_kind=found[2])
        days_late = None
        if rubric.applies_to == "plan":
            row.plan_id = found[0]
        else:
            row.advice_id = found[0]
            advice_type, due, received, exception = found[3:]
            if rubric.advice_types and advice_type not in rubric.advice_types:
                report.add(row.number, "rubric_id", f"rubric {rubric.id} scores "
                           f"{', '.join(rubric.advice_types)} advice, but {row.subject_ref!r} "
                           f"is {advice_type} advice")
                continue
            if received is not None and exception is None:
                days_late = (received - due).days
        computed = computed_grades(rubric, days_late, ctx)
        for criterion_id in row.blank_computed:
            row.grades[criterion_id] = computed.get(criterion_id)
        if _grade(row, ctx, report):
            graded.append(row)
    return graded


def _grade(row: AuditRow, ctx: SubjectContext, report: ImportReport) -> bool:
    rubric = row.version.rubric
    for criterion in rubric.criteria:
        if row.grades.get(criterion.id) is not None and not criterion.applies_to_subject(ctx):
            report.add(row.number, criterion.id, f"does not apply to this subject (year "
                       f"{ctx.nc_year}, {ctx.plan_kind}): leave it blank")
            return False
    try:
        computed = resolve_overall(rubric, row.grades, ctx=ctx).computed
        if computed is None:
            report.add(row.number, "overall", "no criterion is graded: grade at least one")
            return False
        override = row.overall if row.overall not in (None, computed) else None
        row.result = resolve_overall(rubric, row.grades, override, row.override_reason, ctx)
    except GradingError as exc:
        column = "override_reason" if "reason" in str(exc) else "overall"
        report.add(row.number, column, str(exc))
        return False
    return True


def _subjects(query: object, ref_column: object, refs: set[str]) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    for part in chunks(sorted(refs)):
        for row in db.session.execute(query.where(ref_column.in_(part))):  # type: ignore
            found[row[0]] = tuple(row[1:])
    return found
