"""The formal response as one row per change: a draft the lead can leave and come back to,
dates after today, a check page before sending, permanence once sent, the rows on the letter
page and in the board pack, and the migration that turned single-box responses into rows."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from qa_app.extensions import db
from tests import factories as make
from tests.factories import csrf_token, sign_in
from tests.services import need


@pytest.fixture(autouse=True)
def _jobs_run_in_this_app(app):
    from workers import celery_init_app

    celery_init_app(app)


def _boxes(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def _issued(app) -> tuple[object, int]:
    from qa_app.auth.operations import find_user_by_email
    from qa_app.letters.operations import generate_letter, issue_letter

    data = make.on(app).letter_partnership()
    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        issue_letter(letter_id, actor_id=find_user_by_email(data.chair_email).id)
        db.session.commit()
    return data, letter_id


def _stored(app, letter_id: int) -> tuple[object, list[tuple]]:
    from qa_app.letters.models import Letter

    with app.app_context():
        response = db.session.get(Letter, letter_id).response
        return response.submitted_at, [(r.position, r.change, r.owner, r.complete_by)
                                       for r in response.planned_changes]


def _two_rows(token: str, action: str) -> dict:
    return {"csrf_token": token, "action": action,
            "rows-0-change": "Add the child's own views to every plan.",
            "rows-0-owner": "Head of Service",
            "rows-0-complete_by": _boxes(date.today() + timedelta(days=60)),
            "rows-1-change": "Train writers on measurable outcomes.",
            "rows-1-owner": "Principal practitioner",
            "rows-1-complete_by": _boxes(date.today() + timedelta(days=120))}


def _checked(page: str) -> str:
    return re.search(r'name="checked"[^>]*value="([^"]*)"', page).group(1)


def test_a_draft_is_saved_and_comes_back_unsent(app, client):
    data, letter_id = _issued(app)
    sign_in(client, data.health_lead_email)
    token = csrf_token(client, f"/letters/{letter_id}/response")
    saved = client.post(f"/letters/{letter_id}/response", data=_two_rows(token, "save"))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/letters/{letter_id}")
    sent, rows = _stored(app, letter_id)
    assert sent is None and [r[1] for r in rows] == [
        "Add the child's own views to every plan.", "Train writers on measurable outcomes."]
    letter_page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "Continue your agency’s response" in letter_page and "No response yet" in letter_page

    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, data.health_lead_email)
    form = client.get(f"/letters/{letter_id}/response").get_data(as_text=True)
    assert "Train writers on measurable outcomes." in form and "Principal practitioner" in form
    assert 'name="rows-1-complete_by"' in form and "govuk-character-count" in form


def test_rows_are_added_and_removed(app, client):
    data, letter_id = _issued(app)
    sign_in(client, data.health_lead_email)
    token = csrf_token(client, f"/letters/{letter_id}/response")
    added = client.post(f"/letters/{letter_id}/response", data=_two_rows(token, "add"))
    page = added.get_data(as_text=True)
    assert added.status_code == 200 and 'name="rows-2-change"' in page
    assert "Change 3" in page and "Remove change 3" in page
    removed = client.post(f"/letters/{letter_id}/response", data=_two_rows(token, "remove-0"))
    page = removed.get_data(as_text=True)
    assert 'name="rows-1-change"' not in page and "Remove change" not in page
    assert "Train writers on measurable outcomes." in page
    assert [r[1] for r in _stored(app, letter_id)[1]] == ["Train writers on measurable outcomes."]


@pytest.mark.parametrize("days", [0, -1])
def test_a_date_of_today_or_before_is_refused_with_a_message(app, client, days: int):
    data, letter_id = _issued(app)
    sign_in(client, data.health_lead_email)
    token = csrf_token(client, f"/letters/{letter_id}/response")
    posted = _two_rows(token, "continue")
    posted["rows-1-complete_by"] = _boxes(date.today() + timedelta(days=days))
    refused = client.post(f"/letters/{letter_id}/response", data=posted)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "The date for change 2 must be after today" in body
    assert 'href="#rows-1-complete_by"' in body
    assert _stored(app, letter_id) == (None, [])


def test_sending_only_from_the_check_page_then_the_response_is_permanent(app, client):
    from qa_app.letters.models import IssuedLetterError, LetterResponseChange

    data, letter_id = _issued(app)
    sign_in(client, data.health_lead_email)
    token = csrf_token(client, f"/letters/{letter_id}/response")
    going = client.post(f"/letters/{letter_id}/response", data=_two_rows(token, "continue"))
    check_path = f"/letters/{letter_id}/response/check"
    assert going.status_code == 302 and going.headers["Location"].endswith(check_path)
    check = client.get(check_path).get_data(as_text=True)
    flat = " ".join(re.sub(r"<[^>]+>", " ", check).replace("&#39;", "'").split())
    for words in ("Check your answers before sending your response", "Change 1", "Change 2",
                  "Head of Service", "Principal practitioner", "What will happen",
                  "presented to the partnership board", "cannot be changed or withdrawn"):
        assert words in flat, words

    forged = client.post(check_path, data={"csrf_token": token})
    assert forged.status_code == 400
    assert "The response was not sent" in forged.get_data(as_text=True)
    assert _stored(app, letter_id)[0] is None
    stale = client.post(check_path, data={"csrf_token": token, "checked": "0" * 64})
    assert stale.status_code == 409 and "changed since you checked" in stale.get_data(
        as_text=True)
    assert _stored(app, letter_id)[0] is None

    sent = client.post(check_path, data={"csrf_token": token, "checked": _checked(check)},
                       follow_redirects=True)
    page = sent.get_data(as_text=True)
    assert "has been sent to the partnership" in page
    assert "Train writers on measurable outcomes." in page and "Who owns it" in page
    submitted, rows = _stored(app, letter_id)
    assert submitted is not None and len(rows) == 2
    assert client.get(f"/letters/{letter_id}/response").status_code == 302
    again = client.post(f"/letters/{letter_id}/response", data=_two_rows(token, "save"))
    assert again.status_code == 302 and _stored(app, letter_id)[1] == rows
    with app.app_context():
        row = db.session.execute(select(LetterResponseChange)).scalars().first()
        row.owner = "Someone else"
        with pytest.raises(IssuedLetterError):
            db.session.flush()
        db.session.rollback()


def test_the_board_pack_and_response_pdf_show_each_row(app, client, tmp_path: Path):
    from qa_app.letters.responses import ChangeRow, submit_response

    need("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    data, letter_id = _issued(app)
    later = date.today() + timedelta(days=30)
    with app.app_context():
        from qa_app.auth.operations import find_user_by_email

        submit_response(letter_id, actor_id=find_user_by_email(data.health_lead_email).id,
                        rows=[ChangeRow("Rewrite outcomes with families.", "Head of Service",
                                        later),
                              ChangeRow("Audit ten plans a month.", "Quality lead",
                                        later + timedelta(days=61))])
        db.session.commit()
    from qa_app.letters.document import long_date

    sign_in(client, data.manager_email)
    for path in (f"/letters/cycles/{data.cycle_id}/board-pack.pdf",
                 f"/letters/{letter_id}/response.pdf"):
        pdf = client.get(path)
        assert pdf.status_code == 200, path
        (tmp_path / "out.pdf").write_bytes(pdf.data)
        printed = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"],
                                 capture_output=True, text=True, check=True).stdout
        flat = " ".join(printed.split())
        for words in ("What will change", "Who owns it", "Done by",
                      "Rewrite outcomes with families.", "Head of Service", long_date(later),
                      "Audit ten plans a month.", "Quality lead",
                      long_date(later + timedelta(days=61))):
            assert words in flat, (path, words)


def test_the_demo_answers_with_rows_dated_after_its_today(app):
    from qa_app.demo.letters import planned_changes

    today = date(2027, 3, 15)
    rows = planned_changes(today)
    assert len(rows) >= 2 and all(r.complete_by > today and r.owner for r in rows)


def _at(app_url: str, tmp_path: Path):
    from qa_app import create_app

    return create_app({"ENV_NAME": "test", "DATABASE_URL": app_url,
                       "INSTANCE_PATH": str(tmp_path)})


def test_the_migration_turns_single_box_responses_into_rows_and_back(
        scratch_database_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    app = _at(scratch_database_url, tmp_path)
    with app.app_context():
        upgrade(revision="b7e1a2c30006")
        now = datetime(2026, 1, 10, 9, 0)
        db.session.execute(text(
            "INSERT INTO agencies (id, name, type, active, created_at) "
            "VALUES (1, 'Paediatrics', 'health', :yes, :now)"), {"yes": True, "now": now})
        db.session.execute(text(
            "INSERT INTO cycles (id, name, start_date, end_date, academic_year, status, "
            "created_at) VALUES (1, 'Autumn', :start, :end, '2025/26', 'closed', :now)"),
            {"start": date(2025, 9, 1), "end": date(2025, 12, 19), "now": now})
        for letter_id in (1, 2):
            db.session.execute(text(
                "INSERT INTO letters (id, agency_id, cycle_id, version, status, reference, "
                "created_at) VALUES (:id, 1, 1, :id, 'draft', :ref, :now)"),
                {"id": letter_id, "ref": f"QA/1/1/v{letter_id}", "now": now})
        db.session.execute(text(
            "INSERT INTO letter_responses (id, letter_id, due_date, changes, owner, complete_by, "
            "submitted_at, created_at) VALUES (1, 1, :due, 'Rewrite outcomes.', "
            "'Head of Service', :by, :now, :now)"),
            {"now": now, "due": date(2026, 1, 15), "by": date(2026, 6, 30)})
        db.session.commit()

        upgrade(revision="c4a1f0d20001")
        rows = db.session.execute(text(
            "SELECT response_id, position, change, owner, complete_by "
            "FROM letter_response_changes")).all()
        assert [(r[0], r[1], r[2], r[3], str(r[4])) for r in rows] == [
            (1, 1, "Rewrite outcomes.", "Head of Service", "2026-06-30")]
        db.session.execute(text(
            "INSERT INTO letter_responses (id, letter_id, due_date, submitted_at, created_at) "
            "VALUES (2, 2, :due, :now, :now)"), {"now": now, "due": date(2026, 1, 15)})
        db.session.execute(text(
            "INSERT INTO letter_response_changes (response_id, position, change, owner, "
            "complete_by) VALUES (2, 1, 'First.', 'Lead', :may), "
            "(2, 2, 'Second.', 'Manager', :july)"),
            {"may": date(2026, 5, 1), "july": date(2026, 7, 1)})
        db.session.commit()

        downgrade(revision="b7e1a2c30006")
        back = db.session.execute(text(
            "SELECT id, changes, owner, complete_by FROM letter_responses ORDER BY id")).all()
        assert [(r[0], r[1], r[2], str(r[3])) for r in back] == [
            (1, "Rewrite outcomes.", "Head of Service", "2026-06-30"),
            (2, "First.\n\nSecond.", "Lead; Manager", "2026-07-01")]
        db.session.commit()
        upgrade()
        db.engine.dispose()
