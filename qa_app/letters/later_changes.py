"""Final grades that changed after a letter was issued. Reads only.

An issued letter stays as issued (its content and PDF are fingerprinted), but a final grade
it counts can still change: the panel chair changes it after a challenge, or moderates it
again, or an imported historic grade is imported again. The letter's page then says which
grades no longer match: the grade the letter gives each piece of work (its appendix) against
the final grade of its agency and cycle now, with when and how each changed. Re-audits give
new final grades in a later cycle, so they never change a letter's own cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.moderation.models import FinalGrade
from qa_app.challenges.models import CHANGED, GradeChallenge
from qa_app.challenges.operations import local_date
from qa_app.extensions import db
from qa_app.letters.content import REAUDITED_KIND
from qa_app.letters.document import long_date
from qa_app.letters.integrity import content_digest
from qa_app.letters.models import Letter
from qa_app.reaudit.queries import subject_text
from qa_app.register.models import Advice, Plan
from qa_app.standards.models import RubricVersion

REAUDITED_NOTE = " (was "
"""A re-audited item's grade in a letter reads "Good (was Requires improvement in ...)"; the
note may itself hold brackets (a cycle's name), so the grade is what comes before it."""

Key = tuple[str, bool]
"""(pseudonymous reference, is a plan): how a letter's appendix names a piece of work."""

AFTER_CHALLENGE = "Changed after a challenge"
BY_CHAIR = "Changed by the panel chair"
REIMPORTED = "Changed when earlier audits were imported again"
FINALISED_LATER = "Finalised after the letter was issued"
GONE = "No longer has a final grade in this cycle"
CHANGED_LATER = "Changed after the letter was issued"


@dataclass(frozen=True)
class LaterChange:
    """One piece of work whose final grade is not the one the letter gives."""

    reference: str
    kind: str
    in_letter: str | None
    """The grade the letter gives; None when the letter does not list the work."""
    now: str | None
    """The final grade now; None when the work has no final grade in the cycle now."""
    how: str
    changed_on: date | None
    challenge_id: int | None = None
    """The challenge that changed it, only when the reader may open it."""

    @property
    def words(self) -> str:
        """E.g. "Changed after a challenge on 3 March 2027"."""
        return self.how + (f" on {long_date(self.changed_on)}" if self.changed_on else "")


@dataclass(frozen=True)
class _Now:
    grade: FinalGrade
    reference: str
    kind: str
    label: str


def later_changes(letter: Letter) -> list[LaterChange]:
    """The grades of the letter's agency and cycle that no longer match the issued letter,
    by reference; empty for a draft or a letter whose content lists no audited work."""
    stated = _stated(letter)
    if stated is None:
        return []
    now = _current([letter]).get((letter.agency_id, letter.cycle_id), {})
    keys = sorted(_differing(stated, now), key=lambda k: (k[0], not k[1]))
    if not keys:
        return []
    assert letter.issued_at is not None
    graded = [now[k].grade for k in keys if k in now]
    challenges = _challenges_since(graded, letter.issued_at)
    reimported = _reimports_since(graded, letter.issued_at)
    readable = _readable({c.id for c in challenges.values()})
    found = []
    for key in keys:
        said, current = stated.get(key), now.get(key)
        reference, kind = (current.reference, current.kind) if current else (key[0], said[0])
        how, on, challenge = _why(current, said is not None, letter.issued_at, challenges,
                                  reimported)
        found.append(LaterChange(
            reference, kind, said[1] if said else None, current.label if current else None,
            how, on, challenge.id if challenge is not None and challenge.id in readable
            else None))
    return found


def letters_with_changes(letters: Sequence[Letter]) -> set[int]:
    """Ids of the issued letters whose grades no longer all match, for the lists: one read of
    the final grades (and one of their rubrics) however many letters are listed."""
    stated = {letter.id: said for letter in letters if (said := _stated(letter)) is not None}
    if not stated:
        return set()
    shown = [letter for letter in letters if letter.id in stated]
    now = _current(shown)
    return {letter.id for letter in shown
            if _differing(stated[letter.id], now.get((letter.agency_id, letter.cycle_id), {}))}


# --- the letter as issued, and the grades now -----------------------------------------------


def _stated(letter: Letter) -> dict[Key, tuple[str, str]] | None:
    """(kind, grade) of each piece of work the issued letter lists, by key; None for a letter
    whose content fails its fingerprint (its page shows that instead, never a notice)."""
    if not letter.is_issued or letter.issued_at is None or not letter.content:
        return None
    if content_digest(letter.content) != letter.content_sha256:
        return None
    items = (letter.content.get("facts") or {}).get("items")
    if not isinstance(items, list):
        return None
    return {(item["reference"], str(item.get("kind", "")).startswith("EHC plan")):
            (str(item.get("kind", "")), _grade_in_letter(item))
            for item in items if isinstance(item, dict) and item.get("reference")}


def _grade_in_letter(item: dict[str, Any]) -> str:
    grade = str(item.get("grade", ""))
    if str(item.get("kind", "")).endswith(REAUDITED_KIND):
        return grade.split(REAUDITED_NOTE, 1)[0]
    return grade


def _current(letters: Sequence[Letter]) -> dict[tuple[int, int], dict[Key, _Now]]:
    """The final grades of each letter's agency and cycle now. Read without the request's
    scoping: the reader already may read the letter, which names this work and its grades."""
    pairs = {(letter.agency_id, letter.cycle_id) for letter in letters}
    if not pairs:
        return {}
    rows = db.session.execute(
        select(FinalGrade, Plan, Advice)
        .outerjoin(Plan, Plan.id == FinalGrade.plan_id)
        .outerjoin(Advice, Advice.id == FinalGrade.advice_id)
        .where(FinalGrade.cycle_id.in_({c for _a, c in pairs}),
               FinalGrade.agency_id.in_({a for a, _c in pairs}))
        .execution_options(unscoped=True)
    ).all()
    labels = _labels({final.rubric_version_id for final, _p, _a in rows})
    found: dict[tuple[int, int], dict[Key, _Now]] = {}
    for final, plan, advice in rows:
        pair = (final.agency_id, final.cycle_id)
        if pair not in pairs or (plan is None and advice is None):
            continue
        reference, kind = subject_text(plan, advice)
        label = labels.get(final.rubric_version_id, {}).get(final.grade, str(final.grade))
        found.setdefault(pair, {})[(reference, plan is not None)] = _Now(
            final, reference, kind, label)
    return found


def _labels(version_ids: set[int]) -> dict[int, dict[int, str]]:
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(RubricVersion.id, RubricVersion.body).where(RubricVersion.id.in_(version_ids))
        .execution_options(unscoped=True)).all()
    return {vid: {level["value"]: level["label"] for level in (body or {}).get("scale", [])}
            for vid, body in rows}


