"""A family answers the survey in real Chromium on a phone-sized screen, and every page they
can meet (start, questions with an error, check, thank you, already answered, closed) passes
axe, runs GOV.UK Frontend under the CSP and reflows to 320 CSS px; so do the manager's
survey pages."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import update

from qa_app.extensions import db
from qa_app.surveys.models import SurveyLink
from qa_app.surveys.operations import (
    load_survey_files,
    make_family_links,
    save_answers,
    start_practitioner_run,
    token_hash,
)
from qa_app.surveys.queries import family_version
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in

pytestmark = pytest.mark.e2e


def check(page: Page, log: BrowserLog, label: str) -> None:
    check_page(page, log, label)
    fits_320(page, label)


def _world(app: Flask) -> dict:
    with app.app_context():
        casework = make.agency("SEND Casework Team", "local_authority")
        plans = [make.plan(casework.id) for _ in range(3)]
        cycle = make.sampled_cycle([p.id for p in plans], [])
        manager = make.user("qi_manager", casework.name)
        load_survey_files()
        pairs = make_family_links(cycle, 14)
        run, staff_pairs = start_practitioner_run(
            "Spring term 2027", "practitioner-confidence", date.today() + timedelta(days=30))
        answered = db.session.scalars(
            db.select(SurveyLink).where(SurveyLink.token_hash == token_hash(pairs[2][1]))).one()
        save_answers(answered, family_version("parent_carer"),
                     {"overall_experience": 3, "listened_to": 3, "child_views_in_plan": 3,
                      "plan_is_clear": 2, "kept_informed": 4,
                      "what_would_help": "Fewer meetings at short notice."})
        db.session.execute(update(SurveyLink).where(
            SurveyLink.token_hash == token_hash(pairs[1][1]))
            .values(expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        return {"tokens": [token for _, token in pairs], "staff": staff_pairs[0][1],
                "manager": manager.email, "cycle": cycle.id, "run": run.id}


def test_a_family_answers_on_a_phone(app: Flask, page: Page, browser_log: BrowserLog,
                                     caplog: pytest.LogCaptureFixture) -> None:
    world = _world(app)
    caplog.set_level(logging.INFO)
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(f"/feedback/{world['tokens'][0]}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about the EHC plan")
    check(page, browser_log, "family start")
    page.get_by_label("I am the young person the plan is for").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about your plan")
    check(page, browser_log, "young person's questions")

    page.get_by_role("button", name="Continue").click()  # nothing chosen: errors
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check(page, browser_log, "questions with errors")

    page.get_by_role("group", name="How was making your plan?").get_by_label("Good",
                                                                           exact=True).check()
    for question in ("Did people ask what you think?", "Does your plan sound like you?",
                     "Does the plan say the help you need?"):
        page.get_by_role("group", name=question).get_by_label("Yes", exact=True).check()
    page.get_by_label("Is there anything else you want to tell us? (optional)").fill(
        "I liked seeing my own words in it.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    check(page, browser_log, "check your answers")
    page.get_by_role("button", name="Send your answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    check(page, browser_log, "thank you")

    page.goto(f"/feedback/{world['tokens'][0]}")
    expect(page.get_by_role("heading", level=1)).to_have_text("You have already answered")
    check(page, browser_log, "already answered")
    page.goto(f"/feedback/{world['tokens'][1]}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This survey has closed")
    check(page, browser_log, "closed")
    assert "/feedback/[secret]" in caplog.text  # the server logged the requests ...
    assert not any(token in caplog.text for token in world["tokens"])  # ... not the secrets


def test_staff_answer_and_the_manager_reads_the_results(
        app: Flask, page: Page, browser_log: BrowserLog) -> None:
    world = _world(app)
    page.goto(f"/confidence/{world['staff']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confidence in writing advice and plans")
    check(page, browser_log, "practitioner questions")

    sign_in(page, world["manager"])
    for path, heading in (("/surveys/", "Surveys"),
                          (f"/surveys/results?cycle={world['cycle']}&run={world['run']}",
                           "Survey results"),
                          ("/surveys/answers", "Written answers"),
                          (f"/surveys/cycles/{world['cycle']}/family-links", "Make family links"),
                          ("/surveys/runs/new", "Start a practitioner survey")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check(page, browser_log, path)
    page.goto("/surveys/answers")
    expect(page.get_by_text("Fewer meetings at short notice.")).to_be_visible()
    page.get_by_role("button", name="May be quoted anonymously").click()
    expect(page.locator(".govuk-tag", has_text="Quotable")).to_be_visible()
    check(page, browser_log, "answer marked quotable")
