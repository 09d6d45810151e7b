"""Plain words where people read: no rubric id or measure code in a page's visible text, and
downloads named for what they hold (the measure and the period)."""

from __future__ import annotations

import re
from html import unescape

import pytest
import yaml
from flask import Flask

from qa_app.jobs.display import figures_message
from qa_app.reporting.labels import MEASURE_TITLES
from tests import factories as make
from tests.factories import sign_in
from tests.factories.audits import RUBRICS

RUBRIC_IDS = sorted(yaml.safe_load(path.read_text())["id"] for path in RUBRICS.glob("*.yaml")
                    if path.name != "targets.yaml")
CODES = [*RUBRIC_IDS, *MEASURE_TITLES]
PAGES = ("/", "/dashboard/", "/dashboard/?year=2025/26", "/rates", "/rates?year=2025/26",
         "/audit-log/", "/audit-log/?sign_ins=y", "/jobs/", "/standards/")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture()
def manager(app: Flask, client):
    with app.app_context():
        make.shipped_rubrics()
        from qa_app.extensions import db
        db.session.commit()
    casework, _, _, cycle_id = make.on(app).dashboard_world()
    user = make.on(app).user("qi_manager", casework.name)
    sign_in(client, user.email)
    return cycle_id


def test_rubric_ids_are_known() -> None:
    assert "ehcp-plan" in RUBRIC_IDS and "advice-health" in RUBRIC_IDS
    assert "plans_good_or_better" in CODES


def test_no_page_prints_a_code(client, manager) -> None:
    for path in (*PAGES, f"/dashboard/?year=2025/26&cycle={manager}",
                 f"/rates?cycle={manager}"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = visible_text(response.get_data(as_text=True))
        found = [code for code in CODES if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])",
                                                     text)]
        assert not found, f"{path} shows {found}"


def _file_name(response) -> str:
    return re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)


def test_download_names_carry_the_measure_and_period(client, manager) -> None:
    names = {path: _file_name(client.get(path)) for path in (
        "/dashboard/export/rates.csv?year=2025/26",
        f"/dashboard/export/rates.xlsx?year=2025/26&cycle={manager}",
        "/dashboard/export/audits.csv?year=2025/26",
        "/dashboard/data/headline.csv?year=2025/26",
        "/dashboard/data/agencies.csv?year=2025/26",
        f"/dashboard/data/heatmap.csv?year=2025/26&cycle={manager}",
        "/dashboard/data/trend.csv?year=2025/26",
    )}
    assert list(names.values()) == [
        "rates-for-every-measure-2025-26.csv",
        "rates-for-every-measure-autumn-term-2025.xlsx", "final-grades-2025-26.csv",
        "headline-figures-2025-26.csv", "advice-good-or-better-by-agency-2025-26.csv",
        "advice-criteria-good-or-better-by-agency-autumn-term-2025.csv",
        "headline-figures-by-cycle-2025-26.csv",
    ]


def test_rate_export_headers_are_words_with_codes_kept(client, manager) -> None:
    text = client.get("/dashboard/export/rates.csv?year=2025/26").get_data(as_text=True)
    header, first = text.lstrip("\ufeff").splitlines()[:2]
    assert header.startswith("Period,Measure,Which records,Group,Agency,Records counted")
    assert header.endswith("measure_code,scope_code,breakdown_code")
    assert "_" not in header.split(",measure_code")[0]
    assert any(code in first.split(",") for code in MEASURE_TITLES)


def test_a_recalculation_says_what_changed_in_words() -> None:
    assert figures_message([]) == "There were no figures to check"
    same = [{"label": "Autumn term 2025", "status": "same"},
            {"label": "2025/26", "status": "same"}]
    assert figures_message(same) == (
        "Checked the figures for Autumn term 2025 and 2025/26: nothing had changed")
    one_new = [{**same[0], "status": "new"}, same[1]]
    assert figures_message(one_new) == (
        "Updated the figures for Autumn term 2025; 1 other had not changed")
