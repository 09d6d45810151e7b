"""Status rules that fit the count: complete counts on the margin alone, a minimum sample
before a rate is judged or opens an action, actions that close only on recovery."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.reporting.labels import percent_text
from qa_app.reporting.models import ImprovementAction, RateSnapshot
from qa_app.reporting.operations import current_targets, run_aggregation
from qa_app.standards.targets import Targets, parse_targets
from qa_app.standards.yaml_lines import RubricError
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in

AS_OF = date(2026, 8, 31)
PLANS, ON_TIME = "plans_good_or_better", "advice_on_time"
SHIPPED_TARGETS = Path(__file__).resolve().parent.parent / "rubrics" / "targets.yaml"


@pytest.fixture()
def targets() -> Targets:
    return parse_targets(SHIPPED_TARGETS.read_text(encoding="utf-8"), "targets.yaml")


def aggregate(app, targets: Targets | None = None) -> None:
    with app.app_context():
        run_aggregation(as_of=AS_OF, targets=targets)
        db.session.commit()


def graded_plans(agency_id: int, cycle_id: int, rubric: int, good: int, n: int) -> list[int]:
    ids = []
    for index in range(n):
        plan = build.plan(agency_id).id
        ids.append(build.final_grade(rubric, 3 if index < good else 2, cycle_id=cycle_id,
                                     plan_id=plan, criteria={"child_voice": 3}).id)
    return ids


def advice_due(agency_id: int, plan_id: int, start: date, on_time: int, late: int) -> None:
    """Advice due on consecutive days from `start`: the first `on_time` arrive on the day."""
    for index in range(on_time + late):
        due = start + timedelta(days=index)
        received = due if index < on_time else due + timedelta(days=3)
        build.advice(plan_id, agency_id, requested=due - timedelta(days=42), received=received)


def snapshot(agency_id: int | None, measure: str, period_key: str | None = None) -> RateSnapshot:
    from qa_app.reporting.queries import current_run

    run = current_run("academic_year", period_key or "2025/26")
    return db.session.execute(select(RateSnapshot).where(
        RateSnapshot.run_id == run.id, RateSnapshot.measure == measure,
        RateSnapshot.scope == "all", RateSnapshot.breakdown == "",
        RateSnapshot.agency_id.is_(None) if agency_id is None
        else RateSnapshot.agency_id == agency_id)).scalar_one()


def open_actions() -> list[tuple[int, str, str]]:
    return [tuple(row) for row in db.session.execute(
        select(ImprovementAction.agency_id, ImprovementAction.measure, ImprovementAction.scope)
        .where(ImprovementAction.status == "open").order_by(ImprovementAction.id)).all()]


def table_text(html: str) -> str:
    tables = re.findall(r"<table.*?</table>", html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(tables)))


# --- the rule itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "good", "n", "margin", "status"),
    [
        (ON_TIME, 79, 100, 5.0, "amber"),   # within the margin
        (ON_TIME, 79, 100, 0.5, "red"),     # 80% lies inside 70.0-85.9%, which does not apply
        (ON_TIME, 6, 10, 5.0, "red"),       # so does 31.3-83.2%; 60% is far below
        (PLANS, 6, 10, 5.0, "amber"),       # a sample: the interval does apply
        (PLANS, 79, 100, 0.5, "amber"),
        ("plans_issued_in_20_weeks", 0, 1, 5.0, "red"),  # every record: no minimum
        (PLANS, 0, 1, 5.0, None),           # too few to judge
        (PLANS, 4, 4, 5.0, None),
        (PLANS, 3, 10, 5.0, "red"),
        (PLANS, 8, 10, 5.0, "green"),
    ],
)  # fmt: skip
def test_status_follows_the_kind_of_count(targets: Targets, measure: str, good: int, n: int,
                                          margin: float, status: str | None) -> None:
    from qa_app.reporting.stats import percent, wilson_interval

    rule = replace(targets, amber_margin_points=margin)
    low, high = wilson_interval(good, n)
    assert rule.rag(percent(good, n), low, high, 80.0, measure=measure, good=good,
                    n=n) == status


def test_status_is_decided_on_the_exact_fraction(targets: Targets) -> None:
    # 43 of 54 is 79.6%: a rate rounded to 80 must not make it on target
    assert targets.rag(80.0, None, None, 80.0, measure=PLANS, good=43, n=54) == "amber"
    assert targets.rag(80.0, None, None, 80.0, measure=PLANS, good=44, n=55) == "green"


def test_minimum_sample_is_a_setting(targets: Targets) -> None:
    assert targets.min_n == 5
    fewer = replace(targets, min_n=3)
    assert fewer.rag(66.7, 20.8, 93.9, 80.0, measure=PLANS, good=2, n=3) == "amber"
    assert targets.rag(66.7, 20.8, 93.9, 80.0, measure=PLANS, good=2, n=3) is None


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [("min_n: 0", "must be at least 1, not 0"), ("min_n: few", "must be a whole number"),
     ("min_n: 2.5", "must be a whole number")],
)
def test_a_bad_minimum_sample_names_its_file_and_line(setting: str, fragment: str) -> None:
    text = SHIPPED_TARGETS.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  min_n: 5", "  " + setting, text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("  min_n:"))
    with pytest.raises(RubricError) as caught:
        parse_targets(text, "targets.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.key) == ("targets.yaml", line, "rag.min_n")
    assert fragment in problem.message and f"targets.yaml:{line}" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "target", "text"),
    [
        (Fraction(100 * 43, 54), 80.0, "79.6%"),
        (Fraction(100 * 3999, 4000), 100.0, "99.9%"),   # 99.975% would round up to 100.0%
        (Fraction(100 * 3999, 4000), None, "100.0%"),
        (Fraction(7996, 100), 80.0, "79.9%"),
        (Fraction(8004, 100), 80.01, "80.1%"),          # at or above stays at or above
        (Fraction(100 * 4, 5), 80.0, "80.0%"),
        (None, 80.0, "–"),
    ],
)  # fmt: skip
def test_a_printed_percentage_never_crosses_its_target(value: Fraction | None,
                                                        target: float | None, text: str) -> None:
    assert percent_text(value, target) == text


# --- small samples: stored, shown and acted on -----------------------------------------------


@pytest.fixture()
def small_and_large(app):
    """One plan of one agency, none good (0 of 1); 3 of 10 of another's."""
    with app.app_context():
        few = build.agency("Small Casework Team", "local_authority").id
        many = build.agency("Large Casework Team", "local_authority").id
        rubric = build.rubric().id
        autumn = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        graded_plans(few, autumn, rubric, 0, 1)
        graded_plans(many, autumn, rubric, 3, 10)
        db.session.commit()
    return {"few": few, "many": many}


