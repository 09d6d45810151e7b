"""Reading board reports: the manager's list, and the requests waiting for an agency lead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qa_app.audits.cycles.models import Cycle
from qa_app.board.models import BoardReport, CommentaryRequest
from qa_app.extensions import db
from qa_app.reporting import labels


def reports() -> Sequence[BoardReport]:
    return db.session.execute(
        select(BoardReport).join(Cycle, Cycle.id == BoardReport.cycle_id)
        .options(selectinload(BoardReport.requests), selectinload(BoardReport.cycle))
        .order_by(BoardReport.board_date.desc(), BoardReport.id.desc())
    ).scalars().all()


def cycles_newest_first() -> Sequence[Cycle]:
    return db.session.execute(
        select(Cycle).order_by(Cycle.start_date.desc(), Cycle.id.desc())).scalars().all()


def last_day(report: BoardReport) -> date:
    """The last day commentary may be recorded: the day before the board meets."""
    return report.board_date - timedelta(days=1)


@dataclass(frozen=True)
class RequestLine:
    request: CommentaryRequest
    cycle_name: str
    board_date: date
    last_day: date
    measure_text: str
    is_open: bool

    @property
    def answered(self) -> bool:
        return bool(self.request.commentary)


def requests_for_lead(today: date, agency_id: int | None = None) -> list[RequestLine]:
    """The agency's requests for commentary, open ones first; scoping limits a lead's to her
    own agency (and `agency_id` does so where no request is being served)."""
    query = (select(CommentaryRequest)
             .join(BoardReport, BoardReport.id == CommentaryRequest.report_id)
             .options(selectinload(CommentaryRequest.report).selectinload(BoardReport.cycle))
             .order_by(BoardReport.board_date.desc(), CommentaryRequest.id))
    if agency_id is not None:
        query = query.where(CommentaryRequest.agency_id == agency_id)
    lines = [RequestLine(r, r.report.cycle.name, r.report.board_date, last_day(r.report),
                         labels.describe(r.measure, r.scope), r.report.commentary_open(today))
             for r in db.session.execute(query).scalars()]
    return sorted(lines, key=lambda line: not line.is_open)
