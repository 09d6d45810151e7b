"""An agency lead reaches no other agency's record through any address that names one by id.

The demo partnership gives a row of every kind; a new agency owning nothing gets a lead, and
every GET route with an id in its address (pages, PDF and CSV downloads) is tried with ids of
rows the demo made. Each must be "not found" (404), except the few pages that are shared
across the partnership by design, which must not name another agency's plans or advice.

A new route with an id must be declared here (MODELS), or this test fails.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule

IDS_PER_RULE = 4


def _models() -> dict[str, type]:
    """Each int argument of a route, by name, and the model whose ids it takes."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.panels.models import Panel
    from qa_app.audits.scoring.models import Audit
    from qa_app.auth.models import User
    from qa_app.board.models import BoardReport, CommentaryRequest
    from qa_app.calibration.models import CalibrationRound
    from qa_app.challenges.models import GradeChallenge
    from qa_app.jobs.models import JobRun
    from qa_app.letters.models import Letter
    from qa_app.library.models import PracticeExample
    from qa_app.mail.models import OutboxMessage
    from qa_app.reaudit.models import ReauditMark
    from qa_app.register.models import Advice, Agency, Plan
    from qa_app.reporting.models import ImprovementAction
    from qa_app.standards.models import RubricVersion, TargetsVersion

    return {
        "action_id": ImprovementAction, "advice_id": Advice, "agency_id": Agency,
        "audit_id": Audit, "auditor_id": User, "challenge_id": GradeChallenge,
        "cycle_id": Cycle, "example_id": PracticeExample, "final_grade_id": FinalGrade,
        "grade_id": FinalGrade, "job_id": JobRun, "letter_id": Letter, "mark_id": ReauditMark,
        "message_id": OutboxMessage, "panel_id": Panel, "plan_id": Plan,
        "report_id": BoardReport, "request_id": CommentaryRequest, "round_id": CalibrationRound,
        "subject_id": Plan, "targets_id": TargetsVersion, "user_id": User,
        "version_id": RubricVersion,
    }  # fmt: skip


# Partnership-wide by design for a lead: the page answers 200 for these ids, and only these.
SHARED = {
    "learning.show": "a published learning brief is for the whole partnership (_brief: the "
                     "published brief for anyone signed in, the draft for staff only)",
    "learning.pdf": "the same published brief as a PDF",
    "library.show": "an approved good-practice example is shared (PracticeExample.lead_sees: "
                    "approved only); one waiting for the chair is not",
    "standards.show": "a rubric version is the partnership's standard, owned by no agency",
}


def _shared_ids() -> dict[str, set[int]]:
    from qa_app.extensions import db
    from qa_app.learning.models import LearningBrief
    from qa_app.library.models import APPROVED, PracticeExample
    from qa_app.standards.models import RubricVersion

    published = set(db.session.scalars(select(LearningBrief.cycle_id)))
    return {"learning.show": published, "learning.pdf": published,
            "library.show": set(db.session.scalars(select(PracticeExample.id).where(
                PracticeExample.status == APPROVED))),
            "standards.show": set(db.session.scalars(select(RubricVersion.id)))}


def _preferred() -> dict[type, Any]:
    """Rows a lead of the owning agency would see, tried first: a 404 for them means more."""
    from qa_app.letters.models import Letter
    from qa_app.library.models import PracticeExample
    from qa_app.reaudit.models import ReauditMark

    return {Letter: Letter.status == "issued",
            PracticeExample: PracticeExample.status == "approved",
            ReauditMark: ReauditMark.withdrawn_at.is_(None)}


def _spread(ids: list[int], n: int) -> list[int]:
    if len(ids) <= n:
        return list(ids)
    if n <= 1:
        return list(ids[:n])
    return [ids[round(i * (len(ids) - 1) / (n - 1))] for i in range(n)]


