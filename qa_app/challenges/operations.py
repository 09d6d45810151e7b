"""Raising a challenge to a final grade and recording the chair's outcome. Nothing commits.

A challenge is open for a set number of English working days after the grade was
finalised (`CHALLENGE_WORKING_DAYS`, default 10); the last day counts. A changed grade goes
through moderation's own change of a final grade, so it is logged as every chair's change is
and the figures are recalculated by the same hook."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.moderation.operations import REASON_MAX, change_final_grade
from qa_app.audits.moderation.queries import reviews_for
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.layout import rubric_for
from qa_app.audits.scoring.models import Audit
from qa_app.auth.models import User
from qa_app.challenges.models import CHANGED, OPEN, UPHELD, GradeChallenge
from qa_app.extensions import db
from qa_app.letters.working_days import add_working_days
from qa_app.register.models import Agency
from qa_app.rules import RuleError
from qa_app.standards.rubric import Rubric
from qa_app.timeutil import utcnow

DEFAULT_WORKING_DAYS = 10
OUTCOMES = (UPHELD, CHANGED)


class ChallengeError(RuleError):
    """A challenge or an outcome that breaks a rule."""


def working_days() -> int:
    if has_app_context():
        return int(current_app.config.get("CHALLENGE_WORKING_DAYS", DEFAULT_WORKING_DAYS))
    return DEFAULT_WORKING_DAYS


def local_date(at: datetime) -> date:
    """A stored UTC instant's date in England."""
    from datetime import UTC

    return at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/London")).date()


def today() -> date:
    return local_date(utcnow())


def last_day(final: FinalGrade) -> date | None:
    """The last day on which the grade may be challenged; None if it was never finalised."""
    if final.finalised_at is None:
        return None
    return add_working_days(local_date(final.finalised_at), working_days())


def may_challenge(final: FinalGrade, agency: Agency | None) -> bool:
    """An agency challenges grades of its own advice; the local authority's casework team
    also challenges grades of its own plans."""
    if agency is None or final.agency_id != agency.id:
        return False
    return final.advice_id is not None or agency.type == "local_authority"


def panel_of(final: FinalGrade) -> Panel | None:
    """The panel whose audits the grade was decided from: its chair hears the challenge."""
    if final.cycle_id is None:
        return None
    column = Audit.plan_id if final.plan_id is not None else Audit.advice_id
    panel_id = db.session.scalar(
        select(Audit.panel_id)
        .where(Audit.cycle_id == final.cycle_id, Audit.source == "panel",
               Audit.panel_id.is_not(None), column == (final.plan_id or final.advice_id))
        .order_by(Audit.id).limit(1)
        .execution_options(unscoped=True))
    if panel_id is None:
        return None
    return db.session.execute(select(Panel).where(Panel.id == panel_id)
                              .execution_options(unscoped=True)).scalar_one()


def open_challenge(final: FinalGrade) -> GradeChallenge | None:
    return db.session.scalar(select(GradeChallenge).where(
        GradeChallenge.final_grade_id == final.id, GradeChallenge.status == OPEN)
        .execution_options(unscoped=True))


def refusal(final: FinalGrade, *, on: date | None = None) -> str | None:
    """Why this grade cannot be challenged now, in words; None when it can."""
    end = last_day(final)
    if end is None:
        return "This grade is not final yet, so it cannot be challenged."
    if panel_of(final) is None:
        return ("This grade was not decided by a panel in this service (it was imported), "
                "so it cannot be challenged here.")
    if open_challenge(final) is not None:
        return ("This grade has already been challenged and the challenge is waiting for the "
                "panel chair's decision.")
    decided = db.session.scalar(select(GradeChallenge.id).where(
        GradeChallenge.final_grade_id == final.id, GradeChallenge.decided_at.is_not(None),
        GradeChallenge.decided_at >= final.finalised_at).execution_options(unscoped=True))
    if decided is not None:
        return "The panel chair has already decided a challenge to this grade."
    if (on or today()) > end:
        return (f"The time to challenge this grade has passed: the last day was "
                f"{end.day} {end:%B %Y}.")
    return None


