"""The letter pages: who sees what, the letter as accessible HTML, the checked PDF download,
the chair's edit and issue, the agency's response form, the board date and the board pack."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from qa_app.extensions import db
from tests import factories as make
from tests.factories import csrf_token, sign_in


@pytest.fixture(autouse=True)
def _jobs_run_in_this_app(app):
    """Eager jobs run in the app Celery was last bound to; another test may have built one."""
    from workers import celery_init_app

    celery_init_app(app)


def _generate(client, app, data, sign_out: bool = True):
    sign_in(client, data.manager_email)
    token = csrf_token(client, f"/letters/?cycle={data.cycle_id}")
    response = client.post("/letters/generate", data={"cycle_id": data.cycle_id,
                                                      "csrf_token": token})
    if sign_out:
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    return response


def _letter_id(app, agency_id: int, version: int = 1) -> int:
    from qa_app.letters.models import Letter

    with app.app_context():
        return db.session.execute(select(Letter.id).where(
            Letter.agency_id == agency_id, Letter.version == version)).scalar_one()


def _checked(client, path: str) -> dict[str, str]:
    """The check page's form as a browser would post it: its token and what it showed."""
    page = client.get(path).get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "checked": re.search(r'name="checked"[^>]*value="([^"]*)"', page).group(1)}


def _issue(client, app, data, agency_id: int) -> int:
    letter_id = _letter_id(app, agency_id)
    sign_in(client, data.chair_email)
    response = client.post(f"/letters/{letter_id}/issue",
                           data=_checked(client, f"/letters/{letter_id}/issue"))
    assert response.status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    return letter_id


def _ready(client, app, notes=None):
    data = make.on(app).letter_partnership(notes=notes)
    assert _generate(client, app, data).status_code == 302
    return data


def test_manager_generates_letters_from_the_page_and_sees_the_tracker(app, client):
    data = make.on(app).letter_partnership()
    response = _generate(client, app, data, sign_out=False)
    assert response.status_code == 302 and "job=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Letters generated: 3 new." in page
    for name in ("Community Paediatrics", "SEND Casework Team", "Educational Psychology"):
        assert name in page
    assert page.count(">Draft<") == 3
    assert f"/letters/cycles/{data.cycle_id}/board-pack.pdf" in page


def test_only_managers_and_admins_may_generate(app, client):
    data = make.on(app).letter_partnership()
    for email in (data.chair_email, data.health_lead_email):
        sign_in(client, email)
        token = csrf_token(client, "/letters/")
        response = client.post("/letters/generate", data={"cycle_id": data.cycle_id,
                                                          "csrf_token": token})
        assert response.status_code == 404
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})


def test_generate_without_rates_says_so(app, client):
    from qa_app.audits.cycles.models import Cycle

    data = make.on(app).letter_partnership()
    with app.app_context():
        cycle = Cycle(name="Spring term 2026", start_date=date(2026, 1, 5),
                      end_date=date(2026, 3, 27), academic_year="2025/26")
        db.session.add(cycle)
        db.session.commit()
        cycle_id = cycle.id
    sign_in(client, data.manager_email)
    token = csrf_token(client, "/letters/")
    response = client.post("/letters/generate", data={"cycle_id": cycle_id, "csrf_token": token},
                           follow_redirects=True)
    assert "have not been computed yet" in response.get_data(as_text=True)


