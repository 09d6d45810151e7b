"""Unfinished figures read as unfinished: open cycles and small counts are provisional on the
trend, the year's agreement adds up every cycle of the year, and each agency is offered only
the measures that apply to its kind of work.

Expected figures are recounted here from the rows the test made, not by the product's code.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from qa_app.dashboard import charts
from qa_app.extensions import db
from qa_app.reporting.operations import run_aggregation
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in

AUTUMN_PAIRS = {"child_voice": [(3, 3), (2, 3), (4, 4)], "outcomes": [(3, 3), (3, 2), (1, 1)]}
SPRING_PAIRS = {"child_voice": [(4, 4), (1, 2)], "outcomes": [(2, 2), (4, 3)]}
PLAN_MEASURES = ("EHC plans good or better", "New plans issued within 20 weeks")


def _section(page: str, start: str, end: str) -> str:
    return page.split(f'id="{start}"')[1].split(f'id="{end}"')[0]


def _trend_world(app) -> dict[str, int]:
    """A closed autumn (n=40, and child voice on 3 records) and an open spring with n=1."""
    with app.app_context():
        autumn = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19),
                             status="closed")
        spring = build.cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27))
        make.year_rates(None)
        make.cycle_rates(autumn.id, [
            (None, "plans_good_or_better", "all", "", 40, 30, 80.0, "red"),
            (None, "child_voice_good_or_better", "all", "", 3, 3, 80.0, None)])
        make.cycle_rates(spring.id, [
            (None, "plans_good_or_better", "all", "", 1, 0, 80.0, None)])
        db.session.commit()
        return {"autumn": autumn.id, "spring": spring.id}


def test_open_cycles_and_small_counts_are_provisional_on_the_trend(app, client):
    _trend_world(app)
    sign_in(client, make.on(app).user("qi_manager").email)
    trend = _section(client.get("/dashboard/").get_data(as_text=True), "trend", "criteria")
    rows = {row.split("</th>")[0].rsplit(">", 1)[1]: row.split("</th>", 1)[1]
            for row in trend.split("<tbody")[1].split("<tr")[1:]}
    plans = re.findall(r"<td[^>]*>(.*?)</td>", rows["EHC plans good or better"])
    assert "75.0%" in plans[0] and "Provisional" not in plans[0]  # closed cycle, n=40
    assert "0.0%" in plans[1] and "(n=1)" in plans[1] and "Provisional" in plans[1]  # open
    voice = re.findall(r"<td[^>]*>(.*?)</td>", rows["Child&#39;s voice good or better"])
    assert "(n=3)" in voice[0] and "Provisional" in voice[0]  # 3 is under min_n of 5
    desc = trend.split("<desc")[1].split("</desc>")[0]
    assert "Spring term 2026 0.0% (provisional)" in desc
    assert "Autumn term 2025 75.0%," in desc  # a final figure is not called provisional
    assert 'fill="#ffffff"' in trend and "Hollow point: provisional" in trend
    for title in ("EHC plans good or better", "Advice received on time"):
        assert f">{title}</text>" in trend  # the legend names every line


def test_every_period_label_fits_inside_the_chart():
    periods = ["Autumn term 2025", "Spring term 2026", "Summer term 2026 (extended)"]
    svg = str(charts.trend_lines("t", "Trend", periods,
                                 [charts.Series("A", [(p, 50.0) for p in periods])]))
    width = float(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    height = float(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(2))
    for x, line in re.findall(r'<tspan x="([\d.]+)"[^>]*>([^<]*)</tspan>', svg):
        half = len(line) * 7 / 2  # 12px text is under 7px a character
        assert float(x) - half >= 0 and float(x) + half <= width, line
    assert {"Autumn term", "2025", "Summer term", "2026", "(extended)"} <= set(
        re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg))
    for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)"', svg):
        assert float(y) <= height


@pytest.fixture()
def paired_year(app) -> dict[str, int]:
    """Two cycles of 2025/26, each with plans audited by two panel auditors; one aggregation."""
    body = {"good_or_better": 3,
            "scale": [{"value": v, "label": f"Grade {v}"} for v in (1, 2, 3, 4)],
            "criteria": [{"id": "child_voice"}, {"id": "outcomes"}]}
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        version = RubricVersion(rubric_id="ehcp-plan", version="1", title="EHC plan",
                                applies_to="plan", content_hash="2" * 64, body=body)
        db.session.add(version)
        db.session.flush()
        ids = {}
        for name, start, end, pairs in (
                ("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19), AUTUMN_PAIRS),
                ("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27), SPRING_PAIRS)):
            cycle = build.cycle(name, start, end, status="closed").id
            ids[name] = cycle
            for i in range(max(map(len, pairs.values()))):
                plan = build.plan(la).id
                for auditor in (0, 1):
                    build.panel_audit(version.id, cycle,
                                      {c: p[i][auditor] for c, p in pairs.items()},
                                      plan_id=plan)
        db.session.commit()
        run_aggregation(as_of=date(2026, 7, 1))
        db.session.commit()
    return ids


def _agreement_rows(page: str) -> dict[str, tuple[int, str]]:
    table = _section(page, "agreement", "letters").split("Weighted kappa")[-1]
    out = {}
    for row in table.split("<tbody")[1].split("<tr")[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        out[cells[1]] = (int(cells[2]), cells[3])
    return out


def test_the_year_agreement_counts_every_cycle(app, client, paired_year):
    sign_in(client, make.on(app).user("qi_manager").email)
    year = _agreement_rows(client.get("/dashboard/?year=2025/26").get_data(as_text=True))
    for criterion, label in (("child_voice", "Child voice"), ("outcomes", "Outcomes")):
        pairs = AUTUMN_PAIRS[criterion] + SPRING_PAIRS[criterion]
        same = sum(one == two for one, two in pairs)
        assert year[label] == (len(pairs), f"{100 * same / len(pairs):.1f}%")
    spring = paired_year["Spring term 2026"]
    chosen = _agreement_rows(
        client.get(f"/dashboard/?year=2025/26&cycle={spring}").get_data(as_text=True))
    assert chosen["Outcomes"][0] == len(SPRING_PAIRS["outcomes"])
    export = client.get("/dashboard/export/agreement.csv?year=2025/26").get_data(as_text=True)
    assert f",{len(AUTUMN_PAIRS['outcomes']) + len(SPRING_PAIRS['outcomes'])}," in export


def test_a_health_agency_is_offered_no_plan_measures(app, client):
    casework, health, _, _ = make.on(app).dashboard_world()
    lead = make.on(app).user("agency_lead", health.name)
    sign_in(client, lead.email)
    page = client.get("/dashboard/?measure=plans_good_or_better").get_data(as_text=True)
    choices = page.split('id="filter-measure"')[1].split("</select>")[0]
    headline = _section(page, "headline", "agencies")
    for title in PLAN_MEASURES:
        assert title not in choices and title not in headline
    assert "Advice good or better" in choices and 'id="filter-advice-type"' in page
    assert "EHC plans good or better" not in _section(page, "trend", "criteria")
    manager, client = make.on(app).user("qi_manager"), app.test_client()
    sign_in(client, manager.email)
    la = client.get(f"/dashboard/?agency={casework.id}").get_data(as_text=True)
    offered = la.split('id="filter-measure"')[1].split("</select>")[0]
    assert "EHC plans good or better" in offered and "Advice good or better" not in offered
    assert 'id="filter-advice-type"' not in la
    partnership = client.get("/dashboard/").get_data(as_text=True)
    everything = partnership.split('id="filter-measure"')[1].split("</select>")[0]
    assert all(title in everything for title in (*PLAN_MEASURES, "Advice good or better"))