def _differing(stated: dict[Key, tuple[str, str]], now: dict[Key, _Now]) -> set[Key]:
    return {key for key in stated.keys() | now.keys()
            if key not in stated or key not in now or stated[key][1] != now[key].label}


# --- when and how each changed --------------------------------------------------------------


def _challenges_since(grades: list[FinalGrade], issued_at: datetime
                      ) -> dict[int, GradeChallenge]:
    """The latest challenge that changed each grade after the letter was issued."""
    if not grades:
        return {}
    rows = db.session.scalars(
        select(GradeChallenge).where(
            GradeChallenge.final_grade_id.in_([g.id for g in grades]),
            GradeChallenge.status == CHANGED, GradeChallenge.decided_at > issued_at)
        .order_by(GradeChallenge.decided_at, GradeChallenge.id)
        .execution_options(unscoped=True))
    return {row.final_grade_id: row for row in rows}


def _reimports_since(grades: list[FinalGrade], issued_at: datetime) -> dict[int, datetime]:
    """When each imported grade was last imported again with a different grade (an import
    does not touch `finalised_at`, so the audit log says when)."""
    imported = [str(g.id) for g in grades if g.method == "imported"]
    if not imported:
        return {}
    rows = db.session.execute(
        select(AuditLogEntry.record_id, AuditLogEntry.at).where(
            AuditLogEntry.record_type == "final_grade", AuditLogEntry.record_id.in_(imported),
            AuditLogEntry.action == "final_grade.reimport", AuditLogEntry.at > issued_at)
        .order_by(AuditLogEntry.at, AuditLogEntry.id)).all()
    return {int(record_id): at for record_id, at in rows}


def _readable(challenge_ids: set[int]) -> set[int]:
    """The challenges the reader may open: read through the request's scoping."""
    if not challenge_ids:
        return set()
    return set(db.session.scalars(
        select(GradeChallenge.id).where(GradeChallenge.id.in_(challenge_ids))))


def _why(current: _Now | None, listed: bool, issued_at: datetime,
         challenges: dict[int, GradeChallenge], reimported: dict[int, datetime]
         ) -> tuple[str, date | None, GradeChallenge | None]:
    """How the grade came to differ, when, and the challenge behind it if one was. A chair's
    change (after a challenge or not) finalises the grade again; a challenge records that
    same moment as its decision, so the latest change is the challenge's only if they match."""
    if current is None:
        return GONE, None, None
    final = current.grade
    if final.finalised_at is not None and final.finalised_at > issued_at:
        on = local_date(final.finalised_at)
        challenge = challenges.get(final.id)
        if challenge is not None and challenge.decided_at == final.finalised_at:
            return AFTER_CHALLENGE, on, challenge
        return (BY_CHAIR if listed else FINALISED_LATER), on, None
    if final.id in reimported:
        return REIMPORTED, local_date(reimported[final.id]), None
    return CHANGED_LATER, None, None

