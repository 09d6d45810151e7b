"""Historic audits: each row becomes a submitted audit and the panel's final grade for it.

A re-import matches an earlier imported audit on its subject, rubric and audit date and
updates it in place; a changed final grade is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.history_import.rows import FIELDS, AuditRow, resolve_subjects, validate_rows
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.extensions import db
from qa_app.register.importing import advice as advice_import
from qa_app.register.importing import plans as plan_import
from qa_app.register.importing.bulk import chunks
from qa_app.register.importing.mapping import Columns
from qa_app.register.importing.readers import Table
from qa_app.register.importing.report import ImportReport
from qa_app.standards.grading import is_good_or_better
from qa_app.standards.models import RubricVersion
from qa_app.timeutil import utcnow

__all__ = ["FIELDS", "validate", "write"]

Key = tuple[int | None, int | None, str, date]


def _key(row: AuditRow) -> Key:
    return row.plan_id, row.advice_id, row.rubric_id, row.audit_date


class Existing:
    """Earlier imported audits and every final grade of the file's subjects, looked up in bulk."""

    def __init__(self, rows: list[AuditRow]) -> None:
        plan_ids = sorted({r.plan_id for r in rows if r.plan_id is not None})
        advice_ids = sorted({r.advice_id for r in rows if r.advice_id is not None})
        self.audits: dict[Key, int] = {}
        self.finals: dict[Key, int] = {}
        self.by_cycle: dict[tuple[int, int | None, int | None], tuple[int, str, Key]] = {}
        for model, column, ids in ((Audit, "plan_id", plan_ids), (Audit, "advice_id", advice_ids),
                                   (FinalGrade, "plan_id", plan_ids),
                                   (FinalGrade, "advice_id", advice_ids)):
            for part in chunks(ids):
                self._load(model, getattr(model, column).in_(part))

    def _load(self, model: Any, where: Any) -> None:
        extra = (model.source,) if model is Audit else (model.method, model.cycle_id)
        query = (
            select(model.id, model.plan_id, model.advice_id, RubricVersion.rubric_id,
                   model.audit_date, *extra)
            .join(RubricVersion, RubricVersion.id == model.rubric_version_id)
            .where(where)
        )
        for ident, plan_id, advice_id, rubric_id, day, *rest in db.session.execute(query):
            key = (plan_id, advice_id, rubric_id, day)
            if model is Audit:
                if rest[0] == "import":
                    self.audits[key] = ident
                continue
            method, cycle_id = rest
            if method == "imported":
                self.finals[key] = ident
            if cycle_id is not None:
                self.by_cycle[(cycle_id, plan_id, advice_id)] = (ident, method, key)


def validate(table: Table, columns: Columns, report: ImportReport) -> list[AuditRow]:
    """Rows graded and matched to earlier imports; duplicates and clashes in a cycle refused."""
    ignored = {f.name for f in (*plan_import.FIELDS, *advice_import.FIELDS)}
    rows = resolve_subjects(validate_rows(table, columns, report, ignored), report)
    existing = Existing(rows)
    cycle_names = dict(db.session.execute(select(Cycle.id, Cycle.name)).all())
    seen: dict[Key, int] = {}
    in_cycle: dict[tuple[int, int | None, int | None], int] = {}
    chosen = []
    for row in rows:
        if row.bad:
            continue
        key = _key(row)
        earlier = seen.setdefault(key, row.number)
        if earlier != row.number:
            report.add(row.number, "subject_ref", f"the same audit (subject, rubric and date) "
                       f"is also on row {earlier}")
            continue
        if row.cycle_id is not None:
            slot = (row.cycle_id, row.plan_id, row.advice_id)
            other = in_cycle.setdefault(slot, row.number)
            held = existing.by_cycle.get(slot)
            if other != row.number:
                report.add(row.number, "cycle", f"row {other} already gives this subject its "
                           f"final grade in cycle {cycle_names[row.cycle_id]!r}")
                continue
            if held is not None and (held[1] != "imported" or held[2] != key):
                source = "a panel" if held[1] != "imported" else "an earlier import"
                report.add(row.number, "cycle", f"this subject already has a final grade in "
                           f"cycle {cycle_names[row.cycle_id]!r} (from {source})")
                continue
        row.existing_audit = existing.audits.get(key)
        row.existing_final = existing.finals.get(key)
        chosen.append(row)
    return chosen


