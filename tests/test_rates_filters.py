"""The rates page's filters, sort and pages: they only select and order the stored figures.

Every expectation is worked out here in plain Python from the RateSnapshot rows read
straight from the database, then compared with the rows the page shows, following the
links the page itself renders (sort headings, period links, Next)."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting import labels
from qa_app.reporting.models import AggregationRun, RateSnapshot
from qa_app.reporting.operations import run_aggregation
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in

MEASURE_ORDER = ["plans_good_or_better", "advice_good_or_better", "child_voice_good_or_better",
                 "advice_on_time", "plans_issued_within_20_weeks"]
STATUS_OF_SLUG = {"below-target": "red", "near-target": "amber", "on-target": "green",
                  "too-few": "too_few", "no-target": "no_target"}
WORST_FIRST = ["red", "amber", "green", "too_few", "no_target"]


@pytest.fixture()
def world(app):
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        health = build.agency("Community Paediatrics", "health").id
        ep = build.agency("Educational Psychology Service", "education").id
        care = build.agency("Children's Social Care", "social_care").id
        plan_rubric, advice_rubric = build.rubric().id, build.rubric("advice", "advice").id
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        for n in range(6):
            plan = build.plan(la, nc_year=5 + n % 2).id
            build.final_grade(plan_rubric, 2 + n % 3, cycle_id=cycle, plan_id=plan,
                              criteria={"child_voice": 2 + n % 2, "outcomes": 3})
            for grade in (3, 2 + n % 3):
                build.panel_audit(plan_rubric, cycle, {"child_voice": grade}, plan_id=plan)
            for agency_id, kind, grade in ((health, "health", 2 + n % 2),
                                           (ep, "educational_psychology", 3),
                                           (care, "social_care", 2 + (n % 3 == 0))):
                if agency_id == care and n > 2:
                    continue
                advice = build.advice(plan, agency_id, advice_type=kind,
                                      received=date(2025, 10, 10 + 3 * n)).id
                build.final_grade(advice_rubric, grade, cycle_id=cycle, advice_id=advice,
                                  criteria={"child_voice": grade})
        db.session.commit()
        run_aggregation(as_of=date(2026, 6, 1))
        db.session.commit()
    users = {"manager": make.on(app).user("qi_manager").email,
             "lead": make.on(app).user("agency_lead", "Community Paediatrics").email}
    return {"cycle": cycle, "health": health, "ep": ep, "users": users}


# --- reading the page ---------------------------------------------------------------------


class RatesPage(HTMLParser):
    """The rates tables' rows (caption, cells), their sort headings, and every link."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.headers: dict[str, tuple[str, str]] = {}
        self.links: dict[str, str] = {}
        self._caption = ""
        self._text: list[str] | None = None
        self._link: list[str] | None = None
        self._cells: list[str] | None = None
        self._href = ""
        self._aria_sort = ""
        self._in_rates_table = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag in ("caption", "td", "th"):
            self._text = []
            self._aria_sort = attr.get("aria-sort") or ""
        elif tag == "tr":
            self._cells = [] if self._in_rates_table else None
        elif tag == "a":
            self._href, self._link = attr.get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag == "caption":
            self._caption = text
            self._in_rates_table = any(text.startswith(title)
                                       for title in labels.MEASURE_TITLES.values())
        elif tag == "a" and self._link is not None:
            self.links.setdefault(" ".join("".join(self._link).split()), self._href)
            self._link = None
        elif tag == "th" and self._in_rates_table and self._aria_sort:
            self.headers[text] = (self._aria_sort, self._href)
        elif tag == "td" and self._cells is not None:
            self._cells.append(text)
        elif tag == "tr" and self._cells:
            self.rows.append((self._caption, self._cells))
        elif tag == "table":
            self._in_rates_table = False
        if tag in ("caption", "td", "th"):
            self._text = None

    def handle_data(self, data: str) -> None:
        for part in (self._text, self._link):
            if part is not None:
                part.append(data)


def shown(client, path: str) -> tuple[RatesPage, list[tuple[str, str, str, int, int, str, str]]]:
    response = client.get(path)
    assert response.status_code == 200, path
    page = RatesPage(response.get_data(as_text=True))
    rows = [(caption.rsplit(",", 1)[0], cells[0], cells[1], int(cells[2]), int(cells[3]),
             cells[-4].split(" weighted")[0], cells[-1]) for caption, cells in page.rows]
    return page, rows


def every_page(client, path: str) -> list[tuple[str, str, str, int, int, str, str]]:
    """The rows of `path` and of every page after it, reached through the Next links."""
    collected: list[tuple[str, str, str, int, int, str, str]] = []
    seen = set()
    while path and path not in seen:
        seen.add(path)
        page, rows = shown(client, path)
        collected += rows
        path = next((href for text, href in page.links.items() if text.startswith("Next")), "")
    return collected