def _ids(model: type) -> list[int]:
    """Up to IDS_PER_RULE ids: half from the preferred rows, half from the others."""
    from qa_app.extensions import db

    every = db.session.scalars(select(model.id).order_by(model.id)).all()
    where = _preferred().get(model)
    if where is None:
        return _spread(every, IDS_PER_RULE)
    liked = db.session.scalars(select(model.id).where(where).order_by(model.id)).all()
    chosen = _spread(liked, IDS_PER_RULE // 2)
    chosen += _spread([i for i in every if i not in liked], IDS_PER_RULE - len(chosen))
    return chosen + _spread([i for i in liked if i not in chosen], IDS_PER_RULE - len(chosen))


def _related() -> dict[str, Callable[[int], dict[str, Any] | None]]:
    """For a route with more than one argument: the others, from rows related to the first."""
    from qa_app.audits.scoring.models import Audit, AuditScore
    from qa_app.calibration.models import CalibrationParticipant
    from qa_app.extensions import db

    def participant(round_id: int) -> dict[str, Any] | None:
        auditor = db.session.scalars(select(CalibrationParticipant.auditor_id).where(
            CalibrationParticipant.round_id == round_id)).first()
        return None if auditor is None else {"auditor_id": auditor}

    def subject(panel_id: int) -> dict[str, Any] | None:
        plan = db.session.scalars(select(Audit.plan_id).where(
            Audit.panel_id == panel_id, Audit.plan_id.is_not(None))).first()
        return None if plan is None else {"kind": "plan", "subject_id": plan}

    def panel_audit(panel_id: int) -> dict[str, Any] | None:
        audit = db.session.scalars(select(Audit.id).where(Audit.panel_id == panel_id)).first()
        return None if audit is None else {"audit_id": audit}

    def criterion(audit_id: int) -> dict[str, Any] | None:
        found = db.session.scalars(select(AuditScore.criterion_id).where(
            AuditScore.audit_id == audit_id)).first()
        return None if found is None else {"criterion_id": found}

    return {"calibration.auditor": participant, "moderation.subject": subject,
            "panels.reassign_audit": panel_audit, "library.mark": criterion}


# The argument swept for a route with several; the others come from _related.
SWEPT = {"calibration.auditor": "round_id", "moderation.subject": "panel_id",
         "panels.reassign_audit": "panel_id", "library.mark": "audit_id"}


def _int_args(rule: Rule) -> list[str]:
    return [name for name, conv in rule._converters.items()
            if isinstance(conv, IntegerConverter)]


def _others_refs() -> set[str]:
    from qa_app.extensions import db
    from qa_app.register.models import Advice, Plan

    return set(db.session.scalars(select(Plan.ref))) | set(db.session.scalars(select(Advice.ref)))


def _text(response: Any) -> str:
    if response.mimetype == "application/pdf":
        from pypdf import PdfReader

        pdf = PdfReader(io.BytesIO(response.data))
        return " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    return html.unescape(response.get_data(as_text=True))


def _populate(today: date) -> None:
    """What `ehcp-qa demo` does before it serves (as tests/test_demo_seed.py runs it)."""
    from qa_app.demo.command import populate
    from qa_app.extensions import db
    from qa_app.standards.operations import load_rubric_directory

    populate(load_rubric_directory().current, today)
    db.session.commit()


def _rows_the_demo_does_not_make() -> None:
    """An email to another agency's lead and a stored targets version: the demo writes
    neither, and their routes take ids too."""
    from qa_app.auth.models import User
    from qa_app.extensions import db
    from qa_app.mail.models import OutboxMessage
    from qa_app.standards.models import TargetsVersion

    other = db.session.scalars(select(User).where(User.role == "agency_lead")
                               .order_by(User.id)).first()
    db.session.add_all([
        OutboxMessage(to=other.email, kind="reminder", subject="A reminder", body="Written",
                      user_id=other.id),
        TargetsVersion(version="test", content_hash="0" * 64, body={}, text="targets: {}"),
    ])
    db.session.flush()


def test_a_lead_of_an_agency_owning_nothing_reaches_no_record_by_id(app: Flask) -> None:
    from qa_app.extensions import db
    from tests.factories import agency, person, sign_in

    with app.app_context():
        _populate(date.today())
        _rows_the_demo_does_not_make()
        refs = _others_refs()
        shared = _shared_ids()
        assert set(shared) == set(SHARED)
        lone = agency("Agency with nothing yet", "health")
        assert lone.active
        lead = person("agency_lead", agency_id=lone.id)
        email = lead.email
        db.session.commit()

        models = _models()
        related = _related()
        rules = [r for r in app.url_map.iter_rules()
                 if "GET" in (r.methods or set()) and _int_args(r)]
        undeclared = sorted({(r.rule, a) for r in rules for a in _int_args(r)
                             if a not in models})
        assert not undeclared, f"declare the model of these route arguments: {undeclared}"
        several = sorted(r.endpoint for r in rules
                         if len(r.arguments) > 1 and r.endpoint not in SWEPT)
        assert not several, f"say which argument to sweep, and how to fill the rest: {several}"

        tries: list[tuple[str, str, int]] = []
        skipped: list[tuple[str, int, str]] = []
        empty: set[str] = set()
        for rule in sorted(rules, key=lambda r: r.rule):
            swept = SWEPT.get(rule.endpoint, _int_args(rule)[0])
            ids = _ids(models[swept])
            if not ids:
                empty.add(models[swept].__name__)
            for ident in ids:
                values: dict[str, Any] = {swept: ident}
                if rule.endpoint in related:
                    more = related[rule.endpoint](ident)
                    if more is None:
                        skipped.append((rule.endpoint, ident, "no related row to fill in"))
                        continue
                    values |= more
                _, path = rule.build(values, append_unknown=False)
                tries.append((rule.endpoint, path, ident))
        db.session.remove()

    assert not empty, empty
    assert len(tries) > 150, (len(tries), skipped)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    wrong: list[tuple[str, int, str]] = []
    shared_shown: set[str] = set()
    for endpoint, path, ident in tries:
        response = client.get(path)
        if ident in shared.get(endpoint, ()) and response.status_code == 200:
            shared_shown.add(endpoint)
            page = _text(response)
            assert len(page) > 200, (path, page)
            named = sorted(ref for ref in refs if ref in page)
            if named:
                wrong.append((path, 200, f"names other agencies' work: {named[:5]}"))
            continue
        if response.status_code != 404:
            wrong.append((path, response.status_code, response.headers.get("Location", "")))
    assert not wrong, "\n".join(f"{p} -> {s} {why}" for p, s, why in wrong)
    assert shared_shown == set(SHARED), shared_shown