def test_one_plan_is_too_few_to_judge_and_opens_no_action(app, client, small_and_large):
    few, many = small_and_large["few"], small_and_large["many"]
    aggregate(app)
    with app.app_context():
        small = snapshot(few, PLANS)
        assert (small.n, small.good, small.target, small.rag) == (1, 0, 80.0, None)
        assert snapshot(many, PLANS).rag == "red"
        assert open_actions() == [(many, PLANS, "all")]
    sign_in(client, make.on(app).user("qi_manager").email)
    text = table_text(client.get(f"/rates?year=2025/26&measure={PLANS}").get_data(as_text=True))
    assert "Small Casework Team All 1 0 0.0% " in text
    small_row = text.split("Small Casework Team All")[1].split("Large")[0]
    assert "Too few to judge" in small_row and "Below target" not in small_row
    assert "Large Casework Team All 10 3 30.0%" in text
    api = _api_rates(app, client, PLANS)
    by_agency = {row["agency"]: row for row in api if row["period"] == "2025/26"
                 and row["scope"] == "all" and row["breakdown"] == ""}
    assert (by_agency["Small Casework Team"]["rag"], by_agency["Small Casework Team"]["status"],
            by_agency["Small Casework Team"]["status_text"]) == (
        None, "too_few_to_judge", "Too few to judge")
    assert by_agency["Large Casework Team"]["status_text"] == "Below target"
    small_csv = next(r for r in _export_rows(client) if (
        r["measure_code"], r["scope_code"], r["breakdown_code"], r["Agency"]) == (
        PLANS, "all", "", "Small Casework Team"))
    assert small_csv["Status"] == "Too few to judge"