# --- the same rows, worked out independently ----------------------------------------------


def stored(app, period: dict[str, str]) -> list[dict[str, Any]]:
    kind, key = ("cycle", period["cycle"]) if "cycle" in period else ("academic_year",
                                                                        period["year"])
    with app.app_context():
        run_id = db.session.scalar(
            select(AggregationRun.id).where(AggregationRun.period_kind == kind,
                                            AggregationRun.period_key == key)
            .order_by(AggregationRun.computed_at.desc(), AggregationRun.id.desc()).limit(1))
        found = db.session.execute(
            select(RateSnapshot, Agency.name).outerjoin(Agency, Agency.id == RateSnapshot.agency_id)
            .where(RateSnapshot.run_id == run_id)).all()
        return [{"measure": r.measure, "scope": r.scope, "breakdown": r.breakdown,
                 "agency_id": r.agency_id, "agency": name, "n": r.n, "good": r.good,
                 "excluded": r.excluded, "target": r.target,
                 "rate": r.weighted_rate if r.weighted_rate is not None else r.rate,
                 "low": r.weighted_low if r.weighted_rate is not None else r.ci_low,
                 "status": r.rag if r.rag in ("red", "amber", "green")
                 else "no_target" if r.target is None else "too_few"}
                for r, name in found]


SORTS = {
    "agency": lambda r: (r["agency"] is not None, (r["agency"] or "").casefold()),
    "which": lambda r: labels.group_label(r["scope"], r["breakdown"], r["measure"]).casefold(),
    "counted": lambda r: r["n"], "met": lambda r: r["good"], "excluded": lambda r: r["excluded"],
    "rate": lambda r: r["rate"], "interval": lambda r: r["low"], "target": lambda r: r["target"],
    "status": lambda r: WORST_FIRST.index(r["status"]),
}


def expected(rows: list[dict[str, Any]], *, measure: str = "", agency: int | None = None,
             statuses: tuple[str, ...] = (), sort: str = "", desc: bool = False,
             own: int | None = None) -> list[tuple[str, str, str, int, int, str, str]]:
    def rank(measure: str) -> tuple[int, str]:
        order = MEASURE_ORDER + [m for m in labels.MEASURE_ORDER if m not in MEASURE_ORDER]
        return (order.index(measure) if measure in order else len(order), measure)

    picked = [r for r in rows
              if (r["measure"] == measure if measure
                  else r["measure"] != "criterion_good_or_better")
              and (own is None or r["agency_id"] == own)
              and (agency is None or r["agency_id"] == agency)
              and (not statuses or r["status"] in {STATUS_OF_SLUG[s] for s in statuses})]
    picked.sort(key=lambda r: (r["agency_id"] is not None, r["agency"] or "", r["scope"] != "all",
                               r["scope"], r["breakdown"] != "", r["breakdown"]))
    if sort:
        known = sorted((r for r in picked if SORTS[sort](r) is not None), key=SORTS[sort],
                       reverse=desc)
        picked = known + [r for r in picked if SORTS[sort](r) is None]
    picked.sort(key=lambda r: rank(r["measure"]))
    return [(labels.measure_title(r["measure"]), r["agency"] or "Partnership (all agencies)",
             labels.group_label(r["scope"], r["breakdown"], r["measure"]), r["n"], r["good"],
             labels.percent_text(r["rate"], r["target"]),
             labels.STATUS_WORDS[{"too_few": labels.TOO_FEW}.get(r["status"], r["status"])])
            for r in picked]


def url(**args: Any) -> str:
    return "/rates?" + urlencode(args, doseq=True)


# --- tests ----------------------------------------------------------------------------------


@pytest.fixture()
def small_pages(monkeypatch):
    monkeypatch.setattr("qa_app.reporting.views.PAGE_SIZE", 7)


COMBINATIONS = [
    {},
    {"status": ["below-target"]},
    {"status": ["below-target", "near-target"], "sort": "rate", "order": "desc"},
    {"sort": "counted"},
    {"sort": "status"},
    {"sort": "agency", "order": "desc"},
    {"sort": "which"},
    {"sort": "interval", "order": "desc"},
    {"measure": "advice_good_or_better", "sort": "met", "order": "desc"},
    {"measure": "criterion_good_or_better", "sort": "rate"},
    {"measure": "advice_on_time", "sort": "excluded", "status": ["on-target", "no-target"]},
    {"status": ["too-few"], "sort": "target"},
]


@pytest.mark.parametrize("period", ["year", "cycle"])
def test_every_filter_and_sort_selects_and_orders_the_stored_rows(app, client, world,
                                                                   small_pages, period):
    sign_in(client, world["users"]["manager"])
    where = {"year": "2025/26"} if period == "year" else {"cycle": str(world["cycle"])}
    rows = stored(app, where)
    combinations = COMBINATIONS + [{"agency": world["health"], "sort": "rate"},
                                   {"agency": world["ep"], "status": ["on-target"]}]
    for args in combinations:
        want = expected(rows, measure=args.get("measure", ""), agency=args.get("agency"),
                        statuses=tuple(args.get("status", ())), sort=args.get("sort", ""),
                        desc=args.get("order") == "desc")
        assert want, args
        assert every_page(client, url(**where, **args)) == want, args
    assert len(expected(rows)) > 7, "the world should need more than one page"