def raise_challenge(final: FinalGrade, lead: User, reason: str, *,
                    on: date | None = None) -> GradeChallenge:
    """Record the agency's challenge; it waits in the panel chair's queue."""
    if not may_challenge(final, lead.agency):
        raise ChallengeError("Your agency cannot challenge this grade.")
    reason = check_reason(reason, "Enter why your agency challenges this grade")
    problem = refusal(final, on=on)
    if problem is not None:
        raise ChallengeError(problem)
    panel = panel_of(final)
    assert panel is not None
    challenge = GradeChallenge(
        final_grade_id=final.id, agency_id=final.agency_id, panel_id=panel.id, status=OPEN,
        reason=reason, raised_by_id=lead.id, raised_at=utcnow(), grade_before=final.grade,
        criteria_before={c.criterion_id: c.grade for c in final.criteria})
    db.session.add(challenge)
    db.session.flush()
    audit_log.record("grade_challenge.raise", "grade_challenge", challenge.id, reason=reason,
                     user_id=lead.id, changes={"final_grade_id": final.id,
                                               "grade": final.grade})
    return challenge


def check_reason(reason: str | None, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ChallengeError(missing, "reason")
    if len(reason) > REASON_MAX:
        raise ChallengeError(f"The reason must be {REASON_MAX} characters or fewer", "reason")
    return reason


def rubric_of(challenge: GradeChallenge) -> Rubric:
    return rubric_for(challenge.final_grade.rubric_version)


def check_outcome(challenge: GradeChallenge, outcome: str, grade: int | None,
                  criteria: dict[str, int], reason: str | None
                  ) -> tuple[int, dict[str, int]]:
    """Refuse an outcome that breaks a rule, writing nothing; the grade and criterion grades
    the final grade will have."""
    if not challenge.is_open:
        raise ChallengeError("This challenge has already been decided.")
    if outcome not in OUTCOMES:
        raise ChallengeError("Choose whether the grade stands or is changed", "outcome")
    check_reason(reason, "Enter the reason for your decision")
    final = challenge.final_grade
    current = {c.criterion_id: c.grade for c in final.criteria}
    if outcome == UPHELD:
        return final.grade, current
    rubric = rubric_of(challenge)
    if grade not in rubric.scale_values:
        raise ChallengeError("Choose the new overall grade from the list", "grade")
    chosen = dict(current)
    for cid, value in criteria.items():
        if cid not in current:
            raise ChallengeError("Choose grades only for the criteria listed")
        if value not in rubric.scale_values:
            raise ChallengeError("Choose a grade from the list", f"criterion_{cid}")
        chosen[cid] = value
    for cid, value in chosen.items():
        criterion = rubric.criterion(cid)
        if criterion.limiting and grade > value:
            raise ChallengeError(
                f"The overall grade cannot be better than the limiting criterion "
                f"{criterion.title} ({rubric.label_for(value)})", "grade")
    if grade == final.grade and chosen == current:
        raise ChallengeError("The grades are the same as before: choose a different grade, "
                             "or choose that the grade stands", "grade")
    return grade, chosen


def decide(challenge: GradeChallenge, outcome: str, grade: int | None,
           criteria: dict[str, int], reason: str, *, actor_id: int) -> GradeChallenge:
    """The chair's outcome: the grade stands, or it is changed through moderation."""
    new_grade, new_criteria = check_outcome(challenge, outcome, grade, criteria, reason)
    reason = reason.strip()
    final = challenge.final_grade
    changes: dict[str, Any] = {"outcome": outcome, "final_grade_id": final.id}
    if outcome == CHANGED:
        kind = "plan" if final.plan_id is not None else "advice"
        reviews = reviews_for(challenge.panel, (kind, final.plan_id or final.advice_id))
        if not reviews or reviews[0].final is None or reviews[0].final.id != final.id:
            raise ChallengeError("This grade can no longer be found at its panel.")
        change_final_grade(reviews[0], new_grade, new_criteria, f"After a challenge: {reason}",
                           actor_id)
        challenge.grade_after = new_grade
        challenge.criteria_after = new_criteria
        changes["grade"] = [challenge.grade_before, new_grade]
    challenge.status = outcome
    challenge.outcome_reason = reason
    challenge.decided_by_id = actor_id
    challenge.decided_at = final.finalised_at if outcome == CHANGED else utcnow()
    db.session.flush()
    code = "grade_challenge.changed" if outcome == CHANGED else "grade_challenge.upheld"
    audit_log.record(code, "grade_challenge", challenge.id,
                     reason=reason, user_id=actor_id, changes=changes)
    return challenge
