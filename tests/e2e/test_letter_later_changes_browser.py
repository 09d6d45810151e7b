"""An issued letter whose grade changed after a challenge, in real Chromium: the agency lead
and the QI manager each see the notice of later changes; axe finds nothing on the page at full
width or at 320 CSS px, and the page does not scroll sideways there."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_both_widths, sign_in, sign_out
from tests.factories.challenges import Scene, challenge_world

pytestmark = pytest.mark.e2e

NOTICE = "Grades changed since this letter was issued"


def _issued_then_changed(app: Flask) -> tuple[Scene, int]:
    """The casework team's letter, issued by the chair; then the lead challenges a plan's
    grade and the chair changes it from requires improvement to good."""
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.auth.models import User
    from qa_app.challenges.operations import decide, raise_challenge
    from qa_app.letters.operations import generate_letter, issue_letter

    with app.app_context():
        scene = challenge_world()
        db.session.commit()
        world = scene.world
        make.aggregate(world.cycle_id)
        letter_id = generate_letter(world.agencies["SEND Casework Team"],
                                    world.cycle_id).letter_id
        db.session.commit()
        issue_letter(letter_id, actor_id=world.users["chair"])
        db.session.commit()

        final = db.session.get(FinalGrade, scene.plan_grades[0])
        lead = db.session.scalars(select(User).where(User.email == scene.casework_lead)).one()
        challenge = raise_challenge(final, lead, "The outcomes are specific")
        decide(challenge, "changed", 3, {c.criterion_id: 3 for c in final.criteria},
               "Decided on the evidence", actor_id=world.users["chair"])
        db.session.commit()
    return scene, letter_id


def _check(page: Page, label: str, log: BrowserLog) -> None:
    check_both_widths(page, label, log, components=True)


def test_the_later_changes_notice_is_accessible_and_fits_320(
    app: Flask, page: Page, browser_log: BrowserLog
) -> None:
    scene, letter_id = _issued_then_changed(app)

    for email, who in ((scene.casework_lead, "the agency lead"),
                       (scene.world.emails["manager"], "the QI manager")):
        sign_in(page, email)
        page.goto(f"/letters/{letter_id}")
        notice = page.locator("#later-changes")
        expect(notice.get_by_role("heading", level=2)).to_have_text(NOTICE)
        table = notice.get_by_role("table")
        expect(table).to_contain_text("EHCP-W-000")
        expect(table).to_contain_text("Changed after a challenge")
        scroller = notice.get_by_role(
            "region", name="Each grade in the letter and the final grade now")
        expect(scroller).to_have_attribute("tabindex", "0")
        _check(page, f"an issued letter with later changes, read by {who}", browser_log)
        sign_out(page)