def test_sort_headings_period_links_and_pages_keep_the_view(app, client, world, small_pages):
    sign_in(client, world["users"]["manager"])
    page, _ = shown(client, url(year="2025/26", status="below-target"))
    assert all(aria == "none" for aria, _ in page.headers.values())

    rate_up = page.headers["Rate"][1]
    page, rows = shown(client, rate_up)
    assert page.headers["Rate"][0] == "ascending"
    assert {aria for name, (aria, _) in page.headers.items() if name != "Rate"} == {"none"}
    year_rows = stored(app, {"year": "2025/26"})
    want = expected(year_rows, statuses=("below-target",), sort="rate")
    assert every_page(client, rate_up) == want and rows == want[:7]

    rate_down = page.headers["Rate"][1]
    page, _ = shown(client, rate_down)
    assert page.headers["Rate"][0] == "descending"
    assert every_page(client, rate_down) == expected(year_rows, statuses=("below-target",),
                                                     sort="rate", desc=True)

    cycle_link = page.links["Autumn term 2025 (cycle)"]
    assert "sort=rate" in cycle_link and "order=desc" in cycle_link
    assert "status=below-target" in cycle_link
    assert every_page(client, cycle_link) == expected(
        stored(app, {"cycle": str(world["cycle"])}), statuses=("below-target",), sort="rate",
        desc=True)

    page, _ = shown(client, url(year="2025/26", sort="counted", order="desc"))
    following = page.links["Next page"] if "Next page" in page.links else next(
        href for text, href in page.links.items() if text.startswith("Next"))
    assert "sort=counted" in following and "order=desc" in following and "page=2" in following
    cleared = page.links["Clear filters"]
    assert cleared == "/rates?year=2025/26" or cleared == "/rates?year=2025%2F26"


def test_the_filter_form_carries_the_sort_and_says_what_is_chosen(client, world):
    sign_in(client, world["users"]["manager"])
    html = client.get(url(year="2025/26", sort="status", order="desc",
                          status=["below-target", "on-target"])).get_data(as_text=True)
    assert '<input type="hidden" name="sort" value="status">' in html
    assert '<input type="hidden" name="order" value="desc">' in html
    assert 'value="below-target" checked' in html and 'value="on-target" checked' in html
    assert 'value="near-target" checked' not in html
    assert "Below target only" in html and "Apply filters" in html


HOSTILE = {
    "sort=__class__": {}, "sort=rate&order=sideways": {"sort": "rate"},
    "status=%3Cscript%3E": {}, "status=red": {}, "status=": {}, "sort=": {}, "page=": {},
    "page=0": {}, "page=-1": {}, "page=%C2%B2": {}, f"page={2**70}": {}, "page=999999": {},
    "order=desc": {}, "sort=agency&sort=rate": {"sort": "agency"},
    "status=below-target&status=below-target&status=x": {"statuses": ("below-target",)},
}
"""Query strings a person or a script might send, and the view each falls back to."""


def test_unknown_sort_status_and_page_values_fall_back_to_the_defaults(app, client, world):
    sign_in(client, world["users"]["manager"])
    rows = stored(app, {"year": "2025/26"})
    for bad, view in HOSTILE.items():
        _, shown_rows = shown(client, f"/rates?year=2025/26&{bad}")
        assert shown_rows == expected(rows, **view), bad


def test_past_the_last_page_shows_the_last_page(app, client, world, small_pages):
    sign_in(client, world["users"]["manager"])
    plain = expected(stored(app, {"year": "2025/26"}))
    _, rows = shown(client, url(year="2025/26", page=999))
    last = len(plain) % 7 or 7
    assert rows == plain[-last:]


def test_an_agency_lead_filters_only_their_own_rows(app, client, world, small_pages):
    sign_in(client, world["users"]["lead"])
    rows = stored(app, {"year": "2025/26"})
    for args in ({}, {"agency": world["ep"]}, {"status": ["below-target", "near-target"]},
                 {"sort": "rate", "order": "desc", "agency": world["ep"]},
                 {"measure": "criterion_good_or_better", "sort": "status"}):
        got = every_page(client, url(year="2025/26", **args))
        assert got == expected(rows, measure=args.get("measure", ""),
                               statuses=tuple(args.get("status", ())),
                               sort=args.get("sort", ""), desc=args.get("order") == "desc",
                               own=world["health"]), args
        assert {agency for _, agency, *_ in got} <= {"Community Paediatrics"}
