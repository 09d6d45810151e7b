"""Writing letters: generate drafts, edit, issue, correct, and record the board date.

The agency's response itself is written in responses.py.

Every function adds and flushes, writes the audit log, and leaves the commit to its caller.
An issued letter is never changed (models.py refuses it on flush as well); a correction is
a new version that says which version it replaces.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.cycles import queries as cycle_queries
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.panels.models import Panel
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.letters import content as letter_content
from qa_app.letters.content import default_paragraphs
from qa_app.letters.document import Facts, LetterContent, long_date
from qa_app.letters.errors import LetterError, LetterIntegrityError  # noqa: F401 (pages)
from qa_app.letters.integrity import content_digest, verified_pdf  # noqa: F401 (pages)
from qa_app.letters.models import Letter, LetterResponse
from qa_app.letters.pdf import letter_pdf
from qa_app.letters.readiness import (
    Readiness,
    check_can_write,
    check_fresh,
    check_rates_ready,
    not_ready_message,
    partial_notice,
    readiness,
    whole_cycle,
)
from qa_app.letters.working_days import add_working_days
from qa_app.register.models import Agency
from qa_app.timeutil import utcnow

SIGNATORY_ROLE = "Chair, multi-agency audit panel"
DEFAULT_RESPONSE_DAYS = 20


@dataclass(frozen=True)
class Generated:
    agency_id: int
    letter_id: int | None
    version: int | None
    outcome: str  # new, updated, unchanged, correction, skipped


def find_cycle(name_or_id: str) -> Cycle:
    cycle = cycle_queries.find_cycle(name_or_id)
    if cycle is None:
        raise LetterError(f"there is no audit cycle called {name_or_id!r}")
    return cycle


def response_working_days() -> int:
    """From rubrics/targets.yaml; a broken file is reported, a missing one means 20."""
    path = Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml"
    if not path.exists():
        return DEFAULT_RESPONSE_DAYS
    return _response_days(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _response_days(path: str, _modified: int) -> int:
    """Read once per version of the file: a job writing many letters parses it once."""
    from qa_app.standards.rubric import RubricError
    from qa_app.standards.targets import load_targets

    try:
        return load_targets(Path(path)).response_deadline_working_days
    except RubricError as exc:
        raise LetterError(f"the targets file cannot be used:\n{exc}") from None


def latest_version(agency_id: int, cycle_id: int) -> Letter | None:
    return db.session.execute(
        select(Letter).where(Letter.agency_id == agency_id, Letter.cycle_id == cycle_id)
        .order_by(Letter.version.desc()).limit(1)
    ).scalar_one_or_none()


def reference(cycle_id: int, agency_id: int, version: int) -> str:
    return f"QA/{cycle_id}/{agency_id}/v{version}"


def generate_letter(agency_id: int, cycle_id: int, *, today: date | None = None,
                    actor_id: int | None = None, partial: bool = False,
                    fresh_checked: bool = False) -> Generated:
    """Write the agency's draft, or leave it be when what it would say has not changed.

    Refused (LetterError) while the cycle's stored figures are out of date or its sample is
    not all finalised, unless `partial` is chosen. A draft is updated in place (keeping a
    chair's edited paragraphs); when the latest version is issued and what the letter states
    has changed, a correction draft is started. `fresh_checked` is for a job that has just
    checked the cycle's figures for all of its letters at once.
    """
    today = today or date.today()
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise LetterError(f"there is no audit cycle with id {cycle_id}")
    basis = check_can_write(cycle, partial=partial, fresh_checked=fresh_checked)
    facts = letter_content.assemble_facts(agency_id, cycle_id, response_working_days(),
                                          basis=_counts(basis))
    if not facts.items:
        return Generated(agency_id, None, None, "skipped")
    digest = facts.digest()
    latest = latest_version(agency_id, cycle_id)
    stated = _stated_facts(latest)
    if stated is not None and stated.digest() == digest and (
            latest.is_issued or stated.response_working_days == facts.response_working_days):
        return Generated(agency_id, latest.id, latest.version, "unchanged")
    if latest is None or latest.is_issued:
        letter = _new_version(agency_id, cycle_id, latest)
        if latest is not None:
            letter.correction_note = (
                f"This letter corrects version {latest.version} (reference {latest.reference}), "
                f"issued on {long_date(_issued_on(latest))}, and replaces it: the audit "
                "figures have changed since that version was issued."
            )
        outcome = "correction" if latest is not None else "new"
    else:
        letter, outcome = latest, "updated"
    letter.inputs_hash = digest
    letter.sample_finalised, letter.sample_size = facts.sample_finalised, facts.sample_size
    if letter.edited_at is None:
        letter.opening, letter.strengths, letter.areas_for_development = default_paragraphs(facts)
    letter.letter_date = today
    _render_draft(letter, facts)
    audit_log.record("letter.generate", "letter", letter.id, user_id=actor_id,
                     changes={"reference": letter.reference, "outcome": outcome,
                              "inputs_hash": digest, "sha256": letter.sha256,
                              **({"sample": f"{basis.finalised} of {basis.sampled}"}
                                 if basis else {})})
    return Generated(agency_id, letter.id, letter.version, outcome)


def _counts(basis: Readiness | None) -> tuple[int, int] | None:
    return None if basis is None else (basis.finalised, basis.sampled)


def _stated_facts(letter: Letter | None) -> Facts | None:
    """What a stored version says about the audit: the test for "has anything changed".

    Settings that a letter does not state as an audit finding (the response deadline) are
    left out of the digest, so changing them never starts a correction of an issued letter.
    """
    if letter is None or not letter.content:
        return None
    return LetterContent.from_json(letter.content).facts


def _issued_on(letter: Letter) -> date:
    return letter.letter_date or (letter.issued_at or utcnow()).date()


def _new_version(agency_id: int, cycle_id: int, latest: Letter | None) -> Letter:
    version = latest.version + 1 if latest else 1
    letter = Letter(agency_id=agency_id, cycle_id=cycle_id, version=version, status="draft",
                    reference=reference(cycle_id, agency_id, version),
                    supersedes_id=latest.id if latest else None)
    if latest is not None:
        letter.opening = latest.opening
        letter.strengths = latest.strengths
        letter.areas_for_development = latest.areas_for_development
        letter.omitted_evidence = list(latest.omitted_evidence or [])
    db.session.add(letter)
    db.session.flush()
    return letter


def html_location(letter: Letter) -> str:
    """The page's address when SERVICE_URL is set; otherwise where to find it when signed in."""
    base = current_app.config.get("SERVICE_URL")
    if base:
        return f"{str(base).rstrip('/')}/letters/{letter.id}"
    return (f"sign in to the {current_app.config['SERVICE_NAME']} service and open letter "
            f"{letter.reference} under Letters")


def _signatory(cycle_id: int, chair_id: int | None) -> str:
    if chair_id is None:
        chair_id = db.session.execute(
            select(Panel.chair_id).where(Panel.cycle_id == cycle_id).order_by(Panel.id).limit(1)
        ).scalar_one_or_none()
    chair = db.session.get(User, chair_id) if chair_id else None
    return chair.display_name if chair else "The panel chair"


def compose(letter: Letter, facts: Facts, *, draft: bool, due_date: date | None = None,
            chair_id: int | None = None) -> LetterContent:
    agency = db.session.get(Agency, letter.agency_id)
    assert agency is not None and letter.letter_date is not None
    return LetterContent(
        letterhead=letter_content.letterhead(), facts=facts, reference=letter.reference,
        version=letter.version, draft=draft, letter_date=letter.letter_date, due_date=due_date,
        opening=_with_partial_notice(facts, letter.opening or ""),
        strengths_text=letter.strengths or "",
        areas_text=letter.areas_for_development or "",
        signatory=_signatory(letter.cycle_id, chair_id), signatory_role=SIGNATORY_ROLE,
        html_location=html_location(letter), addressee=letter_content.addressee(agency),
        correction_note=letter.correction_note,
        omitted_evidence=tuple(sorted(letter.omitted_evidence or [])),
    )


def _with_partial_notice(facts: Facts, opening: str) -> str:
    """A partial letter's first paragraph always says how much of the sample it rests on;
    it is not part of the chair's editable text, so it cannot be edited away."""
    notice = partial_notice(facts.sample_finalised, facts.sample_size, facts.cycle_name)
    return f"{notice}\n\n{opening}" if notice else opening


def _store(letter: Letter, content: LetterContent) -> None:
    pdf = letter_pdf(content)
    letter.content = content.to_json()
    letter.content_sha256 = content_digest(letter.content)
    letter.pdf = pdf
    letter.sha256 = hashlib.sha256(pdf).hexdigest()


def _render_draft(letter: Letter, facts: Facts) -> None:
    _store(letter, compose(letter, facts, draft=True))
    db.session.flush()


def stored_content(letter: Letter) -> LetterContent:
    if not letter.content:
        raise LetterError(f"letter {letter.reference} has no content yet: generate it again")
    return LetterContent.from_json(letter.content)


def _draft(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        raise LetterError("there is no such letter")
    if letter.is_issued:
        raise LetterError(f"letter {letter.reference} has been issued and cannot be changed; "
                          "start a correction to send a new version")
    return letter


def may_chair(user: User | None, cycle_id: int) -> bool:
    """The one rule for who edits, issues and corrects a cycle's letters: a chair of one of
    its panels. Pages use it to decide which buttons to show, operations to refuse."""
    if user is None or user.role != Role.PANEL_CHAIR:
        return False
    chairs = select(Panel.chair_id).where(Panel.cycle_id == cycle_id)
    return user.id in set(db.session.execute(chairs).scalars())


def check_chair(actor_id: int, cycle_id: int) -> User:
    user = db.session.get(User, actor_id)
    if user is None or not may_chair(user, cycle_id):
        raise LetterError("only the chair of one of this cycle's panels can edit, issue or "
                          "correct its letters")
    return user


def edit_draft(letter_id: int, *, actor_id: int, opening: str, strengths: str, areas: str,
               correction_note: str | None = None, omitted: list[str] | None = None) -> Letter:
    letter = _draft(letter_id)
    check_chair(actor_id, letter.cycle_id)
    before = {"opening": letter.opening, "strengths": letter.strengths,
              "areas_for_development": letter.areas_for_development,
              "correction_note": letter.correction_note,
              "omitted_evidence": letter.omitted_evidence}
    facts = stored_content(letter).facts
    known = {e.key for f in (*facts.strengths, *facts.areas) for e in f.evidence}
    letter.opening, letter.strengths, letter.areas_for_development = opening, strengths, areas
    if letter.supersedes_id is not None:
        letter.correction_note = correction_note or letter.correction_note
    letter.omitted_evidence = sorted(set(omitted or []) & known)
    letter.edited_at = utcnow()
    letter.edited_by_id = actor_id
    _render_draft(letter, facts)
    after = {"opening": opening, "strengths": strengths, "areas_for_development": areas,
             "correction_note": letter.correction_note,
             "omitted_evidence": letter.omitted_evidence}
    audit_log.record("letter.edit", "letter", letter.id, user_id=actor_id,
                     changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return letter


def issue_letter(letter_id: int, *, actor_id: int, today: date | None = None) -> Letter:
    """Sign, date and freeze the draft: its bytes and their SHA-256 never change again."""
    letter = _draft(letter_id)
    chair = check_chair(actor_id, letter.cycle_id)
    with whole_cycle():
        facts = facts_still_true(letter)
    today = today or date.today()
    due = add_working_days(today, response_working_days())
    letter.letter_date = today
    content = compose(letter, facts, draft=False, due_date=due, chair_id=chair.id)
    _store(letter, content)
    letter.status = "issued"
    letter.issued_at = utcnow()
    letter.issued_by_id = chair.id
    db.session.add(LetterResponse(letter_id=letter.id, due_date=due))
    db.session.flush()
    audit_log.record("letter.issue", "letter", letter.id, user_id=actor_id,
                     changes={"reference": letter.reference, "sha256": letter.sha256,
                              "response_due": due.isoformat(),
                              "supersedes": letter.supersedes_id})
    return letter


def facts_still_true(letter: Letter) -> Facts:
    """The draft's facts, refused unless the figures are current, the sample is finalised
    (or the draft was written as a partial letter that says so) and a fresh assembly from
    today's data says exactly what the draft says."""
    cycle = letter.cycle
    check_rates_ready(cycle)
    check_fresh(cycle)
    stated = stored_content(letter).facts
    ready = readiness(cycle.id)
    if not ready.complete and stated.sample_size is None:
        raise LetterError(not_ready_message(cycle, ready))
    facts = letter_content.assemble_facts(
        letter.agency_id, letter.cycle_id, response_working_days(),
        basis=None if ready.complete else (ready.finalised, ready.sampled))
    if facts.digest() != stated.digest():
        raise LetterError(
            f"what letter {letter.reference} says no longer matches the audit data (a final "
            "grade, the sample or the figures have changed since the draft was written): "
            f"generate the letters for {cycle.name} again, check the draft, then issue it")
    return facts


def start_correction(letter_id: int, *, actor_id: int, reason: str,
                     today: date | None = None) -> Letter:
    """A new draft version that replaces an issued one, saying why, with fresh figures."""
    issued = db.session.get(Letter, letter_id)
    if issued is None or not issued.is_issued:
        raise LetterError("only an issued letter can be corrected")
    check_chair(actor_id, issued.cycle_id)
    latest = latest_version(issued.agency_id, issued.cycle_id)
    if latest is not None and latest.id != issued.id:
        raise LetterError(f"version {latest.version} ({latest.reference}) already replaces "
                          "this letter: edit or issue that one instead")
    if not reason.strip():
        raise LetterError("say what the correction changes")
    with whole_cycle():
        basis = check_can_write(issued.cycle, partial=issued.sample_size is not None)
        facts = letter_content.assemble_facts(issued.agency_id, issued.cycle_id,
                                              response_working_days(), basis=_counts(basis))
    letter = _new_version(issued.agency_id, issued.cycle_id, issued)
    letter.sample_finalised, letter.sample_size = facts.sample_finalised, facts.sample_size
    letter.correction_note = (
        f"This letter corrects version {issued.version} (reference {issued.reference}), issued "
        f"on {long_date(_issued_on(issued))}, and replaces it. {reason.strip()}"
    )
    letter.inputs_hash = facts.digest()
    letter.letter_date = today or date.today()
    letter.edited_at = utcnow()
    letter.edited_by_id = actor_id
    _render_draft(letter, facts)
    audit_log.record("letter.correct", "letter", letter.id, user_id=actor_id, reason=reason,
                     changes={"reference": letter.reference, "supersedes": issued.reference})
    return letter


def latest_issued(agency_id: int, cycle_id: int) -> Letter | None:
    return db.session.execute(
        select(Letter).where(Letter.agency_id == agency_id, Letter.cycle_id == cycle_id,
                             Letter.status == "issued")
        .order_by(Letter.version.desc()).limit(1)
    ).scalar_one_or_none()


def mark_presented(letter_id: int, *, actor_id: int, presented_on: date,
                   today: date | None = None) -> LetterResponse:
    letter = db.session.get(Letter, letter_id)
    response = letter.response if letter is not None else None
    if response is None or response.submitted_at is None:
        raise LetterError("a response can be marked as presented only once it is received")
    if response.presented_on is not None:
        raise LetterError(f"the response was already presented on "
                          f"{long_date(response.presented_on)}")
    if presented_on > (today or date.today()):
        raise LetterError("the board date cannot be in the future")
    if presented_on < response.submitted_at.date():
        raise LetterError("the board date cannot be before the response was received")
    response.presented_on = presented_on
    response.presented_by_id = actor_id
    db.session.flush()
    audit_log.record("letter.present", "letter_response", response.id, user_id=actor_id,
                     changes={"letter": letter.reference, "presented_on": presented_on.isoformat()})
    return response
