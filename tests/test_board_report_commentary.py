"""Commentary for the board: the manager's report asks each accountable agency; its lead sees
the request on her home page and records commentary before the board date; after it (or once
the report is final) commentary is refused and nothing changes; another agency's request is
not found; every saved commentary is in the audit log."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from qa_app.extensions import db
from tests import factories as make
from tests.factories.board import board_world


def _requests(app: Flask) -> dict[int, int]:
    """Request id by agency id."""
    from qa_app.board.models import CommentaryRequest

    with app.app_context():
        return {r.agency_id: r.id for r in db.session.execute(select(CommentaryRequest))
                .scalars()}


def _commentary(app: Flask, request_id: int) -> str | None:
    from qa_app.board.models import CommentaryRequest

    with app.app_context():
        return db.session.get(CommentaryRequest, request_id).commentary


def _post(client, request_id: int, text: str):
    token = make.csrf_token(client, "/board/")
    return client.post(f"/board/requests/{request_id}",
                       data={"csrf_token": token, "commentary": text})


def test_each_accountable_agency_is_asked_once_and_the_start_is_logged(app: Flask) -> None:
    with app.app_context():
        world = board_world()
    asked = _requests(app)
    assert set(asked) == {world.health_id, world.psychology_id}
    entries = make.log_entries(app, "board_report.create")
    assert [e.changes["commentary_requests"] for e in entries] == [2]


def test_the_lead_sees_the_request_at_home_and_records_commentary(app: Flask) -> None:
    with app.app_context():
        world = board_world()
    request_id = _requests(app)[world.health_id]
    lead = make.signed_in(app, world.health_lead_email)
    home = lead.get("/").get_data(as_text=True)
    assert "Commentary for the partnership board" in home
    assert f"/board/requests/{request_id}" in home
    form = lead.get(f"/board/requests/{request_id}")
    assert form.status_code == 200
    assert "33.3% (2 of 6) against a target of 80.0%" in form.get_data(as_text=True)

    empty = _post(lead, request_id, "   ")
    assert "Enter your agency&#39;s commentary" in empty.get_data(as_text=True) \
        or "Enter your agency's commentary" in empty.get_data(as_text=True)
    assert _commentary(app, request_id) is None

    saved = _post(lead, request_id, "Two advisers joined in November.")
    assert saved.status_code == 302
    assert _commentary(app, request_id) == "Two advisers joined in November."
    changed = _post(lead, request_id, "Two advisers joined in November; caseloads halved.")
    assert changed.status_code == 302
    entries = make.log_entries(app, "board_commentary.save")
    assert [e.changes["commentary"] for e in entries] == [
        [None, "Two advisers joined in November."],
        ["Two advisers joined in November.",
         "Two advisers joined in November; caseloads halved."]]
    assert "Commentary saved" in lead.get("/").get_data(as_text=True)

    manager = make.signed_in(app, world.manager_email)
    report = manager.get(f"/board/{world.report_id}").get_data(as_text=True)
    assert "Two advisers joined in November; caseloads halved." in report


def test_another_agencys_request_is_not_found(app: Flask) -> None:
    with app.app_context():
        world = board_world()
    asked = _requests(app)
    other = make.signed_in(app, world.psychology_lead_email)
    assert other.get(f"/board/requests/{asked[world.health_id]}").status_code == 404
    assert _post(other, asked[world.health_id], "Not ours to say.").status_code == 404
    assert _commentary(app, asked[world.health_id]) is None
    listed = other.get("/board/").get_data(as_text=True)
    assert f"/board/requests/{asked[world.psychology_id]}" in listed
    assert f"/board/requests/{asked[world.health_id]}" not in listed
    assert other.get(f"/board/{world.report_id}").status_code == 404
    assert other.get(f"/board/{world.report_id}/report.pdf").status_code == 404


def test_commentary_is_refused_from_the_board_date_and_once_final(app: Flask) -> None:
    from qa_app.board.models import BoardReport

    with app.app_context():
        world = board_world()
    request_id = _requests(app)[world.health_id]
    lead = make.signed_in(app, world.health_lead_email)
    assert _post(lead, request_id, "In time.").status_code == 302
    with app.app_context():
        db.session.get(BoardReport, world.report_id).board_date = date.today()
        db.session.commit()
    late = _post(lead, request_id, "Too late.")
    assert late.status_code == 409
    assert "Commentary is closed" in late.get_data(as_text=True)
    assert _commentary(app, request_id) == "In time."
    assert "Too late." not in lead.get(f"/board/requests/{request_id}").get_data(as_text=True)

    with app.app_context():
        report = db.session.get(BoardReport, world.report_id)
        report.board_date, report.status = date(2099, 1, 1), "final"
        db.session.commit()
    assert _post(lead, request_id, "After the report was final.").status_code == 409
    assert _commentary(app, request_id) == "In time."
    assert len(make.log_entries(app, "board_commentary.save")) == 1
