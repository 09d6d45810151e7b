"""Guards on the survey, library, challenge, re-audit, calibration, learning, board, people,
agency, standards upload, email and API pages: a staff survey link asks the survey its run was
started with; every POST refuses a form without its CSRF token and writes nothing; agency
leads reach no survey answers or figures; forged or oversized survey answers are refused."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.surveys.models import SurveyAnswer, SurveyResponse
from qa_app.surveys.operations import load_survey_files, start_practitioner_run
from tests import factories as make
from tests.factories import ROLES, csrf_token, sign_in

GUARDED = ("surveys", "survey_answers", "library", "challenges", "reaudit", "calibration",
         "learning", "board", "sections", "people", "agencies", "standards", "mail", "api",
         "api_tokens")

SECOND_PRACTITIONER_SURVEY = """\
id: a-staff-wellbeing
title: Staff wellbeing check
version: "2026.1"
audience: practitioner
respondent: practitioner
intro: A short check on workload.
scales:
  agree:
    levels:
      - {value: 1, label: Disagree}
      - {value: 2, label: Agree}
    good_or_better: 2
questions:
  - id: workload_ok
    text: My workload this term has been manageable.
    kind: scale
    scale: agree
"""


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) or 0
            for t in db.metadata.sorted_tables}


def _practitioner_run(app: Flask, tmp_path: Path) -> str:
    """Two practitioner surveys loaded; a run of the confidence survey. Its first link path."""
    extra = tmp_path / "a-staff-wellbeing.yaml"
    extra.write_text(SECOND_PRACTITIONER_SURVEY, encoding="utf-8")
    with app.app_context():
        make.agency("SEND Casework Team", "local_authority")
        make.agency("Community Paediatrics", "health")
        load_survey_files()
        load_survey_files([extra])
        _, pairs = start_practitioner_run("Autumn confidence", "practitioner-confidence",
                                          date.today() + timedelta(days=30))
        db.session.commit()
    return f"/confidence/{pairs[0][1]}"


def test_a_practitioner_link_asks_the_questions_of_its_own_runs_survey(app, tmp_path) -> None:
    """With two staff surveys loaded, a "practitioner-confidence" run's link asks that survey's
    questions, not the other one's (which sorts first by id)."""
    path = _practitioner_run(app, tmp_path)
    staff = app.test_client()
    page = staff.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "shows what the child or young person thinks" in text, \
        "the link of a confidence-survey run shows another survey's questions"
    assert "My workload this term has been manageable" not in text


def test_practitioner_answers_are_counted_in_their_runs_results(app, tmp_path) -> None:
    """An answer sent through a run's link is stored against the run's survey, so the run's
    confidence results count it."""
    path = _practitioner_run(app, tmp_path)
    staff = app.test_client()
    token = csrf_token(staff, path)
    answers = {"capture_child_voice": "4", "describe_needs": "3", "write_outcomes": "3",
               "specify_provision": "3", "meet_deadline": "3", "workload_ok": "2"}
    staff.post(path, data={**answers, "csrf_token": token})
    staff.post(path + "/send", data={**answers, "csrf_token": token})
    with app.app_context():
        stored = {a.question_id for a in db.session.scalars(select(SurveyAnswer))}
    assert "capture_child_voice" in stored and "workload_ok" not in stored, sorted(stored)


def test_every_guarded_post_route_refuses_a_form_without_its_csrf_token(app) -> None:
    """CSRF is checked app-wide before any view, for every role and the public
    survey pages; a post without the token is a 400 page and writes nothing."""
    world = make.on(app).security_world()
    rules = [r for r in app.url_map.iter_rules()
             if "POST" in r.methods and r.endpoint.split(".")[0] in GUARDED]
    assert rules
    failures = []
    for role in ROLES:
        client = app.test_client()
        assert sign_in(client, world.emails[role]).status_code == 302
        for rule in rules:
            url = re.sub(r"<[^>]+>", "1", rule.rule)
            with app.app_context():
                before = _row_counts()
            response = client.post(url, data={"name": "x", "reason": "x", "commentary": "x",
                                              "confirmed": "yes", "checked": "y"})
            with app.app_context():
                after = _row_counts()
            changed = {k for k in before if k != "audit_log" and before[k] != after[k]}
            if response.status_code != 400 or changed:
                failures.append(f"{role} POST {url} -> {response.status_code} {changed}")
    assert not failures, "\n".join(failures)


def test_an_agency_lead_reaches_no_survey_answers_or_survey_figures(app) -> None:
    """Written family answers and survey results are for managers only."""
    world = make.on(app).security_world()
    lead = app.test_client()
    sign_in(lead, world.emails["agency_lead"])
    for url in ("/surveys/", "/surveys/answers", "/surveys/answers?pick=cycle:1",
                "/surveys/results", "/api/v1/surveys/measures",
                f"/surveys/cycles/{world.open_cycle_id}/family-links"):
        assert lead.get(url).status_code == 404, url
    token = csrf_token(lead, "/")
    assert lead.post("/surveys/answers/1/quotable",
                     data={"csrf_token": token, "quotable": "y"}).status_code == 404


def test_forged_or_oversized_survey_answers_are_refused_and_nothing_is_stored(app) -> None:
    """An unknown scale value, an unknown respondent, a 100,000-character written
    answer and an unknown secret are each refused without a server error or a stored row."""
    with app.app_context():
        casework = make.agency("SEND Casework Team", "local_authority")
        plans = [make.plan(casework.id) for _ in range(2)]
        make.sampled_cycle([p.id for p in plans], [])
        load_survey_files()
        _, pairs = start_practitioner_run("Spring confidence", "practitioner-confidence",
                                          date.today() + timedelta(days=30))
        db.session.commit()
    path = f"/confidence/{pairs[0][1]}"
    staff = app.test_client()
    token = csrf_token(staff, path)
    forged = {"capture_child_voice": "99", "describe_needs": "3", "write_outcomes": "3",
              "specify_provision": "3", "meet_deadline": "3",
              "support_needed": "x" * 100_000}
    for url in (path, path + "/send"):
        response = staff.post(url, data={**forged, "csrf_token": token})
        assert response.status_code == 400, url
        assert "Check your answers" not in response.get_data(as_text=True)
    assert staff.get("/confidence/" + "A" * 5000).status_code == 404
    assert staff.get("/feedback/not-a-real-secret-at-all/grandparent").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
