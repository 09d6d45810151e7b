"""Surveys for the demonstration partnership: the survey files loaded, families of the
newest closed cycle answering, and a term's practitioner survey with a training date."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle, Sample
from qa_app.extensions import db
from qa_app.surveys import operations, queries
from qa_app.surveys.models import PRACTITIONER, SurveyLink, SurveyResponse

FAMILY_COMMENTS = (
    "The coordinator explained each step and rang back when promised.",
    "We had to repeat our story to every service.",
    "It took a long time, but the plan sounds like our son now.",
)
STAFF_COMMENTS = (
    "Examples of good outcomes for older pupils would help.",
    "More time to meet the child before writing.",
)


def bring_surveys_to_life(today: date) -> str:
    """Load the survey files and, once, add synthetic answers. Returns a line for the demo."""
    result = operations.load_survey_files()
    loaded = f"Surveys: {len(result.loaded)} loaded, {len(result.unchanged)} unchanged"
    if db.session.scalar(select(func.count()).select_from(SurveyResponse)):
        return loaded
    rng = random.Random(2026)
    cycle = db.session.scalars(
        select(Cycle).join(Sample, Sample.cycle_id == Cycle.id)
        .where(Cycle.status == "closed").order_by(Cycle.end_date.desc())).first()
    families = 0
    if cycle is not None:
        for index, (_, token) in enumerate(operations.make_family_links(cycle, 28)):
            if rng.random() < 0.3:
                continue  # not every family answers
            respondent = "young_person" if index % 4 == 0 else "parent_carer"
            found = queries.find_link(token, "family")
            version = queries.family_version(respondent)
            if found is None or version is None:
                continue
            values = _answers(version.body, rng, FAMILY_COMMENTS if index % 5 == 0 else ())
            families += operations.save_answers(found[0], version, values)
    staff = 0
    if not queries.runs() and queries.current_versions(PRACTITIONER):
        run, pairs = operations.start_practitioner_run(
            f"Demo term {today.year}", "practitioner-confidence", today + timedelta(days=42))
        version = queries.current_versions(PRACTITIONER)[0]
        for agency_index, (_, token) in enumerate(pairs):
            link = queries.find_link(token, PRACTITIONER)
            if link is None:
                continue
            for person in range(6 + agency_index % 3):
                staff += operations.save_answers(link[0], version, _answers(
                    version.body, rng, STAFF_COMMENTS if person == 0 else ()))
        run.training_date = today
        _spread_answers(run.id, today)
    return f"{loaded}; {families} family and {staff} staff answers added"


def _answers(body: dict, rng: random.Random, comments: tuple[str, ...]) -> dict[str, object]:
    values: dict[str, object] = {}
    for question in body["questions"]:
        if question["kind"] == "scale":
            levels = [level["value"] for level in question["scale"]["levels"]]
            values[question["id"]] = rng.choices(levels, weights=range(1, len(levels) + 1))[0]
        elif comments:
            values[question["id"]] = rng.choice(comments)
    return values


def _spread_answers(run_id: int, today: date) -> None:
    """Half the staff answered a month before the training day: a before and after."""
    responses = db.session.scalars(
        select(SurveyResponse).join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
        .where(SurveyLink.run_id == run_id).order_by(SurveyResponse.id)).all()
    for index, response in enumerate(responses):
        if index % 2 == 0:
            response.submitted_on = today - timedelta(days=30)
    db.session.flush()
