"""An auditor scores in real Chromium with the character count and the override reveal,
checks their answers and submits, then goes on to the next audit; a stale second tab keeps
what was typed; the chair finalises from the check page; the agency lead reads the panel's
notes. axe-core checks every new page, and none scrolls sideways at 320 CSS px."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, fits_320, sign_in, sign_out
from tests.factories import World, audits_of, judged_ids

pytestmark = pytest.mark.e2e

PLAN_CRITERIA = judged_ids("ehcp-plan.yaml")
HEALTH_CRITERIA = judged_ids("advice-health.yaml")


def checked(page: Page, log: BrowserLog, label: str) -> None:
    assert_accessible(page, label, log)
    fits_320(page, label)


def submitted(app: Flask, audit_id: int, grade: int, note: str) -> None:
    from qa_app.audits.scoring.forms import ScoreInput
    from qa_app.audits.scoring.operations import save

    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        criteria = PLAN_CRITERIA if audit.plan_id else HEALTH_CRITERIA
        if audit.plan_id and audit.plan.nc_year >= 9:
            criteria = judged_ids("ehcp-plan.yaml", nc_year=9)
        save(audit, ScoreInput({c: grade for c in criteria}, {c: note for c in criteria},
                               None, None),
             row_version=audit.row_version, submit=True, actor_id=audit.auditor_id)
        db.session.commit()


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=2)
    make.on(app).panel(world)
    return world


def email_of(world: World, user_id: int) -> str:
    return next(world.emails[k] for k, v in world.users.items() if v == user_id)


def test_an_auditor_scores_checks_submits_and_goes_on(
    app: Flask, page: Page, browser_log: BrowserLog, world: World
) -> None:
    every = audits_of(app)
    audit = max(audits_of(app, plan_id=world.plan_ids[1]),
                key=lambda a: sum(1 for b in every if b["auditor_id"] == a["auditor_id"]))
    assert sum(1 for b in every if b["auditor_id"] == audit["auditor_id"]) > 1
    sign_in(page, email_of(world, audit["auditor_id"]))
    page.goto("/my-audits/")
    page.get_by_role("link", name="EHCP-W-001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit of EHC plan EHCP-W-001")

    counter = page.locator("#evidence_child_voice-info + .govuk-character-count__status")
    expect(counter).to_have_text("You have 5,000 characters remaining")
    for cid in PLAN_CRITERIA:
        page.locator(f'input[name="grade_{cid}"][value="{2 if cid == "child_voice" else 3}"]'
                     ).check()
    page.get_by_label("Evidence for Child or young person's voice").fill(
        "Views are recorded only through the parent.")
    expect(counter).to_have_text("You have 4,957 characters remaining")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved")
    expect(page.locator("[data-overall-now]")).to_have_text(
        "Computed from the grades last saved: Requires improvement (2).")

    reason = page.get_by_label("Reason for the override")
    expect(reason).to_be_hidden()
    page.get_by_label("Override the computed overall grade").check()
    expect(reason).to_be_visible()
    expect(page.get_by_label("Make it Good")).to_have_count(0)
    expect(page.get_by_label("Make it Outstanding")).to_have_count(0)
    page.get_by_label("Make it Inadequate").check()
    reason.fill("The outcomes are copied from the 2023 plan.")
    checked(page, browser_log, "the scoring form with the override open")

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your audit of EHC plan EHCP-W-001 before you submit it")
    main = page.locator("main")
    expect(main).to_contain_text("Views are recorded only through the parent.")
    expect(main).to_contain_text("The outcomes are copied from the 2023 plan.")
    expect(main).to_contain_text("Inadequate (1)")
    checked(page, browser_log, "checking an audit")

    page.get_by_role("button", name="Submit audit").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Audit submitted")
    expect(main).to_contain_text(re.compile(r"Submitted at \d\d:\d\d on "))
    checked(page, browser_log, "the audit submitted")

    page.get_by_role("button", name=re.compile("your next audit")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit of ")
    assert page.url.rstrip("/").split("/")[-1] != str(audit["id"])
    with app.app_context():
        stored = db.session.get(Audit, audit["id"])
        assert (stored.status, stored.override_grade) == ("submitted", 1)


def test_a_stale_tab_keeps_what_was_typed(
    app: Flask, page: Page, browser_log: BrowserLog, world: World
) -> None:
    audit = audits_of(app, plan_id=world.plan_ids[1])[0]
    url = f"/my-audits/{audit['id']}"
    sign_in(page, email_of(world, audit["auditor_id"]))
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)
    other.locator('input[name="grade_child_voice"][value="4"]').check()
    other.get_by_role("button", name="Save draft").click()
    expect(other.locator(".govuk-notification-banner")).to_contain_text("Draft saved")
    other.close()

    typed = "Typed in the older tab: the child's own words are quoted in section A."
    page.locator('input[name="grade_child_voice"][value="3"]').check()
    page.get_by_label("Evidence for Child or young person's voice").fill(typed)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("your changes were not saved")
    expect(page.get_by_role("heading", name="Two versions of this audit")).to_be_visible()
    expect(page.get_by_label("Evidence for Child or young person's voice")).to_have_value(typed)
    expect(page.locator('input[name="grade_child_voice"][value="3"]')).to_be_checked()
    checked(page, browser_log, "a conflicting save")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved")
    assert audits_of(app, id=audit["id"])[0]["scores"]["child_voice"] == (3, typed)


def test_the_chair_finalises_from_the_check_page_and_the_lead_reads_the_notes(
    app: Flask, page: Page, browser_log: BrowserLog, world: World
) -> None:
    with app.app_context():
        from sqlalchemy import select

        from qa_app.register.models import Advice

        advice_id = db.session.scalar(select(Advice.id).where(
            Advice.advice_type == "health", Advice.plan_id == world.plan_ids[0]))
    for audit in audits_of(app, advice_id=advice_id):
        submitted(app, audit["id"], 3, "Provision is quantified in hours each week.")
    lead = make.on(app).person("agency_lead", world.agencies["Community Paediatrics"],
                               "lead.health@example.org")

    sign_in(page, world.emails["chair"])
    page.goto("/moderation/")
    page.get_by_role("link", name="Autumn panel").click()
    page.get_by_role("button", name="Finalise 1 agreed grade").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the agreed grades before you finalise them")
    checked(page, browser_log, "checking the agreed grades")
    page.get_by_role("button", name="Finalise 1 agreed grade").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 agreed grade")
    sign_out(page)

    sign_in(page, lead.email)
    page.goto(f"/advice/{advice_id}")
    section = page.locator("main")
    expect(section).to_contain_text("What the panel said about this advice")
    expect(section).to_contain_text("Provision is quantified in hours each week.")
    checked(page, browser_log, "the lead's advice with the panel's notes")
