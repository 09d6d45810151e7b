"""What families and practitioners say, beside plan quality on the dashboard and in the API:
the figures equal a hand count of the answer rows for the year or the cycle chosen; too few
answers are provisional and never a plain percentage; only those who may see survey results
get them, and never a written answer.

Expected figures are counted here from the stored answer rows, not by the product's code.
"""

from __future__ import annotations

import html
import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.surveys.models import SurveyAnswer, SurveyLink, SurveyResponse
from qa_app.surveys.operations import load_survey_files
from tests import factories as make
from tests.factories.board import board_world
from tests.factories.surveys import (
    STAFF_WRITTEN,
    answer_families,
    practitioner_run_answered,
    sample_with_links,
)

FAMILY = "Families rating their experience good or better"
WRITTEN = "Our coordinator never replied to us."


def _world(app: Flask, autumn: list[int], spring: list[int] | None = None):
    """The board world (a closed autumn 2025 cycle with figures), its casework plans sampled
    and answered by families, a practitioner survey that closed in the autumn, and with
    `spring` an open spring cycle of the same year whose families answered too."""
    with app.app_context():
        world = board_world(start_report=False)
        cycle = db.session.get(Cycle, world.cycle_id)
        plans = list(db.session.scalars(select(Plan).where(
            Plan.agency_id == world.casework_id).order_by(Plan.ref)))
        load_survey_files()
        sample_with_links(cycle, plans)
        answer_families(cycle.id, plans, autumn, WRITTEN)
        spring_id = None
        if spring is not None:
            later = make.cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27),
                               status="open")
            sample_with_links(later, plans[:len(spring)])
            answer_families(later.id, plans, spring, WRITTEN)
            spring_id = later.id
        run = practitioner_run_answered(date(2025, 12, 5))
        db.session.commit()
        return world, spring_id, run.id


def _hand_count(app: Flask, cycle_ids: list[int]) -> tuple[int, int]:
    """(good or better, answered) of the families' overall rating, from the answer rows."""
    with app.app_context():
        rows = db.session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.good_or_better, SurveyLink.cycle_id,
                   SurveyLink.audience)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)).all()
    rated = [good for question, good, cycle_id, audience in rows
             if audience == "family" and question == "overall_experience"
             and cycle_id in cycle_ids]
    return sum(1 for good in rated if good), len(rated)


def _staff_count(app: Flask, run_id: int) -> tuple[int, int]:
    with app.app_context():
        rows = db.session.execute(
            select(SurveyAnswer.value, SurveyAnswer.good_or_better, SurveyLink.run_id)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)).all()
    scored = [good for value, good, run in rows if run == run_id and value is not None]
    return sum(1 for good in scored if good), len(scored)


def _percent(good: int, n: int) -> str:
    return f"{100 * good / n:.1f}%"


def _section(client: FlaskClient, query: str = "") -> str | None:
    page = client.get(f"/dashboard/{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    if 'id="voices"' not in text:
        return None
    found = re.search(r'id="voices".*?</table>', text, re.S)
    assert found
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[0])).split())


def _token(app: Flask, email: str) -> dict[str, str]:
    from qa_app.api.tokens import create_token
    from qa_app.auth.models import User

    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        _, value = create_token(user, "reporting")
        db.session.commit()
    return {"Authorization": f"Bearer {value}"}


def test_the_section_and_the_api_equal_a_hand_count_for_the_cycle(app: Flask) -> None:
    world, _, run_id = _world(app, [4, 3, 2, 4, 1, 3])
    good, n = _hand_count(app, [world.cycle_id])
    staff_good, staff_n = _staff_count(app, run_id)
    assert (good, n, staff_good, staff_n) == (4, 6, 4, 6)
    client = make.signed_in(app, world.manager_email)
    section = _section(client, f"?year=2025/26&cycle={world.cycle_id}")
    assert section is not None and "Autumn term 2025" in section
    # Four of six good or better: more than 5 points below the 75% target.
    assert f"{FAMILY} {n} {good} {_percent(good, n)} 75.0% Below target" in section
    assert (f"Practitioners confident or better (Autumn confidence, closed 5 December 2025; "
            f"every question together) {staff_n} {staff_good} {_percent(staff_good, staff_n)}"
            in section)
    assert "Provisional" not in section
    page = client.get(f"/dashboard/?cycle={world.cycle_id}").get_data(as_text=True)
    assert f'href="/surveys/results?cycle={world.cycle_id}"' in page
    assert f'href="/surveys/results?cycle={world.cycle_id}&amp;run={run_id}"' in page
    assert WRITTEN not in page and STAFF_WRITTEN not in page

    api = app.test_client()
    data = api.get(f"/api/v1/surveys/measures?cycle_id={world.cycle_id}",
                   headers=_token(app, world.manager_email)).get_json()
    assert data["academic_year"] == "2025/26" and data["period"] == "Autumn term 2025"
    family = data["family"]
    assert (family["n"], family["good"], family["target"]) == (n, good, 75.0)
    assert abs(family["rate"] - 100 * good / n) < 1e-9
    assert (family["status"], family["provisional"]) == ("red", False)
    staff = data["practitioner"]
    assert (staff["run"], staff["n"], staff["good"]) == ("Autumn confidence", staff_n, staff_good)
    assert staff["closes_on"] == "2025-12-05" and staff["provisional"] is False
    assert WRITTEN not in str(data) and STAFF_WRITTEN not in str(data)


