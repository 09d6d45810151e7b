"""The board report's "What families and practitioners say": the family rating and the
practitioners' confidence for the report's cycle equal a hand count of the answers given, on
the page and in the PDF; too few answers are said to be too few; a final report keeps what
it showed when more answers arrive; and no written answer ever reaches the report."""

from __future__ import annotations

import html
import io
import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.surveys.operations import load_survey_files
from tests import factories as make
from tests.factories.board import board_world
from tests.factories.surveys import (
    STAFF_SCORES,
    STAFF_WRITTEN,
    answer_families,
    practitioner_run_answered,
    sample_with_links,
)

FAMILY_TITLE = "Families rating their experience good or better"
WRITTEN = "Our coordinator Mrs Example never replied to us."


def _world(app: Flask, ratings: list[int]):
    """The board world with its casework plans sampled, one family answer for each of the
    first len(ratings) plans, and a practitioner survey that closed during the cycle."""
    with app.app_context():
        world = board_world()
        cycle = db.session.get(Cycle, world.cycle_id)
        plans = list(db.session.scalars(select(Plan).where(
            Plan.agency_id == world.casework_id).order_by(Plan.ref)))
        load_survey_files()
        sample_with_links(cycle, plans)
        answer_families(cycle.id, plans, ratings, WRITTEN)
        practitioner_run_answered(date(2025, 12, 5))
        db.session.commit()
        return world, [p.id for p in plans]


def _table_text(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}".*?</table>', page, re.S)
    assert found, f"no {testid} table"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[0])).split())


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _family_line(ratings: list[int], target: str, status: str) -> str:
    good = sum(1 for r in ratings if r >= 3)
    return f"{FAMILY_TITLE} {len(ratings)} {good} {100 * good / len(ratings):.1f}% " \
        f"{target} {status}"


def _staff_line() -> str:
    good = sum(1 for s in STAFF_SCORES if s >= 3)
    return f"{len(STAFF_SCORES)} {good} {100 * good / len(STAFF_SCORES):.1f}%"


def _page(client: FlaskClient, report_id: int) -> str:
    response = client.get(f"/board/{report_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_section_equals_a_hand_count_on_the_page_and_in_the_pdf(app: Flask) -> None:
    ratings = [4, 3, 2, 4, 1, 3]
    world, _ = _world(app, ratings)
    client = make.signed_in(app, world.manager_email)
    page = _page(client, world.report_id)
    assert page.index("The partnership against its targets") \
        < page.index("What families and practitioners say") \
        < page.index("Exceptions, with each agency")
    # Four of six good or better: 66.7% is more than 5 points below the 75% target.
    expected = _family_line(ratings, "75.0%", "Below target")
    assert expected == f"{FAMILY_TITLE} 6 4 66.7% 75.0% Below target"
    assert expected in _table_text(page, "family-voice")
    staff = _table_text(page, "practitioner-voice")
    assert "Autumn confidence (closed 5 December 2025)" in staff
    assert _staff_line() == "6 4 66.7%"
    assert _staff_line() in staff
    assert WRITTEN not in page and STAFF_WRITTEN not in page

    pdf = client.get(f"/board/{world.report_id}/report.pdf")
    assert pdf.status_code == 200
    text = _pdf_text(pdf.data)
    assert "What families and practitioners say" in text
    assert expected in text
    assert _staff_line() in text
    assert WRITTEN not in text and STAFF_WRITTEN not in text


def test_too_few_answers_are_said_to_be_too_few(app: Flask) -> None:
    world, _ = _world(app, [4, 4, 4])
    client = make.signed_in(app, world.manager_email)
    family = _table_text(_page(client, world.report_id), "family-voice")
    assert f"{FAMILY_TITLE} 3 Not shown Too few to judge 75.0% Too few to judge" in family
    assert "(fewer than 5 answers)" in family
    assert "100.0%" not in family
    text = _pdf_text(client.get(f"/board/{world.report_id}/report.pdf").data)
    assert f"{FAMILY_TITLE} 3 Not shown Too few to judge 75.0%" in text


def test_a_final_report_keeps_its_figures_when_more_answers_arrive(app: Flask) -> None:
    from qa_app.board.models import BoardReport

    ratings = [4, 3, 3, 4, 1]
    world, plans = _world(app, ratings)
    client = make.signed_in(app, world.manager_email)
    check = client.get(f"/board/{world.report_id}/finalise").get_data(as_text=True)
    checked = re.search(r'<input[^>]*name="checked"[^>]*value="([0-9a-f]{64})"', check)[1]
    done = client.post(f"/board/{world.report_id}/finalise",
                       data={"csrf_token": make.csrf_token(client,
                                                           f"/board/{world.report_id}/finalise"),
                             "checked": checked})
    assert done.status_code == 302
    kept = _family_line(ratings, "75.0%", "On target")
    assert kept == f"{FAMILY_TITLE} 5 4 80.0% 75.0% On target"
    with app.app_context():
        stored = db.session.get(BoardReport, world.report_id).content
        assert stored["voices"]["family"]["counted"] == 5
        answer_families(world.cycle_id, plans, [1], WRITTEN, start=len(ratings))
        db.session.commit()
    page = _page(client, world.report_id)
    assert kept in _table_text(page, "family-voice")
    assert kept in _pdf_text(client.get(f"/board/{world.report_id}/report.pdf").data)
