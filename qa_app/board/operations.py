"""Writes for board reports: setting the board date, asking agencies for commentary,
recording it, and making the report final. Each is in the audit log; none commits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date

from sqlalchemy import select

from qa_app import audit_log
from qa_app.audits.cycles.models import Cycle
from qa_app.board import content as build
from qa_app.board.document import ReportContent
from qa_app.board.models import BoardReport, CommentaryRequest
from qa_app.extensions import db
from qa_app.letters.document import long_date
from qa_app.rules import RuleError
from qa_app.timeutil import utcnow

COMMENTARY_LIMIT = 4_000


def start_report(cycle: Cycle, board_date: date, *, actor_id: int, today: date) -> BoardReport:
    """A board report for the cycle, asking each accountable agency about its exceptions."""
    if board_date <= today:
        raise RuleError("The board date must be after today, so that agencies have time to "
                        "comment", "board_date")
    existing = db.session.execute(
        select(BoardReport).where(BoardReport.cycle_id == cycle.id)).scalar_one_or_none()
    if existing is not None:
        raise RuleError(f"There is already a board report for {cycle.name}", "cycle_id")
    report = BoardReport(cycle_id=cycle.id, board_date=board_date, created_by_id=actor_id)
    db.session.add(report)
    db.session.flush()
    asked = ask_for_commentary(report, actor_id=actor_id, today=today, log=False)
    audit_log.record("board_report.create", "board_report", report.id, user_id=actor_id,
                     changes={"cycle": cycle.name, "board_date": board_date.isoformat(),
                              "commentary_requests": asked})
    return report


def ask_for_commentary(report: BoardReport, *, actor_id: int, today: date,
                       log: bool = True) -> int:
    """Ask about every current exception not yet asked about; returns how many were asked."""
    if not report.commentary_open(today):
        raise RuleError("Commentary is closed for this report")
    asked = {(r.agency_id, r.measure, r.scope) for r in report.requests}
    new = 0
    for row in build.exceptions_now(report):
        if (row.agency_id, row.measure, row.scope) in asked:
            continue
        report.requests.append(CommentaryRequest(
            agency_id=row.agency_id, measure=row.measure, scope=row.scope,
            requested_by_id=actor_id))
        new += 1
    db.session.flush()
    if log and new:
        audit_log.record("board_report.ask", "board_report", report.id, user_id=actor_id,
                         changes={"commentary_requests": new})
    return new


def save_commentary(request_id: int, text: str, *, actor_id: int, today: date) -> None:
    """The lead's commentary on one exception; it may be changed until commentary closes."""
    asked = db.session.get(CommentaryRequest, request_id)
    if asked is None:
        raise RuleError("There is no such request for commentary")
    report = asked.report
    if not report.commentary_open(today):
        when = ("the report has been made final" if report.is_final else
                f"the board meets on {long_date(report.board_date)}")
        raise RuleError(f"Commentary is closed: {when}. Nothing has been saved", "commentary")
    cleaned = (text or "").strip()
    if not cleaned:
        raise RuleError("Enter your agency's commentary", "commentary")
    if len(cleaned) > COMMENTARY_LIMIT:
        raise RuleError(f"Commentary must be {COMMENTARY_LIMIT:,} characters or fewer",
                        "commentary")
    before = asked.commentary
    asked.commentary = cleaned
    asked.commented_at = utcnow()
    asked.commented_by_id = actor_id
    db.session.flush()
    audit_log.record("board_commentary.save", "board_commentary_request", asked.id,
                     user_id=actor_id,
                     changes={"report": report.id, "agency_id": asked.agency_id,
                              "measure": asked.measure, "scope": asked.scope,
                              "commentary": [before, cleaned]})


def digest(content: ReportContent) -> str:
    """What the manager checked, so that a report changed since its check page is refused."""
    raw = content.to_json()
    raw.pop("prepared_on", None)
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def finalise(report_id: int, *, actor_id: int, checked: str, today: date) -> ReportContent:
    """Make the report final: refused while the figures are stale or unfinished, or when
    the report has changed since the check page was shown."""
    report = db.session.get(BoardReport, report_id)
    if report is None:
        raise RuleError("There is no such board report")
    if report.is_final:
        raise RuleError("This report is already final")
    now = build.assemble(report, today)
    if now.stale or now.provisional:
        raise RuleError("The report cannot be made final: " + " ".join(
            (*now.stale, *now.provisional)))
    if checked != digest(now):
        raise RuleError("The report has changed since you checked it (new figures or "
                        "commentary). Check it again before making it final")
    finalised = utcnow()
    frozen = replace(now, final=True, finalised_on=long_date(finalised.date()),
                     finalised_by=build.person(actor_id))
    report.status = "final"
    report.finalised_at = finalised
    report.finalised_by_id = actor_id
    report.content = frozen.to_json()
    db.session.flush()
    audit_log.record("board_report.finalise", "board_report", report.id, user_id=actor_id,
                     changes={"cycle": report.cycle.name,
                              "board_date": report.board_date.isoformat(),
                              "exceptions": len(now.exceptions),
                              "commentary_received": now.commentary_received})
    return frozen
