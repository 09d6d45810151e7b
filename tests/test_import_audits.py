"""Historic audits: graded exactly as the grading engine grades, stored as final grades."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.standards.grading import SubjectContext, computed_grades, overall_grade
from qa_app.standards.operations import current_versions
from qa_app.standards.rubric import load_rubric
from tests import factories as make
from tests.factories.imports import counts, csv_bytes, errors_of, run, xlsx_bytes

FIELDS = ["subject_ref", "rubric_id", "rubric_version", "audit_date", "cycle", "auditor_email"]
TAIL = ["overall", "override_reason"]


def rubric(app, name: str):
    return load_rubric(Path(app.config["RUBRICS_DIR"]) / f"{name}.yaml")


@pytest.fixture()
def world(app):
    make.on(app).shipped_rubrics()
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    plans = {
        "EHCP-Y5": make.on(app).plan(casework.id, "EHCP-Y5", nc_year=5),
        "EHCP-Y10": make.on(app).plan(casework.id, "EHCP-Y10", nc_year=10),
    }
    # requested 08/09/2025, due 20/10/2025
    late = make.on(app).advice(plans["EHCP-Y5"].id, health.id, received=date(2025, 10, 27))
    on_time = make.on(app).advice(plans["EHCP-Y10"].id, health.id, received=date(2025, 10, 1))
    excused = make.on(app).advice(plans["EHCP-Y10"].id, health.id, received=date(2025, 12, 1),
                                  exception="missed_appointment")
    return {"plans": plans, "late": late.ref, "on_time": on_time.ref,
            "excused": excused.ref, "health": health}


def plan_row(app, ref: str, grades: dict[str, object], **fields: object) -> tuple[list, list]:
    criteria = [c.id for c in rubric(app, "ehcp-plan").criteria]
    header = [*FIELDS, *criteria, *TAIL]
    values = {"subject_ref": ref, "rubric_id": "ehcp-plan", "audit_date": "12/11/2025",
              **fields, **grades}
    return header, [values.get(name, "") for name in header]


def advice_header(app) -> list[str]:
    return [*FIELDS, *(c.id for c in rubric(app, "advice-health").criteria), *TAIL]


def finals(app) -> list[FinalGrade]:
    with app.app_context():
        rows = db.session.execute(select(FinalGrade).order_by(FinalGrade.id)).scalars().all()
        for row in rows:
            _ = row.criteria
        db.session.expunge_all()
        return rows


def test_imported_audits_match_the_grading_engine(app, world):
    """Random grade sets, as values and as labels, give the engine's overall grade."""
    plan_rubric = rubric(app, "ehcp-plan")
    rng = random.Random(20251112)
    header, _ = plan_row(app, "x", {})
    rows, expected = [header], []
    for index in range(60):
        ref = "EHCP-Y10" if index % 2 else "EHCP-Y5"
        ctx = SubjectContext(nc_year=10 if index % 2 else 5, plan_kind="new")
        grades: dict[str, int | None] = {}
        cells: dict[str, object] = {}
        for criterion in plan_rubric.criteria:
            applies = criterion.applies_to_subject(ctx)
            grade = rng.choice([1, 2, 3, 4, 4, 3, None]) if applies else None
            grades[criterion.id] = grade
            if grade is None:
                cells[criterion.id] = rng.choice(["", "n/a", "N/A"])
            else:
                cells[criterion.id] = rng.choice([grade, plan_rubric.label_for(grade).upper()])
        if all(g is None for g in grades.values()):
            grades["child_voice"] = cells["child_voice"] = 3
        day = date(2024, 1, 1).toordinal() + index
        _, row = plan_row(app, ref, cells, audit_date=date.fromordinal(day).isoformat())
        rows.append(row)
        expected.append(overall_grade(plan_rubric, grades, ctx))
    report = run(app, "audits", csv_bytes(rows))
    assert report.ok, report.sorted_errors()[:5]
    assert report.created == 60
    stored = finals(app)
    assert [f.grade for f in stored] == expected
    assert all(f.method == "imported" and f.finalised_at is not None for f in stored)
    assert [f.good_or_better for f in stored] == [g >= 3 for g in expected]


def test_blank_timeliness_is_worked_out_from_the_advice_dates(app, world):
    health = rubric(app, "advice-health")
    header = advice_header(app)
    judged = {c.id: "Good" for c in health.criteria if c.is_judged}
    rows = [header]
    for ref in (world["late"], world["on_time"], world["excused"]):
        values = {"subject_ref": ref, "rubric_id": "advice-health", "audit_date": "03/11/2025",
                  **judged}
        rows.append([values.get(name, "") for name in header])
    report = run(app, "audits", csv_bytes(rows))
    assert report.ok, report.errors
    by_timeliness = {}
    for final in finals(app):
        grades = {c.criterion_id: c.grade for c in final.criteria}
        by_timeliness[final.advice_id] = grades.get("timeliness")
    late, on_time, excused = sorted(by_timeliness.items())
    timeliness = health.criterion("timeliness")
    ctx = SubjectContext(nc_year=5, plan_kind="new")
    assert late[1] == computed_grades(health, 7, ctx)["timeliness"]
    assert on_time[1] == 4 and excused[1] is None
    assert timeliness.kind == "computed"
    expected = overall_grade(health, {**{k: 3 for k in judged}, "timeliness": late[1]}, ctx)
    assert finals(app)[0].grade == expected