def test_agency_lead_sees_only_her_agencys_issued_letters(app, client):
    data = _ready(client, app)
    own = _issue(client, app, data, data.health_id)
    theirs = _issue(client, app, data, data.other_id)
    own_draft_agency = data.casework_id
    sign_in(client, data.health_lead_email)
    page = client.get("/letters/").get_data(as_text=True)
    assert f"QA/{data.cycle_id}/{data.health_id}/v1" in page
    assert f"QA/{data.cycle_id}/{data.other_id}/v1" not in page
    assert client.get(f"/letters/{own}").status_code == 200
    assert client.get(f"/letters/{own}/pdf").status_code == 200
    for path in (f"/letters/{theirs}", f"/letters/{theirs}/pdf", f"/letters/{theirs}/response",
                 f"/letters/{theirs}/response.pdf",
                 f"/letters/{_letter_id(app, own_draft_agency)}"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, f"/letters/{own}/response")
    posted = client.post(f"/letters/{theirs}/response", data={
        "csrf_token": token, "rows-0-change": "x", "rows-0-owner": "y",
        "rows-0-complete_by": ["1", "6", "2099"], "action": "continue"})
    assert posted.status_code == 404
    assert client.post(f"/letters/{theirs}/response/check", data={
        "csrf_token": token, "checked": "x"}).status_code == 404
    assert client.get(f"/letters/cycles/{data.cycle_id}/board-pack.pdf").status_code == 404


def test_agency_lead_gets_404_for_another_agencys_audit_result(app, client):
    data = _ready(client, app)
    sign_in(client, data.health_lead_email)
    page = client.get("/letters/results").get_data(as_text=True)
    assert page.count("/letters/results/") == len(data.health_grade_ids)
    own = client.get(f"/letters/results/{data.health_grade_ids[0]}")
    assert own.status_code == 200 and "Health outcomes are specific" in own.get_data(as_text=True)
    assert client.get(f"/letters/results/{data.other_grade_ids[0]}").status_code == 404


def test_a_draft_belongs_to_the_office_until_issued(app, client):
    data = _ready(client, app)
    draft = _letter_id(app, data.health_id)
    sign_in(client, data.health_lead_email)
    assert client.get(f"/letters/{draft}").status_code == 404
    assert client.get(f"/letters/{draft}/pdf").status_code == 404


def test_letter_page_shows_the_same_content_as_the_pdf(app, client):
    import io

    from pypdf import PdfReader

    data = _ready(client, app)
    letter_id = _issue(client, app, data, data.health_id)
    sign_in(client, data.health_lead_email)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    pdf = client.get(f"/letters/{letter_id}/pdf").data
    pdf_text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                        .split())
    for phrase in ("Feedback from the Autumn term 2025 multi-agency audit",
                   "Advice rated good or better", "40.0% (2 of 5)",
                   "Health outcomes are specific", "Outcomes are broad and not time-bound.",
                   "Your formal response", "Appendix: the audited work"):
        assert phrase in pdf_text and phrase in page.replace("&#39;", "'"), phrase
    due = re.search(r"by (\d{1,2} \w+ \d{4})", pdf_text).group(1)
    assert due in page
    assert "Write your agency’s response" in page


def test_hostile_notes_are_escaped_in_html(app, client):
    from qa_app.letters.operations import edit_draft

    hostile = make.HOSTILE_NOTES
    data = _ready(client, app, notes=[hostile[0], hostile[3]])
    draft = _letter_id(app, data.health_id)
    with app.app_context():
        from qa_app.auth.operations import find_user_by_email

        edit_draft(draft, actor_id=find_user_by_email(data.chair_email).id,
                   opening=hostile[1] + "\n\n" + "x" * 5000, strengths=hostile[2],
                   areas="<script>alert(2)</script>")
        db.session.commit()
    letter_id = _issue(client, app, data, data.health_id)
    sign_in(client, data.health_lead_email)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "<para>" not in page and "&lt;para&gt;outcomes&lt;/para&gt;" in page
    assert "😀👍🏽" in page and "dir=\"auto\"" in page
    assert "התוצאות אינן ברורות" in page and "x" * 5000 in page
    assert client.get(f"/letters/{letter_id}/pdf").data.startswith(b"%PDF")


def test_download_is_refused_when_stored_bytes_do_not_match_their_hash(app, client):
    data = _ready(client, app)
    letter_id = _issue(client, app, data, data.health_id)
    with app.app_context():
        db.session.execute(text("UPDATE letters SET pdf = :pdf WHERE id = :id"),
                           {"pdf": b"%PDF-1.4 corrupted", "id": letter_id})
        db.session.commit()
    sign_in(client, data.health_lead_email)
    response = client.get(f"/letters/{letter_id}/pdf")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "failed" in response.get_data(as_text=True) or "no longer matches" in \
        response.get_data(as_text=True)


