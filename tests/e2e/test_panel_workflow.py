"""A whole panel in real Chromium: the manager sets up and assigns, two auditors score the
same plan differently (one without JavaScript, one with the keyboard alone), the chair
moderates, and the final grade is stored. axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, open_section, sign_in, sign_out
from tests.factories import judged_ids

pytestmark = pytest.mark.e2e

PLAN_REF = "EHCP-E2E-001"
CRITERIA = judged_ids("ehcp-plan.yaml", nc_year=9)


@pytest.fixture()
def people(app: Flask) -> dict[str, str]:
    make.on(app).shipped_rubrics()
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    psychology = make.on(app).agency("Educational Psychology Service", "education")
    paediatrics = make.on(app).agency("Community Paediatrics", "health")
    plan = make.on(app).plan(casework.id, ref=PLAN_REF, nc_year=9)
    make.on(app).sampled_cycle([plan.id], [])
    person = make.on(app).person
    return {
        "manager": person("qi_manager", email="manager@example.org").email,
        "admin": person("admin", email="admin@example.org").email,
        "chair": person("panel_chair", email="chair@example.org", name="Chris Chair").email,
        "ann": person("auditor", psychology.id, "ann@example.org", "Ann Psychologist").email,
        "bob": person("auditor", paediatrics.id, "bob@example.org", "Bob Paediatrician").email,
    }


def focused_name(page: Page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e ? (e.name || '') + '|' + (e.value || '') + '|' + e.tagName : '' }"
    )


def tab_to(page: Page, name: str, value: str | None = None, limit: int = 200) -> None:
    """Press Tab until the control called `name` (and with `value`) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        field, field_value, _tag = focused_name(page).split("|")
        if field == name and (value is None or field_value == value):
            return
    raise AssertionError(f"Tab never reached {name} {value or ''}")


def manager_sets_up_the_panel(page: Page, log: BrowserLog, people: dict[str, str]) -> None:
    sign_in(page, people["manager"])
    open_section(page, "Audits", "Panels")
    expect(page.get_by_role("heading", level=1)).to_have_text("Panels")
    assert_accessible(page, "the panels list", log)
    page.get_by_role("button", name="Create a panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a panel")
    assert_accessible(page, "the create panel form", log)

    page.get_by_role("button", name="Create panel").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a cycle")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page, "the create panel form with errors", log)

    page.get_by_label("Cycle", exact=True).select_option(label="Autumn term 2025 (2025/26)")
    page.get_by_label("Panel name").fill("Autumn multi-agency panel")
    page.get_by_label("Chair", exact=True).select_option(label="Chris Chair (chair@example.org)")
    page.get_by_label("Ann Psychologist, Educational Psychology Service").check()
    page.get_by_label("Bob Paediatrician, Community Paediatrics").check()
    page.get_by_role("button", name="Create panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Autumn multi-agency panel")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Panel Autumn")
    assert_accessible(page, "the new panel", log)

    page.get_by_role("button", name="Assign the sample").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 audits assigned")
    table = page.locator("table", has_text=PLAN_REF)
    expect(table).to_contain_text("Ann Psychologist")
    expect(table).to_contain_text("Bob Paediatrician")
    assert_accessible(page, "the panel with its assignment table", log)
    sign_out(page)


def ann_scores_without_javascript(browser, live_server: str, people: dict[str, str]) -> None:
    """Plain HTML posts only. axe cannot run here (its promises need page scripts), so the
    same pages are checked in the keyboard user's JavaScript-enabled session."""
    context = browser.new_context(base_url=live_server, locale="en-GB",
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, people["ann"])
        open_section(page, "Audits", "My audits")
        expect(page.get_by_role("heading", level=1)).to_have_text("My audits")
        page.get_by_role("link", name=PLAN_REF).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of EHC plan {PLAN_REF}")
        expect(page.locator("main")).to_contain_text("Transition year")

        page.get_by_role("button", name="Continue").click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Select a grade for Child or young person's voice")

        for cid in CRITERIA:
            page.locator(f'input[name="grade_{cid}"][value="3"]').check()
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved")
        expect(page.locator("main")).to_contain_text(
            "Computed from the grades last saved: Good (3)")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Check your audit of EHC plan {PLAN_REF} before you submit it")
        page.get_by_role("button", name="Submit audit").click()
        expect(page.locator(".govuk-panel")).to_contain_text("Audit submitted")
        expect(page.locator("input[type=radio]")).to_have_count(0)
        sign_out(page)
    finally:
        context.close()


