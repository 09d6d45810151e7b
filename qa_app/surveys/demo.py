"""Surveys for the demonstration partnership: the survey files loaded, families of the
newest closed cycle answering, and a term's practitioner survey with a training date."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle, Sample
from qa_app.extensions import db
from qa_app.surveys import operations, queries
from qa_app.surveys.models import PRACTITIONER, SurveyLink, SurveyResponse, SurveyRun

FAMILY_COMMENTS = (
    "The coordinator explained each step and rang back when promised.",
    "We had to repeat our story to every service.",
    "It took a long time, but the plan sounds like our son now.",
)
FAMILY_DAYS = 28
"""How long a family's link stays open."""
STAFF_COMMENTS = (
    "Examples of good outcomes for older pupils would help.",
    "More time to meet the child before writing.",
)


def bring_surveys_to_life(today: date) -> str:
    """Load the survey files and, once, add synthetic answers, all dated by the demo's `today`
    (never the real date). Returns a line for the demo."""
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
        for index, (_, token) in enumerate(operations.make_family_links(cycle, FAMILY_DAYS)):
            if rng.random() < 0.3:
                continue  # not every family answers
            respondent = "young_person" if index % 4 == 0 else "parent_carer"
            found = queries.find_link(token, "family")
            version = queries.family_version(respondent)
            if found is None or version is None:
                continue
            values = _answers(version.body, rng, FAMILY_COMMENTS if index % 5 == 0 else ())
            families += operations.save_answers(found[0], version, values)
        _date_family_links(cycle, today)
    staff = 0
    if not queries.runs() and queries.current_versions(PRACTITIONER):
        # The operation checks a closing date against the real clock, as it must for people
        # choosing one; the demo opens the run on a date it accepts, then dates it as below.
        run, pairs = operations.start_practitioner_run(
            f"Demo term {today.year}", "practitioner-confidence",
            date.today() + timedelta(days=1))
        version = operations.current_version(run.survey_id, PRACTITIONER)
        assert version is not None
        for agency_index, (_, token) in enumerate(pairs):
            link = queries.find_link(token, PRACTITIONER)
            if link is None:
                continue
            for person in range(6 + agency_index % 3):
                staff += operations.save_answers(link[0], version, _answers(
                    version.body, rng, STAFF_COMMENTS if person == 0 else ()))
        _date_practitioner_run(run, today)
    return f"{loaded}; {families} family and {staff} staff answers added"


def _date_family_links(cycle: Cycle, today: date) -> None:
    """The cycle's families were sent their links after it closed, at most three weeks before
    `today`, and answered over the following days, never after `today` (the operations stamp
    the real time)."""
    sent = max(cycle.end_date + timedelta(days=1), today - timedelta(days=21))
    links = db.session.scalars(
        select(SurveyLink).where(SurveyLink.cycle_id == cycle.id).order_by(SurveyLink.id))
    answered = {response.link_id: response for response in db.session.scalars(
        select(SurveyResponse).join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
        .where(SurveyLink.cycle_id == cycle.id))}
    for index, link in enumerate(links):
        link.created_at = datetime.combine(sent, time(9, 0))
        link.expires_at = link.created_at + timedelta(days=FAMILY_DAYS)
        response = answered.get(link.id)
        if response is not None:
            response.submitted_on = min(sent + timedelta(days=index % 10), today)
            link.used_at = datetime.combine(response.submitted_on, time(18, 0))
    db.session.flush()


def _date_practitioner_run(run: SurveyRun, today: date) -> None:
    """The term's run opened five weeks before `today` and closes six weeks after it; the
    training was on `today`, and half the staff answered a month before it: a before and
    after."""
    opened = datetime.combine(today - timedelta(days=35), time(9, 0))
    run.created_at = opened
    run.closes_on = today + timedelta(days=42)
    run.training_date = today
    for link in db.session.scalars(select(SurveyLink).where(SurveyLink.run_id == run.id)):
        link.created_at = opened
        link.expires_at = datetime.combine(run.closes_on + timedelta(days=1), time.min)
    responses = db.session.scalars(
        select(SurveyResponse).join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
        .where(SurveyLink.run_id == run.id).order_by(SurveyResponse.id)).all()
    for index, response in enumerate(responses):
        response.submitted_on = today - timedelta(days=30) if index % 2 == 0 else today
    db.session.flush()


def _answers(body: dict, rng: random.Random, comments: tuple[str, ...]) -> dict[str, object]:
    values: dict[str, object] = {}
    for question in body["questions"]:
        if question["kind"] == "scale":
            levels = [level["value"] for level in question["scale"]["levels"]]
            values[question["id"]] = rng.choices(levels, weights=range(1, len(levels) + 1))[0]
        elif comments:
            values[question["id"]] = rng.choice(comments)
    return values
