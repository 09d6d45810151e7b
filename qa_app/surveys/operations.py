"""Writes for surveys: versions from files, links, answers, quotable flags and training
dates. Each adds and flushes; the request or command commits once. Link secrets are
returned to the caller once and never stored or logged: only their hashes are kept."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.extensions import db
from qa_app.register.models import Agency, Plan
from qa_app.rules import RuleError
from qa_app.surveys.definition import (
    RubricError,
    RubricProblem,
    Survey,
    load_survey,
    survey_paths,
    validate_survey_files,
)
from qa_app.surveys.models import (
    FAMILY,
    PRACTITIONER,
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
    SurveyRun,
    SurveyVersion,
)
from qa_app.timeutil import utcnow

MAX_TOKEN = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def default_survey_dir() -> Path:
    return Path(current_app.config["RUBRICS_DIR"]) / "surveys"


@dataclass
class LoadResult:
    loaded: list[SurveyVersion] = field(default_factory=list)
    unchanged: list[SurveyVersion] = field(default_factory=list)


def load_survey_files(paths: Iterable[Path | str] | None = None) -> LoadResult:
    """All or nothing: a file whose content changed under the same version is refused,
    because answers already given must keep meaning what they meant."""
    files = survey_paths(list(paths) if paths else [default_survey_dir()])
    problems = validate_survey_files(files)
    if problems:
        raise RubricError(problems)
    result = LoadResult()
    parsed = [(path, load_survey(path)) for path in files]
    for path, survey in parsed:
        stored = db.session.execute(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey.id,
                                        SurveyVersion.version == survey.version)
        ).scalar_one_or_none()
        if stored is None:
            continue
        if stored.content_hash == survey.content_hash:
            result.unchanged.append(stored)
        else:
            problems.append(RubricProblem(
                str(path), None, "version",
                f"survey {survey.id} version {survey.version} is already stored with "
                "different content; give the changed file a new version"))
    if problems:
        raise RubricError(problems)
    kept = {(v.survey_id, v.version) for v in result.unchanged}
    for _, survey in parsed:
        if (survey.id, survey.version) in kept:
            continue
        row = SurveyVersion(survey_id=survey.id, version=survey.version, title=survey.title,
                            audience=survey.audience, respondent=survey.respondent,
                            content_hash=survey.content_hash, body=survey.to_dict())
        db.session.add(row)
        db.session.flush()
        audit_log.record("survey.load", "survey_version", row.id,
                         changes={"survey": survey.id, "version": survey.version})
        result.loaded.append(row)
    return result


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _expiry(days: int) -> datetime:
    if not 1 <= days <= 180:
        raise RuleError("Enter a number of days from 1 to 180", "days")
    return utcnow() + timedelta(days=days)


def sampled_plans(cycle_id: int) -> list[Plan]:
    return list(db.session.scalars(
        select(Plan).join(SampleItem, SampleItem.plan_id == Plan.id)
        .join(Sample, Sample.id == SampleItem.sample_id)
        .where(Sample.cycle_id == cycle_id).order_by(Plan.ref)))


def make_family_links(cycle: Cycle, days: int) -> list[tuple[str, str]]:
    """A fresh link for every sampled plan whose family has not yet answered; an earlier
    unanswered link for the plan stops working. Returns (plan reference, secret) pairs."""
    expires = _expiry(days)
    plans = sampled_plans(cycle.id)
    if not plans:
        raise RuleError("This cycle has no sample of plans yet: draw the sample first.")
    answered = set(db.session.scalars(
        select(SurveyLink.plan_id).where(SurveyLink.cycle_id == cycle.id,
                                         SurveyLink.used_at.is_not(None))))
    now = utcnow()
    db.session.execute(
        update(SurveyLink)
        .where(SurveyLink.audience == FAMILY, SurveyLink.cycle_id == cycle.id,
               SurveyLink.used_at.is_(None), SurveyLink.expires_at > now)
        .values(expires_at=now))
    made: list[tuple[str, str]] = []
    for plan in plans:
        if plan.id in answered:
            continue
        token, hashed = _new_token()
        db.session.add(SurveyLink(audience=FAMILY, token_hash=hashed, cycle_id=cycle.id,
                                  plan_id=plan.id, agency_id=plan.agency_id, created_at=now,
                                  expires_at=expires))
        made.append((plan.ref, token))
    db.session.flush()
    audit_log.record("survey.family_links", "cycle", cycle.id,
                     changes={"links": len(made), "days": days})
    return made


def start_practitioner_run(name: str, survey_id: str, closes_on: date,
                           actor_id: int | None = None) -> tuple[SurveyRun, list[tuple[str, str]]]:
    """A term's practitioner survey with one link per active agency, open until the end of
    `closes_on`. Returns the run and (agency name, secret) pairs."""
    if closes_on <= date.today():
        raise RuleError("The closing date must be in the future", "closes_on")
    if closes_on > date.today() + timedelta(days=180):
        raise RuleError("The closing date must be within 6 months", "closes_on")
    if db.session.scalar(select(func.count()).where(SurveyRun.name == name)):
        raise RuleError(f"A survey run called {name} already exists", "name")
    if current_version(survey_id, PRACTITIONER) is None:
        raise RuleError("That practitioner survey is not loaded", "survey_id")
    run = SurveyRun(name=name, survey_id=survey_id, closes_on=closes_on,
                    created_by_id=actor_id)
    db.session.add(run)
    db.session.flush()
    expires = datetime.combine(closes_on + timedelta(days=1), datetime.min.time())
    made: list[tuple[str, str]] = []
    agencies = db.session.scalars(select(Agency).where(Agency.active).order_by(Agency.name))
    for agency in agencies:
        token, hashed = _new_token()
        db.session.add(SurveyLink(audience=PRACTITIONER, token_hash=hashed, run_id=run.id,
                                  agency_id=agency.id, expires_at=expires))
        made.append((agency.name, token))
    db.session.flush()
    audit_log.record("survey.run_start", "survey_run", run.id,
                     changes={"name": name, "closes_on": closes_on.isoformat(),
                              "links": len(made)})
    return run, made


def set_training_date(run: SurveyRun, when: date | None) -> None:
    before = run.training_date
    run.training_date = when
    db.session.flush()
    audit_log.record("survey.training_date", "survey_run", run.id,
                     changes={"training_date": [before and before.isoformat(),
                                                when and when.isoformat()]})


def set_quotable(answer: SurveyAnswer, quotable: bool) -> None:
    if answer.text is None:
        raise RuleError("Only a written answer can be quoted")
    answer.quotable = quotable
    db.session.flush()
    audit_log.record("survey.quotable" if quotable else "survey.not_quotable",
                     "survey_answer", answer.id)


def current_version(survey_id: str, audience: str | None = None) -> SurveyVersion | None:
    query = select(SurveyVersion).where(SurveyVersion.survey_id == survey_id)
    if audience is not None:
        query = query.where(SurveyVersion.audience == audience)
    return db.session.scalars(query.order_by(SurveyVersion.id.desc()).limit(1)).first()


def save_answers(link: SurveyLink, version: SurveyVersion, values: Mapping[str, object]) -> bool:
    """Store one completed survey. A family link is claimed by one UPDATE that only an
    unanswered, unexpired link passes, so two sends at once store one answer; False means
    the link was already used (or expired) and nothing was stored."""
    now = utcnow()
    if link.audience == FAMILY:
        claimed = db.session.execute(
            update(SurveyLink)
            .where(SurveyLink.id == link.id, SurveyLink.used_at.is_(None),
                   SurveyLink.expires_at > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            return False
    elif link.expires_at <= now:
        return False
    survey = Survey.from_dict(version.body)
    response = SurveyResponse(link_id=link.id, survey_version_id=version.id,
                              submitted_on=now.date())
    for question in survey.questions:
        value = values.get(question.id)
        if value in (None, ""):
            continue
        if question.kind == "scale":
            number = int(str(value))
            response.answers.append(SurveyAnswer(question_id=question.id, value=number,
                                                 good_or_better=question.is_good(number)))
        else:
            response.answers.append(SurveyAnswer(question_id=question.id, text=str(value)))
    db.session.add(response)
    db.session.flush()
    return True
