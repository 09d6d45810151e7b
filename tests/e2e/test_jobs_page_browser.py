"""The Background jobs page in real Chromium: no axe-core violations on the list (filtered
and not) or on the check step, it reflows at 320 CSS pixels without the page scrolling
sideways, and Run again works from the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from qa_app.jobs import JobRun
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.e2e.axe import assert_no_violations
from tests.e2e.browser import open_section, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture()
def manager(app: Flask) -> str:
    from workers import celery_init_app

    celery_init_app(app)  # Run again runs the job in this process
    user = make.on(app).user("qi_manager")
    long_ago = utcnow() - timedelta(hours=3)
    with app.app_context():
        db.session.add_all([
            JobRun(job="aggregate", status="failed", attempts=3, origin="schedule",
                   params={"period_kind": None, "period_key": None}, created_at=long_ago,
                   message="Stopped: it stopped showing progress for 5 minutes, 3 times out "
                           "of 3. Check that a worker is running, then run it again."),
            JobRun(job="nightly_sweep", status="done", attempts=1, origin="web", progress=100,
                   params={"today": "2026-03-01"}, started_by_id=user.id,
                   created_at=long_ago, started_at=long_ago, finished_at=long_ago),
        ])
        db.session.commit()
    return user.email


def test_jobs_page_is_accessible_reflows_and_runs_a_job_again(page: Page, manager: str) -> None:
    sign_in(page, manager)
    open_section(page, "Administration", "Background jobs")
    expect(page.get_by_role("heading", name="Background jobs")).to_be_visible()
    assert_no_violations(page, "jobs page")
    page.get_by_label("Status").select_option(label="Failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 job matching the filters")).to_be_visible()
    assert "status=failed" in page.url
    assert_no_violations(page, "jobs page, filtered")

    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/jobs/")
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"the page scrolls sideways by {sideways}px at 320px"
    assert_no_violations(page, "jobs page at 320px")

    page.get_by_role("link", name="Run again job").first.click()
    expect(page.get_by_role("heading", name="Check before running this job again")).to_be_visible()
    assert_no_violations(page, "run again check")
    button = page.get_by_role("button", name="again")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("and finished")).to_be_visible()