def test_an_audit_is_stored_as_submitted_import_with_scores_and_final_grade(app, world):
    auditor = make.on(app).user("qi_manager", email="Former.Auditor@example.org")
    with app.app_context():
        db.session.add(Cycle(name="Summer term 2025", start_date=date(2025, 4, 1),
                             end_date=date(2025, 7, 31), academic_year="2024/25"))
        db.session.commit()
    header, row = plan_row(app, "EHCP-Y5", {"child_voice": "Good", "aspirations": 3,
                                            "educational_needs": "Outstanding"},
                           audit_date="30/06/2025", cycle="Summer term 2025",
                           auditor_email="former.auditor@example.org",
                           rubric_version="2025.1")
    report = run(app, "audits", csv_bytes([header, row]))
    assert report.ok, report.errors
    with app.app_context():
        audit = db.session.execute(select(Audit)).scalar_one()
        assert (audit.source, audit.status, audit.auditor_id) == ("import", "submitted",
                                                                   auditor.id)
        assert audit.audit_date == date(2025, 6, 30) and audit.cycle_id is not None
        scores = {s.criterion_id: s.grade for s in audit.scores}
        assert scores["child_voice"] == 3 and scores["placement"] is None
        final = db.session.execute(select(FinalGrade)).scalar_one()
        assert final.academic_year == "2024/25" and final.cycle_id == audit.cycle_id
        assert final.grade == audit.computed_grade == 3
        assert {c.criterion_id for c in final.criteria} == {"child_voice", "aspirations",
                                                            "educational_needs"}


def test_override_needs_a_reason_and_cannot_beat_a_limiting_criterion(app, world):
    header, no_reason = plan_row(app, "EHCP-Y5", {"child_voice": 3, "aspirations": 3},
                                 overall="Outstanding")
    _, above_voice = plan_row(app, "EHCP-Y5", {"child_voice": 2, "aspirations": 4},
                              audit_date="13/11/2025", overall=4, override_reason="Strong")
    before = counts(app)
    report = run(app, "audits", csv_bytes([header, no_reason, above_voice]))
    assert errors_of(report) == [(2, "override_reason"), (3, "overall")]
    assert "limiting" in report.sorted_errors()[1].reason
    assert counts(app) == before
    _, fine = plan_row(app, "EHCP-Y5", {"child_voice": 3, "aspirations": 3}, overall=2,
                       override_reason="Panel agreed the outcomes were weak")
    assert run(app, "audits", csv_bytes([header, fine])).ok
    with app.app_context():
        audit = db.session.execute(select(Audit)).scalar_one()
        assert (audit.computed_grade, audit.override_grade) == (3, 2)
    assert finals(app)[0].grade == 2


def test_reimport_updates_in_place_and_logs_a_changed_grade(app, world):
    header, row = plan_row(app, "EHCP-Y5", {"child_voice": 3, "aspirations": 3})
    first = run(app, "audits", csv_bytes([header, row]))
    again = run(app, "audits", xlsx_bytes([header, row]), "audits.xlsx")
    assert (first.created, again.created, again.unchanged) == (1, 0, 1)
    _, lower = plan_row(app, "EHCP-Y5", {"child_voice": 2, "aspirations": 3})
    third = run(app, "audits", csv_bytes([header, lower]))
    assert (third.created, third.updated) == (0, 1)
    stored = finals(app)
    assert len(stored) == 1 and stored[0].grade == 2 and not stored[0].good_or_better
    with app.app_context():
        assert len(db.session.execute(select(Audit)).scalars().all()) == 1
        logged = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "final_grade.reimport")).scalar_one()
        assert logged.changes == {"grade": [3, 2]}
    _, other_day = plan_row(app, "EHCP-Y5", {"child_voice": 4}, audit_date="01/12/2025")
    assert run(app, "audits", csv_bytes([header, other_day])).created == 1
    assert len(finals(app)) == 2


