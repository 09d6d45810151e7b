"""A whole cycle in real Chromium, watched from the manager's task list: sample, panel,
scoring, moderation, figures, letters, a response and closing, each permanent step taken from
its check page (axe-core on each). And a chair's line breaks, sent by the browser as CRLF,
reach the issued PDF as line breaks, never as a replacement character."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, check_page, sign_in, sign_out
from tests.services import need

pytestmark = pytest.mark.e2e

CYCLE = "Spring term 2026"
PLAN_REF = "EHCP-C-001"
ADVICE_REF = "ADV-C-001"


@pytest.fixture()
def people(app: Flask) -> dict[str, str]:
    """One plan and its health advice, two auditors from other agencies, a chair, the
    manager and the health lead: a cycle of two subjects and four audits."""
    make.on(app).shipped_rubrics()
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    social = make.on(app).agency("Children's Social Care", "social_care")
    plan = make.on(app).plan(casework.id, ref=PLAN_REF, nc_year=5)
    make.on(app).advice(plan.id, health.id, ref=ADVICE_REF, received=date(2025, 10, 1))
    make.on(app).cycle(CYCLE, date(2026, 1, 5), date(2026, 3, 27))
    person = make.on(app).person
    return {
        "manager": person("qi_manager", email="manager@example.org").email,
        "chair": person("panel_chair", email="chair@example.org", name="Chris Chair").email,
        "ann": person("auditor", psychology.id, "ann@example.org", "Ann Psychologist").email,
        "sam": person("auditor", social.id, "sam@example.org", "Sam Social").email,
        "lead": person("agency_lead", health.id, "lead@example.org", "Lee Lead").email,
    }


def task(page: Page, key: str) -> Locator:
    return page.locator(f".app-cycle-task--{key}")


def task_list(page: Page, manager: str) -> None:
    """The manager's cycle page, signed in afresh."""
    sign_in(page, manager)
    page.goto("/cycles/")
    page.get_by_role("link", name=CYCLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CYCLE)


def status_is(page: Page, key: str, words: str, detail: str | None = None) -> None:
    expect(task(page, key).locator(".govuk-task-list__status")).to_have_text(words)
    if detail is not None:
        expect(task(page, key)).to_contain_text(detail)


def manager_draws_the_sample(page: Page, log: BrowserLog) -> None:
    status_is(page, "sample", "Not yet started", "Not drawn yet")
    page.get_by_label("Number of plans").fill("1")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Sample drawn")
    status_is(page, "sample", "Completed", "1 plan and 1 piece of advice")
    page.get_by_text("Draw the sample again", exact=True).first.click()
    page.get_by_label("Seed").fill("321")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draw the sample again")
    check_page(page, log, "the redraw check page")
    page.get_by_role("button", name="Draw the sample again").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("seed 321")
    status_is(page, "sample", "Completed", "1 plan and 1 piece of advice")
    status_is(page, "panels", "Not yet started", "No panels yet")
    status_is(page, "assigned", "Cannot start yet")


def manager_sets_up_the_panel(page: Page) -> None:
    task(page, "panels").get_by_role("link", name="Set up the panels").click()
    page.get_by_role("button", name="Create a panel").click()
    page.get_by_label("Cycle", exact=True).select_option(label=f"{CYCLE} (2025/26)")
    page.get_by_label("Panel name").fill("Spring panel")
    page.get_by_label("Chair", exact=True).select_option(label="Chris Chair (chair@example.org)")
    page.get_by_label("Ann Psychologist, Educational Psychology Service").check()
    page.get_by_label("Sam Social, Children's Social Care").check()
    page.get_by_role("button", name="Create panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring panel")
    page.get_by_role("button", name="Assign the sample").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("4 audits assigned")


