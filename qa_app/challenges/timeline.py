"""Challenges on a plan's case timeline: each challenge to the grade of the plan or of its
advice, and its outcome, as the challenging agency's part of the story."""

from __future__ import annotations

from collections.abc import Iterator

from flask import has_request_context, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.subjects import subject_label
from qa_app.challenges.models import CHANGED, UPHELD, GradeChallenge
from qa_app.challenges.operations import rubric_of
from qa_app.extensions import db
from qa_app.learning.timeline import TimelineEvent
from qa_app.register.models import Advice


def events_for_plan(plan_id: int) -> Iterator[TimelineEvent]:
    advice_ids = select(Advice.id).where(Advice.plan_id == plan_id)
    rows = db.session.scalars(
        select(GradeChallenge).join(FinalGrade, FinalGrade.id == GradeChallenge.final_grade_id)
        .where(or_(FinalGrade.plan_id == plan_id, FinalGrade.advice_id.in_(advice_ids)))
        .options(selectinload(GradeChallenge.final_grade))
        .order_by(GradeChallenge.raised_at, GradeChallenge.id))
    for challenge in rows:
        final = challenge.final_grade
        subject = final.plan or final.advice
        what = subject_label(subject) if subject is not None else "a subject"
        url = (url_for("challenges.show", challenge_id=challenge.id)
               if has_request_context() else None)
        yield TimelineEvent(challenge.raised_at, "Grade challenged",
                            f"The agency challenged the final grade of the {what}.",
                            challenge.agency_id, url)
        if challenge.decided_at is None:
            continue
        if challenge.status == UPHELD:
            detail = f"The panel chair upheld the final grade of the {what}: it stands."
            yield TimelineEvent(challenge.decided_at, "Challenge upheld", detail,
                                challenge.agency_id, url)
        elif challenge.status == CHANGED and challenge.grade_after is not None:
            rubric = rubric_of(challenge)
            detail = (f"After the challenge, the panel chair changed the final grade of the "
                      f"{what} from {rubric.label_for(challenge.grade_before)} to "
                      f"{rubric.label_for(challenge.grade_after)}.")
            yield TimelineEvent(challenge.decided_at, "Grade changed after a challenge",
                                detail, challenge.agency_id, url)