def write(rows: list[AuditRow], report: ImportReport) -> None:
    """Create or update each audit (with its scores) and its final grade (with criteria)."""
    now = utcnow()
    audits = _loaded(Audit, Audit.scores, (r.existing_audit for r in rows))
    finals = _loaded(FinalGrade, FinalGrade.criteria, (r.existing_final for r in rows))
    for row in rows:
        audit = audits.get(row.existing_audit) if row.existing_audit else None
        final = finals.get(row.existing_final) if row.existing_final else None
        if audit is None:
            audit = Audit(source="import", status="submitted", submitted_at=now)
            db.session.add(audit)
        if final is None:
            final = FinalGrade(method="imported", finalised_at=now,
                               finalised_by_id=report.actor_id)
            db.session.add(final)
        old_grade = final.grade
        changed = _set_audit(audit, row) | _set_final(final, row)
        if old_grade is None:
            report.created += 1
        elif changed:
            report.updated += 1
            if old_grade != final.grade:
                db.session.flush()
                audit_log.record("final_grade.reimport", "final_grade", final.id,
                                 changes={"grade": [old_grade, final.grade]},
                                 user_id=report.actor_id,
                                 reason="historic audit imported again with a different grade")
        else:
            report.unchanged += 1
    db.session.flush()


def _loaded(model: Any, children: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, Any] = {}
    for part in chunks(wanted):
        query = select(model).options(selectinload(children)).where(model.id.in_(part))
        found.update({obj.id: obj for obj in db.session.execute(query).scalars()})
    return found


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _set_audit(audit: Audit, row: AuditRow) -> bool:
    result = row.result
    changed = _assign(audit, {
        "cycle_id": row.cycle_id, "plan_id": row.plan_id, "advice_id": row.advice_id,
        "auditor_id": row.auditor_id, "rubric_version_id": row.version.id,
        "audit_date": row.audit_date, "computed_grade": result.computed,
        "override_grade": result.override, "override_reason": result.override_reason,
    })
    scores = {score.criterion_id: score for score in audit.scores}
    for criterion_id, grade in row.grades.items():
        score = scores.pop(criterion_id, None)
        if score is None:
            audit.scores.append(AuditScore(criterion_id=criterion_id, grade=grade))
            changed = True
        elif score.grade != grade:
            score.grade = grade
            changed = True
    for score in scores.values():
        audit.scores.remove(score)
        changed = True
    return changed


def _set_final(final: FinalGrade, row: AuditRow) -> bool:
    rubric = row.version.rubric
    grade = row.result.final
    changed = _assign(final, {
        "cycle_id": row.cycle_id, "plan_id": row.plan_id, "advice_id": row.advice_id,
        "rubric_version_id": row.version.id, "academic_year": row.academic_year,
        "audit_date": row.audit_date, "grade": grade,
        "good_or_better": is_good_or_better(rubric, grade),
        "reason": row.result.override_reason,
    })
    graded = {cid: g for cid, g in row.grades.items() if g is not None}
    current = {c.criterion_id: c for c in final.criteria}
    for criterion_id, value in graded.items():
        entry = current.pop(criterion_id, None)
        good = is_good_or_better(rubric, value)
        if entry is None:
            final.criteria.append(FinalCriterionGrade(
                criterion_id=criterion_id, grade=value, good_or_better=good))
            changed = True
        elif entry.grade != value:
            entry.grade, entry.good_or_better = value, good
            changed = True
    for entry in current.values():
        final.criteria.remove(entry)
        changed = True
    return changed