def bob_scores_with_the_keyboard(page: Page, log: BrowserLog, people: dict[str, str]) -> None:
    sign_in(page, people["bob"])
    page.goto("/my-audits/")
    assert_accessible(page, "my audits", log)
    link = page.get_by_role("link", name=PLAN_REF)
    for _ in range(60):
        page.keyboard.press("Tab")
        if link.evaluate("(el) => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of EHC plan {PLAN_REF}")
    assert_accessible(page, "the scoring form", log)

    tab_to(page, "action", "check")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select a grade for Child or young person's voice")
    assert_accessible(page, "the scoring form with errors", log)

    for cid in CRITERIA:
        grade = 2 if cid == "child_voice" else 3
        tab_to(page, f"grade_{cid}")
        page.keyboard.press("Space")
        for _ in range(grade - 1):
            page.keyboard.press("ArrowDown")
        if grade < 3:
            tab_to(page, f"evidence_{cid}")
            page.keyboard.type("Views are recorded only through the parent.")
    expect(page.locator("[data-overall-now]")).to_have_text(
        f"With the grades chosen on this page ({len(CRITERIA)} of {len(CRITERIA)} criteria "
        "graded), the overall grade would be Requires improvement. Save the draft to keep them.")
    assert_accessible(
        page, "the scoring form with the overall grade worked out as it is filled in", log)
    tab_to(page, "action", "check")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Check your audit of EHC plan {PLAN_REF} before you submit it")
    expect(page.locator("main")).to_contain_text("Requires improvement (2)")
    assert_accessible(page, "checking an audit before submitting it", log)
    page.get_by_role("button", name="Submit audit").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel")).to_contain_text("Audit submitted")
    assert_accessible(page, "a submitted audit", log)
    sign_out(page)


def chair_moderates(page: Page, log: BrowserLog, people: dict[str, str]) -> None:
    sign_in(page, people["chair"])
    open_section(page, "Audits", "Moderation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation")
    assert_accessible(page, "the moderation list", log)
    page.get_by_role("link", name="Autumn multi-agency panel").click()
    expect(page.locator("main")).to_contain_text("Needs moderation (1)")
    assert_accessible(page, "the moderation queue", log)
    page.get_by_role("link", name=re.compile("^Compare")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Compare audits of {PLAN_REF}")
    expect(page.locator("main")).to_contain_text("The auditors differ on: overall grade")
    assert_accessible(page, "the side-by-side comparison", log)

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the final overall grade")
    assert_accessible(page, "the comparison with errors", log)
    fieldset = page.get_by_role("group", name="Final overall grade")
    fieldset.get_by_label("Requires improvement").check()
    page.get_by_label("Reason for the final grade").fill(
        "The child's views are second-hand throughout; the panel agreed the cap applies.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Check the final grade for {PLAN_REF}")
    assert_accessible(page, "checking the final grade", log)
    page.get_by_role("button", name="Finalise this grade").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Final grade")
    expect(page.locator("main")).to_contain_text("Finalised (1)")
    assert_accessible(page, "the moderation queue after finalising", log)
    sign_out(page)


def test_a_panel_runs_from_assignment_to_final_grade(
    app: Flask, page: Page, browser, live_server: str, browser_log: BrowserLog,
    people: dict[str, str],
) -> None:
    manager_sets_up_the_panel(page, browser_log, people)
    ann_scores_without_javascript(browser, live_server, people)
    bob_scores_with_the_keyboard(page, browser_log, people)
    chair_moderates(page, browser_log, people)

    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.scoring.models import Audit

    with app.app_context():
        final = db.session.execute(select(FinalGrade)).scalar_one()
        assert (final.grade, final.method, final.good_or_better) == (2, "moderated", False)
        assert final.academic_year == "2025/26"
        assert {c.criterion_id: c.grade for c in final.criteria}["child_voice"] == 2
        overall = sorted(a.overall_grade for a in db.session.execute(select(Audit)).scalars())
        assert overall == [2, 3]

    sign_in(page, people["admin"])
    page.goto("/audit-log/")
    assert_accessible(page, "the audit log", browser_log)
    page.get_by_label("Record type").select_option("final_grade")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody")).to_contain_text("Final grade decided by moderation")
    assert_accessible(page, "the filtered audit log", browser_log)


def test_the_manager_changes_the_chair_then_removes_the_panel(app: Flask, page: Page,
                                                              people: dict[str, str]):
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.panels.operations import create_panel
    from qa_app.auth.models import User

    with app.app_context():
        ids = {u.email: u.id for u in db.session.scalars(select(User))}
        cycle = db.session.scalars(select(Cycle)).one()
        create_panel(cycle_id=cycle.id, name="Autumn panel", chair_id=ids[people["chair"]],
                     auditor_ids=[ids[people["ann"]], ids[people["bob"]]])
        db.session.commit()
    other = make.on(app).person("panel_chair", email="dana@example.org", name="Dana Chair").email
    sign_in(page, people["manager"])
    page.goto("/panels/")
    page.get_by_role("link", name="Autumn panel").click()
    page.get_by_role("link", name="Change name, chair or meeting date").click()
    assert_accessible(page, "changing a panel")
    page.get_by_label("Chair").select_option(label=f"Dana Chair ({other})")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Panel details saved")).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Dana Chair")
    page.get_by_role("link", name="Remove this panel").click()
    assert_accessible(page, "removing a panel")
    page.get_by_role("button", name="Remove panel").click()
    expect(page.get_by_text("Panel Autumn panel removed")).to_be_visible()
    assert_accessible(page, "the panels list after removing one")
