"""The rates page's filters and sort in real Chromium: chosen on the page, held in the URL,
kept on reload, accessible, and the page fits 320 CSS px."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from qa_app.reporting.operations import run_aggregation
from tests import factories as make
from tests.e2e.browser import BrowserLog, assert_accessible, fits_320, sign_in
from tests.factories import aggregation as build

pytestmark = pytest.mark.e2e


@pytest.fixture()
def manager(app: Flask) -> str:
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        health = build.agency("Community Paediatrics", "health").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for n in range(6):
            plan = build.plan(la, nc_year=5 + n % 2).id
            build.final_grade(plan_rubric, 2 + n % 3, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 2 + n % 2, "outcomes": 3})
            advice = build.advice(plan, health, received=date(2025, 10, 19 + n)).id
            build.final_grade(advice_rubric, 2 + n % 2, cycle_id=cycle, advice_id=advice)
        db.session.commit()
        run_aggregation(as_of=date(2026, 6, 1))
        db.session.commit()
    return make.on(app).user("qi_manager").email


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def statuses_shown(page: Page) -> set[str]:
    return set(page.locator("table:has(th[aria-sort]) tbody .govuk-tag").all_inner_texts())


def test_below_target_only_and_a_sort_live_in_the_url(page: Page, browser_log: BrowserLog,
                                                       manager: str) -> None:
    sign_in(page, manager)
    page.goto("/rates")
    assert_accessible(page, "rates with the filter form", browser_log)
    assert len(statuses_shown(page)) > 1

    page.get_by_label("Below target only").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("Below target only")).to_be_checked()
    assert query(page)["status"] == ["below-target"]
    assert statuses_shown(page) == {"Below target"}

    page.get_by_role("link", name="Rate", exact=True).first.click()
    header = page.locator("th[aria-sort='ascending']").first
    expect(header).to_have_text("Rate")
    page.get_by_role("link", name="Rate", exact=True).first.click()
    expect(page.locator("th[aria-sort='descending']").first).to_have_text("Rate")
    assert query(page)["status"] == ["below-target"]
    assert query(page)["sort"] == ["rate"] and query(page)["order"] == ["desc"]
    sorted_url = page.url

    page.reload()
    assert page.url == sorted_url
    expect(page.get_by_label("Below target only")).to_be_checked()
    expect(page.locator("th[aria-sort='descending']").first).to_have_text("Rate")
    assert statuses_shown(page) == {"Below target"}
    rates = page.evaluate("""() => [...document.querySelectorAll('table')].flatMap((table) => {
        const heads = [...table.querySelectorAll('thead th')];
        const at = heads.findIndex((th) => th.getAttribute('aria-sort') === 'descending');
        if (at < 0) return [];
        const figures = [...table.querySelectorAll('tbody tr')].map((tr) =>
          parseFloat(tr.children[at].textContent)).filter((x) => !Number.isNaN(x));
        return [figures];
      })""")
    assert rates and all(r == sorted(r, reverse=True) for r in rates)
    assert_accessible(page, "rates below target, sorted by rate", browser_log)
    fits_320(page, "rates below target, sorted by rate")

    page.get_by_role("link", name="Clear filters").click()
    expect(page.get_by_label("Below target only")).not_to_be_checked()
    assert "status" not in query(page) and "sort" not in query(page)
    fits_320(page, "rates with no filters")