def test_download_serves_exactly_the_hashed_bytes(app, client):
    from qa_app.letters.models import Letter

    data = _ready(client, app)
    letter_id = _issue(client, app, data, data.health_id)
    sign_in(client, data.manager_email)
    response = client.get(f"/letters/{letter_id}/pdf")
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context():
        assert hashlib.sha256(response.data).hexdigest() == db.session.get(Letter,
                                                                           letter_id).sha256


def test_chair_edits_a_draft_then_no_route_changes_the_issued_letter(app, client):
    from qa_app.letters.models import Letter

    data = _ready(client, app)
    letter_id = _letter_id(app, data.health_id)
    sign_in(client, data.chair_email)
    form = client.get(f"/letters/{letter_id}/edit").get_data(as_text=True)
    assert "Quotations to leave out" in form
    key = re.search(r'name="omitted"[^>]*value="(s\d+)"', form) or re.search(
        r'value="(s\d+)"[^>]*name="omitted"', form)
    token = csrf_token(client, f"/letters/{letter_id}/edit")
    saved = client.post(f"/letters/{letter_id}/edit", data={
        "csrf_token": token, "opening": "The panel thanks you.", "strengths": "Strong voice.",
        "areas": "Outcomes need work.", "omitted": [key.group(1)]})
    assert saved.status_code == 302
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "The panel thanks you." in page
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        quoted = [e["key"] for part in ("strengths", "areas")
                  for f in letter.content["facts"][part] for e in f["evidence"]]
        assert key.group(1) in quoted and letter.omitted_evidence == [key.group(1)]
        left_out = next(e["text"] for part in ("strengths", "areas")
                        for f in letter.content["facts"][part] for e in f["evidence"]
                        if e["key"] == key.group(1))
    assert left_out not in page
    assert left_out.encode() not in client.get(f"/letters/{letter_id}/pdf").data
    empty = client.post(f"/letters/{letter_id}/edit", data={"csrf_token": token, "opening": "",
                                                          "strengths": "s", "areas": "a"})
    assert empty.status_code == 200 and "Enter the opening paragraph" in empty.get_data(
        as_text=True)
    client.post(f"/letters/{letter_id}/issue",
                data=_checked(client, f"/letters/{letter_id}/issue"))
    with app.app_context():
        before = db.session.get(Letter, letter_id)
        snapshot = (before.pdf, before.sha256, before.opening, before.status)
    assert snapshot[3] == "issued"
    assert client.get(f"/letters/{letter_id}/edit").status_code == 404
    assert client.post(f"/letters/{letter_id}/edit", data={
        "csrf_token": token, "opening": "Changed", "strengths": "s", "areas": "a"}
    ).status_code == 404
    again = client.post(f"/letters/{letter_id}/issue", data={"csrf_token": token,
                                                              "checked": snapshot[1]},
                        follow_redirects=True)
    assert "cannot be changed" in again.get_data(as_text=True)
    with app.app_context():
        after = db.session.get(Letter, letter_id)
        assert (after.pdf, after.sha256, after.opening, after.status) == snapshot


def test_chair_starts_a_correction_from_the_page(app, client):
    data = _ready(client, app)
    letter_id = _issue(client, app, data, data.health_id)
    sign_in(client, data.chair_email)
    token = csrf_token(client, f"/letters/{letter_id}")
    missing = client.post(f"/letters/{letter_id}/correct", data={"csrf_token": token,
                                                                 "reason": ""})
    assert missing.status_code == 200 and "Say what the correction changes" in missing.get_data(
        as_text=True)
    made = client.post(f"/letters/{letter_id}/correct", data={
        "csrf_token": token, "reason": "One grade was moderated."}, follow_redirects=True)
    page = made.get_data(as_text=True)
    assert f"QA/{data.cycle_id}/{data.health_id}/v2" in page
    assert "One grade was moderated." in page and "Correction" in page