def auditor_scores_both(page: Page, log: BrowserLog, email: str) -> None:
    sign_in(page, email)
    for ref in (PLAN_REF, ADVICE_REF):
        page.goto("/my-audits/")
        page.get_by_role("link", name=ref, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(ref)
        for radio in page.locator('input[type="radio"][name^="grade_"][value="3"]').all():
            radio.check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("before you submit it")
        assert_accessible(page, f"checking the audit of {ref}", log)
        page.get_by_role("button", name="Submit audit").click()
        expect(page.locator(".govuk-panel")).to_contain_text("Audit submitted")
        assert_accessible(page, f"the audit of {ref} submitted", log)
    sign_out(page)


def chair_finalises(page: Page, log: BrowserLog, chair: str) -> None:
    sign_in(page, chair)
    page.goto("/moderation/")
    page.get_by_role("link", name="Spring panel").click()
    page.get_by_role("button", name="Finalise 2 agreed grades").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the agreed grades before you finalise them")
    assert_accessible(page, "checking the agreed grades", log)
    page.get_by_role("button", name="Finalise 2 agreed grades").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 agreed grades")
    sign_out(page)


def chair_issues_the_health_letter(page: Page, log: BrowserLog, chair: str) -> None:
    sign_in(page, chair)
    page.goto("/letters/")
    page.get_by_role("row", name=re.compile("^Community Paediatrics")).get_by_role(
        "link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter to Community Paediatrics")
    page.get_by_role("link", name="Check before issuing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before issuing the letter")
    expect(page.locator("main")).to_contain_text("What is not finished")
    assert_accessible(page, "the issue check page", log)
    page.get_by_role("button", name="Issue letter").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("issued")
    sign_out(page)


def lead_sends_a_response(page: Page, log: BrowserLog, lead: str) -> None:
    due = date.today() + timedelta(days=90)
    sign_in(page, lead)
    page.goto("/letters/")
    page.locator("main table").get_by_role("link").first.click()
    page.get_by_role("link", name="Write your agency’s response").click()
    page.get_by_label("What will change").fill("Quote each child's own words in section A.")
    page.get_by_label("Who owns it").fill("Head of Service")
    page.get_by_label("Day").fill(str(due.day))
    page.get_by_label("Month").fill(str(due.month))
    page.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your response")
    assert_accessible(page, "checking a response", log)
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent")
    sign_out(page)


def test_the_task_list_moves_through_a_whole_cycle(
    page: Page, browser_log: BrowserLog, people: dict[str, str]
) -> None:
    task_list(page, people["manager"])
    manager_draws_the_sample(page, browser_log)
    manager_sets_up_the_panel(page)
    page.goto("/cycles/")
    page.get_by_role("link", name=CYCLE).click()
    status_is(page, "panels", "Completed", "1 panel with 2 auditors")
    status_is(page, "assigned", "Completed", "2 of 2 sampled plans and pieces of advice have")
    status_is(page, "scoring", "Not yet started", "0 of 4 audits submitted")
    status_is(page, "moderation", "Cannot start yet")
    sign_out(page)

    auditor_scores_both(page, browser_log, people["ann"])
    task_list(page, people["manager"])
    status_is(page, "scoring", "In progress", "2 of 4 audits submitted")
    sign_out(page)
    auditor_scores_both(page, browser_log, people["sam"])
    task_list(page, people["manager"])
    status_is(page, "scoring", "Completed", "4 of 4 audits submitted")
    status_is(page, "moderation", "Not yet started", "0 of 2")
    status_is(page, "figures", "Cannot start yet", "No final grades yet")
    sign_out(page)

    chair_finalises(page, browser_log, people["chair"])
    task_list(page, people["manager"])
    status_is(page, "moderation", "Completed", "2 of 2")
    status_is(page, "figures", "Not yet started", "No figures have been calculated yet")
    status_is(page, "drafted", "Not yet started", "0 of 2 agencies")

    task(page, "figures").get_by_role("link").click()
    page.get_by_role("button", name="Recalculate").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Rates recalculated.")
    page.goto("/cycles/")
    page.get_by_role("link", name=CYCLE).click()
    status_is(page, "figures", "Completed", "The stored figures match the final grades")

    task(page, "drafted").get_by_role("link").click()
    page.get_by_role("button", name="Generate letters").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Letters generated")
    page.goto("/cycles/")
    page.get_by_role("link", name=CYCLE).click()
    status_is(page, "drafted", "Completed", "2 of 2 agencies with final grades have a letter")
    status_is(page, "issued", "Not yet started", "0 of 2 agencies have an issued letter")
    status_is(page, "responses", "Cannot start yet")
    sign_out(page)

    chair_issues_the_health_letter(page, browser_log, people["chair"])
    task_list(page, people["manager"])
    status_is(page, "issued", "In progress", "1 of 2 agencies have an issued letter")
    status_is(page, "responses", "Not yet started", "0 of 1 issued letter answered")
    status_is(page, "board", "Cannot start yet")
    sign_out(page)

    lead_sends_a_response(page, browser_log, people["lead"])
    task_list(page, people["manager"])
    status_is(page, "responses", "Completed", "1 of 1 issued letter answered")
    status_is(page, "board", "Not yet started", "0 of 1 issued letter presented")

    page.get_by_role("button", name="Close this cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close {CYCLE}")
    expect(page.locator("#unfinished")).to_contain_text("Nothing: every sampled plan")
    check_page(page, browser_log, "the close check page")
    page.get_by_role("button", name="Close the cycle").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Cycle {CYCLE} closed")
    expect(page.get_by_role("button", name="Reopen this cycle")).to_be_visible()
    status_is(page, "responses", "Completed")
    expect(page.locator("main")).to_contain_text("8 of 10 tasks completed")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    need("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    source = tmp_path / "issued.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(source), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def test_a_chair_s_line_breaks_reach_the_issued_pdf_cleanly(
    app: Flask, page: Page, browser_log: BrowserLog, tmp_path: Path
) -> None:
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    with app.app_context():
        ids = {a: generate_letter(a, data.cycle_id).letter_id
               for a in agencies_with_final_grades(data.cycle_id)}
        db.session.commit()
    letter_id = ids[data.health_id]

    sign_in(page, data.chair_email)
    page.goto(f"/letters/{letter_id}")
    page.get_by_role("link", name="Edit the draft").click()
    page.get_by_label("Opening paragraph").fill("First line\nSecond line")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/edit")) as sent:
        page.get_by_role("button", name="Save draft").click()
    assert "First+line%0D%0ASecond+line" in (sent.value.post_data or ""), "no CRLF was sent"
    expect(page.locator(".govuk-notification-banner")).to_contain_text("saved")

    page.get_by_role("link", name="Check before issuing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before issuing the letter")
    assert_accessible(page, "the issue check page", browser_log)
    page.get_by_role("button", name="Issue letter").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("issued")

    href = page.get_by_role("link", name=re.compile("^Download the PDF")).get_attribute("href")
    response = page.context.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body(), tmp_path)
    assert "\ufffd" not in text
    lines = [line.strip() for line in text.splitlines()]
    assert "First line" in lines and "Second line" in lines, text[:2000]
    assert lines.index("Second line") == lines.index("First line") + 1
