"""Reads for surveys: which link a secret opens, the loaded versions, written answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.surveys.definition import Survey
from qa_app.surveys.models import (
    FAMILY,
    PRACTITIONER,
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
    SurveyRun,
    SurveyVersion,
)
from qa_app.surveys.operations import MAX_TOKEN, token_hash
from qa_app.timeutil import utcnow

LIVE, USED, EXPIRED = "live", "used", "expired"


def find_link(token: str, audience: str) -> tuple[SurveyLink, str] | None:
    """The link this secret opens and whether it is live, used or expired; None when no link
    of this kind has this secret (the page is then not found)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    link = db.session.execute(
        select(SurveyLink).where(SurveyLink.token_hash == token_hash(token),
                                 SurveyLink.audience == audience)
    ).scalar_one_or_none()
    if link is None:
        return None
    if link.used_at is not None:
        return link, USED
    if link.expires_at <= utcnow():
        return link, EXPIRED
    return link, LIVE


def current_versions(audience: str | None = None) -> list[SurveyVersion]:
    """The newest loaded version of each survey, by survey id."""
    newest = select(func.max(SurveyVersion.id)).group_by(SurveyVersion.survey_id)
    query = select(SurveyVersion).where(SurveyVersion.id.in_(newest))
    if audience is not None:
        query = query.where(SurveyVersion.audience == audience)
    return list(db.session.scalars(query.order_by(SurveyVersion.survey_id)))


def family_version(respondent: str) -> SurveyVersion | None:
    for version in current_versions(FAMILY):
        if version.respondent == respondent:
            return version
    return None


def all_versions() -> list[SurveyVersion]:
    return list(db.session.scalars(
        select(SurveyVersion).order_by(SurveyVersion.survey_id, SurveyVersion.id)))


def runs() -> list[SurveyRun]:
    return list(db.session.scalars(select(SurveyRun).order_by(SurveyRun.id.desc())))


def run_closed_between(start: date, end: date) -> SurveyRun | None:
    """The newest practitioner survey that closed in a period (as the board report chooses)."""
    return db.session.scalars(
        select(SurveyRun).where(SurveyRun.closes_on.between(start, end))
        .order_by(SurveyRun.closes_on.desc(), SurveyRun.id.desc()).limit(1)).first()


def family_link_counts(cycle_id: int) -> tuple[int, int]:
    """(links made, links answered) for a cycle's families."""
    made, answered = db.session.execute(
        select(func.count(SurveyLink.id), func.count(SurveyLink.used_at))
        .where(SurveyLink.audience == FAMILY, SurveyLink.cycle_id == cycle_id)).one()
    return int(made), int(answered)


@dataclass(frozen=True)
class WrittenAnswer:
    id: int
    question: str
    survey_title: str
    text: str
    submitted_on: date
    quotable: bool


def written_answers(cycle_id: int | None = None, run_id: int | None = None
                    ) -> list[WrittenAnswer]:
    """Free-text answers of a cycle's families or a run's practitioners, newest first, with
    the question each answers. Never shown with the plan or agency it came through."""
    query = (
        select(SurveyAnswer, SurveyVersion, SurveyResponse.submitted_on)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyVersion, SurveyVersion.id == SurveyResponse.survey_version_id)
        .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
        .where(SurveyAnswer.text.is_not(None))
        .order_by(SurveyResponse.submitted_on.desc(), SurveyAnswer.id.desc()))
    if cycle_id is not None:
        query = query.where(SurveyLink.cycle_id == cycle_id)
    if run_id is not None:
        query = query.where(SurveyLink.run_id == run_id)
    found = []
    for answer, version, submitted_on in db.session.execute(query):
        question = Survey.from_dict(version.body).question(answer.question_id)
        found.append(WrittenAnswer(answer.id, question.text if question else answer.question_id,
                                   version.title, answer.text or "", submitted_on,
                                   answer.quotable))
    return found


def quotable_answers(cycle_id: int) -> list[str]:
    """Written answers the manager marked as safe to quote anonymously, for a cycle's learning
    brief: its families' answers, and practitioners' answers sent during the cycle."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        return []
    family = (select(SurveyAnswer.text, SurveyAnswer.id)
              .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
              .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
              .where(SurveyAnswer.quotable, SurveyAnswer.text.is_not(None),
                     SurveyLink.audience == FAMILY, SurveyLink.cycle_id == cycle_id))
    staff = (select(SurveyAnswer.text, SurveyAnswer.id)
             .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
             .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
             .where(SurveyAnswer.quotable, SurveyAnswer.text.is_not(None),
                    SurveyLink.audience == PRACTITIONER,
                    SurveyResponse.submitted_on.between(cycle.start_date, cycle.end_date)))
    rows = [*db.session.execute(family), *db.session.execute(staff)]
    return [text for text, _ in sorted(rows, key=lambda row: row[1]) if text]