def bad_cases(app, world) -> list[tuple[list[str], list[object], str, str]]:
    cases = []

    def case(column: str, reason: str, grades: dict, **fields: object) -> None:
        header, row = plan_row(app, fields.pop("ref", "EHCP-Y5"), grades, **fields)
        cases.append((header, row, column, reason))

    good = {"child_voice": 3}
    case("subject_ref", "no plan with reference 'EHCP-404'", good, ref="EHCP-404")
    case("rubric_id", "unknown rubric 'ehcp-plans'", good, rubric_id="ehcp-plans")
    case("rubric_version", "has no version '2030.1'", good, rubric_version="2030.1")
    case("audit_date", "is not a date", good, audit_date="Nov 2025")
    case("audit_date", "in the future", good, audit_date="01/01/2099")
    case("cycle", "no audit cycle called 'Autumn'", good, cycle="Autumn")
    case("auditor_email", "no user with the email", good, auditor_email="who@example.org")
    case("aspirations", "not a grade on the scale", {"child_voice": 3, "aspirations": "Fine"})
    case("preparation_for_adulthood", "does not apply",
         {"child_voice": 3, "preparation_for_adulthood": 3})
    case("overall", "no criterion is graded", {})
    case("overall", "not a grade on the scale", good, overall="7")
    return cases


def test_each_bad_audit_row_is_reported_and_nothing_is_written(app, world):
    for header, row, column, reason in bad_cases(app, world):
        _, fine = plan_row(app, "EHCP-Y10", {"child_voice": 3})
        before = counts(app)
        report = run(app, "audits", csv_bytes([header, fine, row]))
        assert errors_of(report) == [(3, column)], (column, report.errors)
        assert reason in report.errors[0].reason
        assert counts(app) == before


def test_unknown_criterion_column_and_advice_type_mismatch(app, world):
    header, row = plan_row(app, "EHCP-Y5", {"child_voice": 3})
    report = run(app, "audits", csv_bytes([[*header, "Glitter"], [*row, "4"]]))
    assert errors_of(report) == [(2, "Glitter")]
    assert "not a criterion of rubric ehcp-plan" in report.errors[0].reason
    blank_extra = run(app, "audits", csv_bytes([[*header, "Glitter"], [*row, ""]]))
    assert blank_extra.ok
    header = advice_header(app)
    values = {"subject_ref": world["late"], "rubric_id": "advice-educational-psychology",
              "audit_date": "01/11/2025", "child_voice": 3}
    wrong = run(app, "audits", csv_bytes([header, [values.get(n, "") for n in header]]))
    assert errors_of(wrong) == [(2, "rubric_id")]
    assert "is health advice" in wrong.errors[0].reason


def test_duplicates_and_clashes_with_a_panels_final_grade(app, world):
    header, row = plan_row(app, "EHCP-Y5", {"child_voice": 3})
    dup = run(app, "audits", csv_bytes([header, row, row]))
    assert errors_of(dup) == [(3, "subject_ref")]
    with app.app_context():
        cycle = Cycle(name="Autumn term 2025", start_date=date(2025, 9, 1),
                      end_date=date(2025, 12, 19), academic_year="2025/26")
        db.session.add(cycle)
        db.session.flush()
        db.session.add(FinalGrade(cycle_id=cycle.id, plan_id=world["plans"]["EHCP-Y5"].id,
                                  rubric_version_id=current_versions()["ehcp-plan"].id,
                                  academic_year="2025/26",
                                  audit_date=date(2025, 10, 1), grade=3, good_or_better=True,
                                  method="agreed"))
        db.session.commit()
    _, in_cycle = plan_row(app, "EHCP-Y5", {"child_voice": 3}, cycle="Autumn term 2025")
    before = counts(app)
    clash = run(app, "audits", csv_bytes([header, in_cycle]))
    assert errors_of(clash) == [(2, "cycle")]
    assert "already has a final grade" in clash.errors[0].reason
    assert counts(app) == before


def test_criterion_columns_can_be_renamed_by_a_mapping_file(app, world):
    header, row = plan_row(app, "EHCP-Y5", {"child_voice": 2, "aspirations": 3})
    header = ["Reference" if h == "subject_ref" else "Voice" if h == "child_voice" else h
              for h in header]
    mapping = b"subject_ref: Reference\nchild_voice: Voice\n"
    report = run(app, "audits", csv_bytes([header, row]), mapping=mapping)
    assert report.ok, report.errors
    assert finals(app)[0].grade == 2


def test_command_imports_historic_audits(app, world, runner, tmp_path):
    header, row = plan_row(app, "EHCP-Y5", {"child_voice": "good"})
    path = tmp_path / "history.csv"
    path.write_bytes(csv_bytes([header, row]))
    result = runner.invoke(["import", "audits", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    _, bad = plan_row(app, "EHCP-Y5", {"child_voice": "superb"}, audit_date="02/02/2025")
    path.write_bytes(csv_bytes([header, bad]))
    result = runner.invoke(["import", "audits", str(path)])
    assert result.exit_code == 1
    assert "row 2: child_voice: 'superb' is not a grade on the scale" in result.output
