"""Each role's home page in real Chromium, with work waiting and some of it overdue: no
axe-core violations, GOV.UK Frontend running under the CSP, and nothing wider than a 320 CSS
px screen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.jobs.models import JobRun
from qa_app.letters.models import Letter, LetterResponse
from qa_app.timeutil import academic_year
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, sign_in

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Emails:
    auditor: str
    chair: str
    lead: str
    manager: str


@pytest.fixture()
def emails(app: Flask) -> Emails:
    """An open cycle with audits due last week and next month, a panel waiting for its chair,
    a draft letter, letters late and not yet due, a response sent and a failed job; dates
    are placed around today, which decides what is overdue."""
    today = date.today()
    with app.app_context():
        casework = make.agency("SEND Casework Team", "local_authority")
        health = make.agency("Community Paediatrics", "health")
        education = make.agency("Educational Psychology Service", "education")
        auditor = make.person("auditor", education.id, name="Auditor One")
        second = make.person("auditor", health.id, name="Auditor Two")
        chair = make.person("panel_chair", name="Chair One")
        lead = make.person("agency_lead", health.id, name="Health lead")
        manager = make.person("qi_manager", name="Manager")
        version = make.shipped_rubrics()["ehcp-plan"]
        start = today - timedelta(days=60)
        cycle = Cycle(name="Spring term with a rather long name for a narrow screen",
                      start_date=start, end_date=today + timedelta(days=30),
                      academic_year=academic_year(start))
        earlier = Cycle(name="Autumn term", start_date=start - timedelta(days=120),
                        end_date=start - timedelta(days=30),
                        academic_year=academic_year(start - timedelta(days=120)),
                        status="closed")
        db.session.add_all([cycle, earlier])
        db.session.flush()
        sample = Sample(cycle_id=cycle.id, seed=1, size=6)
        db.session.add(sample)
        late_panel = Panel(cycle_id=cycle.id, name="Morning panel", chair_id=chair.id,
                           meeting_date=today - timedelta(days=7))
        later_panel = Panel(cycle_id=cycle.id, name="Afternoon panel", chair_id=chair.id,
                            meeting_date=today + timedelta(days=21))
        db.session.add_all([late_panel, later_panel])
        db.session.flush()
        for i in range(6):
            plan = make.plan(casework.id, ref=f"EHCP-B-{i:04d}")
            db.session.add(SampleItem(sample_id=sample.id, plan_id=plan.id, stratum="plan"))
            panel = (late_panel, later_panel)[i % 2]
            for who, status in ((auditor, ("assigned", "draft", "submitted")[i % 3]),
                                (second, "submitted")):
                db.session.add(Audit(cycle_id=cycle.id, panel_id=panel.id, plan_id=plan.id,
                                     auditor_id=who.id, rubric_version_id=version,
                                     status=status))
        _letter(health.id, earlier.id, "QA-AUT-CPS-1", due=today - timedelta(days=4))
        _letter(health.id, cycle.id, "QA-SPR-CPS-1", due=today + timedelta(days=25))
        _letter(education.id, earlier.id, "QA-AUT-EPS-1", due=today - timedelta(days=10),
                sent=today - timedelta(days=12))
        db.session.add(Letter(agency_id=casework.id, cycle_id=cycle.id, version=1,
                              status="draft", reference="QA-SPR-SCT-1"))
        db.session.add(JobRun(job="aggregate", status="failed", message="The broker was down."))
        db.session.commit()
        return Emails(auditor.email, chair.email, lead.email, manager.email)


def _letter(agency_id: int, cycle_id: int, reference: str, *, due: date,
            sent: date | None = None) -> None:
    letter = Letter(agency_id=agency_id, cycle_id=cycle_id, version=1, status="issued",
                    reference=reference, pdf=b"%PDF-1.4", sha256="0" * 64,
                    letter_date=due - timedelta(days=28), issued_at=datetime(2026, 1, 1))
    db.session.add(letter)
    db.session.flush()
    db.session.add(LetterResponse(
        letter_id=letter.id, due_date=due,
        submitted_at=datetime.combine(sent, datetime.min.time()) if sent else None))


def check_reflow(page: Page, label: str) -> None:
    """At 320 CSS px wide the page itself never scrolls sideways."""
    page.set_viewport_size({"width": 320, "height": 800})
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"{label}: the page scrolls sideways by {sideways}px at 320px"


ROLES = {
    "auditor": ("Your audits to do", "Overdue"),
    "chair": ("Moderation", "Letters to issue"),
    "lead": ("Letters awaiting your response", "Response late"),
    "manager": ("Cycles in progress", "Late"),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_home_page_is_accessible_and_reflows(page: Page, browser_log: BrowserLog,
                                                       emails: Emails, role: str) -> None:
    sign_in(page, getattr(emails, role))
    heading, marker = ROLES[role]
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text(marker)
    check_page(page, browser_log, f"the {role}'s home page")
    check_reflow(page, f"the {role}'s home page")
    check_page(page, browser_log, f"the {role}'s home page at 320px")


def test_the_auditor_goes_from_her_home_page_to_an_overdue_audit(page: Page,
                                                                  emails: Emails) -> None:
    sign_in(page, emails.auditor)
    card = page.locator(".govuk-summary-card", has_text="Morning panel")
    expect(card).to_contain_text("Overdue")
    card.get_by_role("link", name="Start").first.click()
    expect(page).to_have_url(re.compile(r"/my-audits/\d+$"))