def test_the_whole_year_adds_its_cycles_and_an_open_cycle_is_provisional(app: Flask) -> None:
    world, spring_id, _ = _world(app, [4, 3, 2, 4, 1, 3], spring=[4, 4])
    good, n = _hand_count(app, [world.cycle_id, spring_id])
    assert (good, n) == (6, 8)
    section = _section(make.signed_in(app, world.manager_email))  # the year, by default
    assert section is not None and "2025/26" in section
    assert f"{FAMILY} {n} {good} {_percent(good, n)} Provisional 75.0% On target" in section
    data = app.test_client().get("/api/v1/surveys/measures?year=2025/26",
                                 headers=_token(app, world.manager_email)).get_json()
    assert (data["cycle_id"], data["family"]["n"], data["family"]["good"]) == (None, n, good)
    assert data["family"]["provisional"] is True


def test_too_few_answers_are_provisional_and_never_a_percentage(app: Flask) -> None:
    world, _, _ = _world(app, [4, 4, 4])
    good, n = _hand_count(app, [world.cycle_id])
    assert (good, n) == (3, 3)
    section = _section(make.signed_in(app, world.manager_email), f"?cycle={world.cycle_id}")
    assert section is not None
    assert f"{FAMILY} {n} Not shown Too few to show Provisional 75.0% Too few to judge" \
        in section
    assert "100.0%" not in section
    data = app.test_client().get(f"/api/v1/surveys/measures?cycle_id={world.cycle_id}",
                                 headers=_token(app, world.manager_email)).get_json()
    family = data["family"]
    assert (family["n"], family["good"], family["rate"], family["rate_text"]) == \
        (n, None, None, None)
    assert family["provisional"] is True and family["status"] == "too_few_to_judge"


def test_one_agency_chosen_shows_its_own_figure(app: Flask) -> None:
    world, _, run_id = _world(app, [4, 3, 2, 4, 1, 3])
    good, n = _hand_count(app, [world.cycle_id])  # every plan is the casework team's
    section = _section(make.signed_in(app, world.manager_email),
                       f"?cycle={world.cycle_id}&agency={world.health_id}")
    assert section is not None and "Community Paediatrics" in section
    assert f"{FAMILY} 0 Not shown No answers yet Provisional" in section
    data = app.test_client().get(
        f"/api/v1/surveys/measures?cycle_id={world.cycle_id}&agency_id={world.casework_id}",
        headers=_token(app, world.manager_email)).get_json()
    assert (data["agency"], data["family"]["n"], data["family"]["good"]) == \
        ("SEND Casework Team", n, good)


def test_roles_that_may_not_see_survey_results_do_not_get_them(app: Flask) -> None:
    world, _, _ = _world(app, [4, 3, 2, 4, 1, 3])
    chair = make.on(app).user("panel_chair")
    for email in (world.health_lead_email, chair.email):
        assert _section(make.signed_in(app, email)) is None
        page = make.signed_in(app, email).get("/dashboard/").get_data(as_text=True)
        assert "What families and practitioners say" not in page
        refused = app.test_client().get("/api/v1/surveys/measures",
                                        headers=_token(app, email))
        assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"


def test_unknown_periods_and_agencies_are_not_found(app: Flask) -> None:
    world, _, _ = _world(app, [4, 3])
    headers = _token(app, world.manager_email)
    api = app.test_client()
    assert api.get("/api/v1/surveys/measures?year=2025/27", headers=headers).status_code == 404
    assert api.get("/api/v1/surveys/measures?year=soon", headers=headers).status_code == 400
    assert api.get(f"/api/v1/surveys/measures?year=2024/25&cycle_id={world.cycle_id}",
                   headers=headers).status_code == 404
    assert api.get("/api/v1/surveys/measures?agency_id=99999",
                   headers=headers).status_code == 404
    assert api.get("/api/v1/surveys/measures", headers={}).status_code == 401