def _api_rates(app, client, measure: str) -> list[dict]:
    from qa_app.api.tokens import create_token
    from qa_app.auth.models import User

    manager = make.on(app).user("qi_manager")
    with app.app_context():
        _, token = create_token(db.session.get(User, manager.id), "status test")
        db.session.commit()
    body = client.get(f"/api/v1/rates?measure={measure}&period_kind=academic_year",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    return body["data"]


def _export_rows(client) -> list[dict[str, str]]:
    import csv
    import io

    raw = client.get("/dashboard/export/rates.csv?year=2025/26").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))


def test_a_complete_count_is_judged_on_the_margin_alone(app):
    with app.app_context():
        health = build.agency("Community Paediatrics").id
        plan = build.plan(build.agency("Casework", "local_authority").id).id
        build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19))
        advice_due(health, plan, date(2025, 9, 15), on_time=79, late=21)
        db.session.commit()
        narrow = replace(current_targets(), amber_margin_points=0.5)
    aggregate(app)
    with app.app_context():
        counted = snapshot(health, ON_TIME)
        assert (counted.n, counted.good) == (100, 79)
        assert counted.rag == "amber"  # 79 is within 5 points of 80
    aggregate(app, narrow)
    with app.app_context():
        counted = snapshot(health, ON_TIME)
        assert counted.rag == "red"  # 80% would lie inside a sampling interval
        assert counted.ci_low is None and counted.ci_high is None  # which does not apply


# --- improvement actions close only on evidence of recovery ----------------------------------


def test_a_rate_action_stays_open_when_too_few_remain(app, small_and_large):
    many = small_and_large["many"]
    aggregate(app)
    with app.app_context():
        assert open_actions() == [(many, PLANS, "all")]
        plans = [p for p in db.session.execute(select(FinalGrade).join(
            FinalGrade.plan).where(FinalGrade.plan.has(agency_id=many))).scalars()]
        keep = next(g for g in plans if g.good_or_better)
        for grade in plans:
            if grade.id != keep.id:
                db.session.delete(grade)
        db.session.commit()
    aggregate(app)  # 1 of 1 good: no evidence of recovery
    with app.app_context():
        assert (snapshot(many, PLANS).n, snapshot(many, PLANS).good) == (1, 1)
        assert open_actions() == [(many, PLANS, "all")]


def test_a_lateness_action_stays_open_until_enough_advice_is_on_time(app):
    cycles = [("Autumn 2025", date(2025, 9, 1), date(2025, 12, 12), 2, 4),
              ("Spring 2026", date(2026, 1, 5), date(2026, 3, 27), 2, 4)]
    with app.app_context():
        health = build.agency("Community Paediatrics").id
        plan = build.plan(build.agency("Casework", "local_authority").id).id
        for name, start, end, on_time, late in cycles:
            build.cycle(name, start, end)
            advice_due(health, plan, start + timedelta(days=2), on_time, late)
        db.session.commit()
    aggregate(app)

    def lateness() -> ImprovementAction:
        return db.session.execute(select(ImprovementAction).where(
            ImprovementAction.scope == "consistently_late")).scalar_one()

    with app.app_context():
        assert lateness().status == "open" and "Spring 2026: 2 of 6 on time" in lateness().reason
        build.cycle("Summer 2026", date(2026, 4, 13), date(2026, 5, 22))
        advice_due(health, plan, date(2026, 4, 20), on_time=1, late=0)  # 1 of 1: too small
        db.session.commit()
    aggregate(app)
    with app.app_context():
        assert lateness().status == "open"
        build.cycle("Summer holiday 2026", date(2026, 6, 1), date(2026, 6, 30))  # no advice
        db.session.commit()
    aggregate(app)
    with app.app_context():
        assert lateness().status == "open"
        build.cycle("Late summer 2026", date(2026, 7, 1), date(2026, 8, 28))
        advice_due(health, plan, date(2026, 7, 6), on_time=6, late=0)
        db.session.commit()
    aggregate(app)
    with app.app_context():
        action = lateness()
        assert action.status == "closed"
        assert "Late summer 2026: 6 of 6 on time" in action.closing_note


# --- one way to write a figure and its status, everywhere -------------------------------------