def test_response_form_validates_then_records_a_late_response(app, client):
    from qa_app.letters.models import LetterResponse

    data = _ready(client, app)
    letter_id = _issue(client, app, data, data.health_id)
    with app.app_context():
        response = db.session.execute(select(LetterResponse)).scalar_one()
        response.due_date = date.today() - timedelta(days=3)
        db.session.commit()
    sign_in(client, data.manager_email)
    assert "Response late" in client.get(f"/letters/?cycle={data.cycle_id}").get_data(
        as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, data.health_lead_email)
    form_page = client.get(f"/letters/{letter_id}/response").get_data(as_text=True)
    assert "will be marked as late" in form_page
    token = csrf_token(client, f"/letters/{letter_id}/response")
    bad = client.post(f"/letters/{letter_id}/response", data={
        "csrf_token": token, "rows-0-change": "", "rows-0-owner": "Head of Service",
        "rows-0-complete_by": ["31", "2", "2026"], "action": "continue"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "The date for change 1 must be a real date" in body
    empty = client.post(f"/letters/{letter_id}/response", data={
        "csrf_token": token, "rows-0-change": "", "rows-0-owner": "Head of Service",
        "rows-0-complete_by": ["", "", ""], "action": "continue"})
    assert "Enter what will change for change 1" in empty.get_data(as_text=True)
    later = date.today() + timedelta(days=90)
    client.post(f"/letters/{letter_id}/response", data={
        "csrf_token": token, "rows-0-change": "Rewrite <b>outcomes</b> with families.",
        "rows-0-owner": "Head of Service", "action": "continue",
        "rows-0-complete_by": [str(later.day), str(later.month), str(later.year)]})
    good = client.post(f"/letters/{letter_id}/response/check",
                       data=_checked(client, f"/letters/{letter_id}/response/check"),
                       follow_redirects=True)
    body = good.get_data(as_text=True)
    assert "Response received (late)" in body and "&lt;b&gt;outcomes&lt;/b&gt;" in body
    assert client.get(f"/letters/{letter_id}/response").status_code == 302
    pdf = client.get(f"/letters/{letter_id}/response.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_manager_records_the_board_date_and_downloads_the_board_pack(app, client):
    from qa_app.letters.models import LetterResponse

    data = _ready(client, app)
    letter_id = _issue(client, app, data, data.health_id)
    sign_in(client, data.health_lead_email)
    token = csrf_token(client, f"/letters/{letter_id}/response")
    later = date.today() + timedelta(days=90)
    client.post(f"/letters/{letter_id}/response", data={
        "csrf_token": token, "rows-0-change": "Rewrite outcomes.",
        "rows-0-owner": "Head of Service", "action": "continue",
        "rows-0-complete_by": [str(later.day), str(later.month), str(later.year)]})
    client.post(f"/letters/{letter_id}/response/check",
                data=_checked(client, f"/letters/{letter_id}/response/check"))
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, data.manager_email)
    token = csrf_token(client, f"/letters/{letter_id}")
    future = date.today() + timedelta(days=10)
    refused = client.post(f"/letters/{letter_id}/presented", data={
        "csrf_token": token, "presented_on": [str(future.day), str(future.month),
                                              str(future.year)]})
    assert refused.status_code == 200 and "cannot be in the future" in refused.get_data(
        as_text=True)
    today = date.today()
    done = client.post(f"/letters/{letter_id}/presented", data={
        "csrf_token": token, "presented_on": [str(today.day), str(today.month), str(today.year)]},
        follow_redirects=True)
    assert "Presented to the board" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(LetterResponse)).scalar_one().presented_on == today
    pack = client.get(f"/letters/cycles/{data.cycle_id}/board-pack.pdf")
    assert pack.status_code == 200 and pack.data.startswith(b"%PDF")


def test_letters_are_not_offered_to_auditors(app, client):
    data = _ready(client, app)
    auditor = make.on(app).user("auditor", "SEND Casework Team")
    sign_in(client, auditor.email)
    assert 'href="/letters/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/letters/").status_code == 404
    assert client.get(f"/letters/{_letter_id(app, data.health_id)}").status_code == 404
