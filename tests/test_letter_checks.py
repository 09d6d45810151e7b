"""Issuing a letter only from its check page: the page says what will happen and what is not
finished, a post that skips it changes nothing, and a chair who may not issue a cycle's
letters is not offered the buttons."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from qa_app.extensions import db
from tests import factories as make
from tests.factories import csrf_token, sign_in


@pytest.fixture(autouse=True)
def _jobs_run_in_this_app(app):
    from workers import celery_init_app

    celery_init_app(app)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


def _draft(app, data, *, partial: bool = False) -> int:
    from qa_app.letters.operations import generate_letter

    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id, partial=partial).letter_id
        db.session.commit()
        return letter_id


def _unfinished_sample(app, data, unfinished: int = 2) -> None:
    from qa_app.audits.cycles.models import Sample, SampleItem
    from qa_app.audits.moderation.models import FinalGrade

    extra = [make.on(app).plan(data.casework_id) for _ in range(unfinished)]
    with app.app_context():
        finals = db.session.execute(
            select(FinalGrade).where(FinalGrade.cycle_id == data.cycle_id)).scalars().all()
        items = [SampleItem(plan_id=g.plan_id, advice_id=g.advice_id, stratum="test")
                 for g in finals]
        items += [SampleItem(plan_id=p.id, stratum="test") for p in extra]
        db.session.add(Sample(cycle_id=data.cycle_id, seed=1, size=len(items), items=items))
        make.aggregate(data.cycle_id)


def _snapshot(app, letter_id: int) -> tuple:
    from qa_app.audit_log import AuditLogEntry
    from qa_app.letters.models import Letter, LetterResponse

    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        return (letter.status, letter.sha256, letter.letter_date, letter.issued_at,
                db.session.scalar(select(func.count()).select_from(LetterResponse)),
                db.session.scalar(select(func.count()).select_from(AuditLogEntry)
                                  .where(AuditLogEntry.action == "letter.issue")))


def test_the_check_page_says_what_will_happen_and_what_is_unfinished(app, client):
    from qa_app.letters.document import long_date
    from qa_app.letters.working_days import add_working_days

    data = make.on(app).letter_partnership()
    _unfinished_sample(app, data)
    letter_id = _draft(app, data, partial=True)
    sign_in(client, data.chair_email)
    page = client.get(f"/letters/{letter_id}/issue")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    due = long_date(add_working_days(date.today(), 20))
    for words in ("Check before issuing the letter", "What will happen", "becomes permanent",
                  f"asked to respond by {due}", "cannot be changed afterwards",
                  "correction, which is a new version", "What is not finished",
                  "8 of 10 finalised", "based on part of the sample"):
        assert words in text, words
    assert re.search(r'<button[^>]*>\s*Issue letter\s*</button>', page.get_data(as_text=True))


def test_stale_figures_are_listed_and_the_issue_button_is_not_offered(app, client):
    data = make.on(app).letter_partnership()
    letter_id = _draft(app, data)
    make.on(app).regrade(data.health_grade_ids[0], 3)
    before = _snapshot(app, letter_id)
    sign_in(client, data.chair_email)
    page = client.get(f"/letters/{letter_id}/issue").get_data(as_text=True)
    text = _text(page)
    assert "The figures:" in text and "The letter cannot be issued yet" in text
    assert "Recalculate the rates first" in text
    assert 'name="checked"' not in page and not re.search(r">\s*Issue letter\s*<", page)
    assert _snapshot(app, letter_id) == before


def test_a_post_that_skips_the_check_page_is_refused_and_changes_nothing(app, client):
    data = make.on(app).letter_partnership()
    letter_id = _draft(app, data)
    before = _snapshot(app, letter_id)
    sign_in(client, data.chair_email)
    token = csrf_token(client, f"/letters/{letter_id}")
    forged = client.post(f"/letters/{letter_id}/issue", data={"csrf_token": token})
    assert forged.status_code == 400
    body = _text(forged.get_data(as_text=True))
    assert "The letter was not issued" in body and "Nothing has changed" in body
    assert _snapshot(app, letter_id) == before

    stale = client.post(f"/letters/{letter_id}/issue",
                        data={"csrf_token": token, "checked": "0" * 64})
    assert stale.status_code == 409
    assert "changed since this page was shown" in stale.get_data(as_text=True)
    assert _snapshot(app, letter_id) == before

    page = client.get(f"/letters/{letter_id}/issue").get_data(as_text=True)
    checked = re.search(r'name="checked"[^>]*value="([^"]*)"', page).group(1)
    done = client.post(f"/letters/{letter_id}/issue", data={"csrf_token": token,
                                                          "checked": checked},
                       follow_redirects=True)
    assert "issued. The agency lead can now read and answer it" in done.get_data(as_text=True)
    assert _snapshot(app, letter_id)[0] == "issued"


def test_the_letter_page_offers_the_check_after_the_letter_not_an_issue_button(app, client):
    data = make.on(app).letter_partnership()
    letter_id = _draft(app, data)
    sign_in(client, data.chair_email)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert f'action="/letters/{letter_id}/issue"' not in page
    link = page.index(f'href="/letters/{letter_id}/issue"')
    assert page.index("Appendix: the audited work") < link
    assert "Edit the draft" in page


def test_a_chair_of_another_cycle_is_shown_no_edit_issue_or_correction(app, client):
    from qa_app.letters.operations import issue_letter

    data = make.on(app).letter_partnership()
    second = make.on(app).user("panel_chair")
    draft = _draft(app, data)
    issued = _draft_for(app, data, data.other_id)
    with app.app_context():
        from qa_app.auth.operations import find_user_by_email

        issue_letter(issued, actor_id=find_user_by_email(data.chair_email).id)
        db.session.commit()
    before = _snapshot(app, draft)

    sign_in(client, second.email)
    page = client.get(f"/letters/{draft}").get_data(as_text=True)
    assert "Letter to Community Paediatrics" in page
    for offered in ("Edit the draft", f"/letters/{draft}/edit", f"/letters/{draft}/issue",
                    "Check before issuing"):
        assert offered not in page, offered
    issued_page = client.get(f"/letters/{issued}").get_data(as_text=True)
    assert "Correct this letter" not in issued_page
    assert f"/letters/{issued}/correct" not in issued_page
    typed = client.get(f"/letters/{draft}/issue", follow_redirects=True)
    assert "Only the chair of one of the panels for Autumn term 2025" in typed.get_data(
        as_text=True)
    edit = client.get(f"/letters/{draft}/edit", follow_redirects=True)
    assert "Only the chair of one of the panels" in edit.get_data(as_text=True)
    assert _snapshot(app, draft) == before

    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, data.chair_email)
    own = client.get(f"/letters/{draft}").get_data(as_text=True)
    assert "Edit the draft" in own and f"/letters/{draft}/issue" in own
    assert "Correct this letter" in client.get(f"/letters/{issued}").get_data(as_text=True)


def _draft_for(app, data, agency_id: int) -> int:
    from qa_app.letters.operations import generate_letter

    with app.app_context():
        letter_id = generate_letter(agency_id, data.cycle_id).letter_id
        db.session.commit()
        return letter_id