@pytest.fixture()
def near_miss(app):
    """43 of 54 plans good or better (79.6%) against a target of 80%."""
    with app.app_context():
        casework = build.agency("SEND Casework Team", "local_authority").id
        autumn = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        graded_plans(casework, autumn, build.rubric().id, 43, 54)
        db.session.commit()
    aggregate(app)
    return {"casework": casework, "cycle": autumn}


RECOUNT = f"{100 * 43 / 54:.1f}"  # "79.6", by plain Python


def test_43_of_54_reads_79_6_percent_near_target_everywhere(app, client, runner, near_miss):
    assert RECOUNT == "79.6"
    sign_in(client, make.on(app).user("qi_manager").email)
    page = table_text(client.get(f"/rates?year=2025/26&measure={PLANS}").get_data(as_text=True))
    row = page.split("Partnership (all agencies) All")[1].split("SEND Casework Team")[0]
    assert row.split()[:3] == ["54", "43", f"{RECOUNT}%"] and "80.0% Near target" in row
    assert "80.0% 80.0%" not in page

    exported = next(r for r in _export_rows(client) if (
        r["measure_code"], r["scope_code"], r["breakdown_code"], r["Agency"]) == (
        PLANS, "all", "", "Whole partnership"))
    assert (exported["Records counted"], exported["Good or better"], exported["Rate (%)"]) == (
        "54", "43", RECOUNT)
    assert (exported["Target (%)"], exported["Status"]) == ("80.0", "Near target")

    printed = runner.invoke(["rates", "--year", "2025/26", "--measure", PLANS])
    line = next(x for x in printed.output.splitlines() if "Partnership" in x and " all " in x)
    assert f"{RECOUNT}%" in line and re.search(r"80\.0%\s+Near target$", line.rstrip())
    as_json = json.loads(runner.invoke(["rates", "--year", "2025/26", "--measure", PLANS,
                                        "--format", "json"]).output)
    partnership = next(r for r in as_json if r["agency"] == "Partnership" and r["scope"] == "all")
    assert (partnership["rate"], partnership["status_text"]) == (79.6, "Near target")

    api = [r for r in _api_rates(app, client, PLANS) if r["agency"] is None]
    assert {(r["status"], r["status_text"]) for r in api if r["scope"] == "all"} == {
        ("amber", "Near target")}

    letter_pdf_text, letter_html = _letter(app, near_miss["casework"], near_miss["cycle"])
    assert f"EHC plans rated good or better 54 43 {RECOUNT}% 80.0% Near target" in \
        letter_pdf_text
    html_row = table_text(letter_html).split("EHC plans rated good or better")[1]
    assert html_row.split()[:5] == ["54", "43", f"{RECOUNT}%", "80.0%", "Near"]
    for old in ("Close to target", "80%"):
        assert old not in letter_pdf_text and old not in letter_html


def _letter(app, agency_id: int, cycle_id: int) -> tuple[str, str]:
    """The agency's letter for the cycle, built from the stored figures as letters are."""
    import io

    from flask import render_template_string
    from pypdf import PdfReader

    from qa_app.letters.content import agency_figures
    from qa_app.letters.document import Facts, Figure, LetterContent, Letterhead, long_date
    from qa_app.letters.pdf import letter_pdf, salutation

    with app.test_request_context():
        now = agency_figures(agency_id, cycle_id)
        facts = Facts(
            agency_id=agency_id, agency_name="SEND Casework Team", cycle_id=cycle_id,
            cycle_name="Autumn term 2025", academic_year="2025/26", previous_cycle_name=None,
            plans=54, advice=0, figures=(Figure("EHC plans rated good or better",
                                                now[(PLANS, "all", "")], None),),
            strengths=(), areas=(), items=(), response_working_days=20)
        content = LetterContent(
            Letterhead("Example SEND Partnership"), facts, "QA/1/1/v1", 1, True,
            date(2026, 1, 5), None, "Opening.", "Strengths.", "Areas.", "A chair", "Chair",
            "/letters/1", "The lead for SEND Casework Team")
        pdf = PdfReader(io.BytesIO(letter_pdf(content)))
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        html = render_template_string(
            '{% from "letters/_letter.html" import letter_body with context %}'
            "{{ letter_body(content, content.shown_facts) }}",
            content=content, long_date=long_date, salutation=salutation)
    return text, html
