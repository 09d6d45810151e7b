"""An issued letter whose grades changed afterwards: the letter stays as issued (its content,
PDF and fingerprints), and its page says which grades changed since, from what to what, when
and why, as a plain recount of the rows finds them; the letter lists tag it. A challenge that
upholds the grade, or another agency's change, shows nothing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.auth.models import User
from qa_app.challenges.models import GradeChallenge
from qa_app.challenges.operations import decide, local_date, raise_challenge
from qa_app.extensions import db
from qa_app.letters.document import long_date
from qa_app.letters.integrity import problems
from qa_app.letters.models import Letter
from tests import factories as make
from tests.factories import signed_in
from tests.factories.challenges import Scene, challenge_world

NOTICE = "Grades changed since this letter was issued"
TAG = "Grades changed since issue"


@dataclass(frozen=True)
class Issued:
    scene: Scene
    casework_letter: int
    health_letter: int


@pytest.fixture()
def issued(app: Flask) -> Issued:
    """The challenge world's casework and health letters, generated and issued by the chair
    from the current figures."""
    from qa_app.letters.operations import generate_letter, issue_letter

    with app.app_context():
        scene = challenge_world()
        db.session.commit()
        world = scene.world
        make.aggregate(world.cycle_id)
        ids = []
        for name in ("SEND Casework Team", "Community Paediatrics"):
            letter_id = generate_letter(world.agencies[name], world.cycle_id).letter_id
            db.session.commit()
            issue_letter(letter_id, actor_id=world.users["chair"])
            db.session.commit()
            ids.append(letter_id)
    return Issued(scene, *ids)


def _challenge(app: Flask, scene: Scene, grade_id: int, lead_email: str, outcome: str,
               grade: int | None = None) -> int:
    """The lead challenges the grade; the panel chair decides, through the operations."""
    with app.app_context():
        final = db.session.get(FinalGrade, grade_id)
        lead = db.session.scalars(select(User).where(User.email == lead_email)).one()
        challenge = raise_challenge(final, lead, "The outcomes are specific")
        criteria = {c.criterion_id: grade for c in final.criteria} if grade else {}
        decide(challenge, outcome, grade, criteria, "Decided on the evidence",
               actor_id=scene.world.users["chair"])
        db.session.commit()
        return challenge.id


def _recount(app: Flask, letter_id: int) -> list[tuple[str, str | None, str | None]]:
    """(reference, grade in the letter, grade now) wherever the two differ, from the rows:
    the letter's stored appendix against the agency's final grades in the cycle now."""
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        stated = {i["reference"]: i["grade"] for i in letter.content["facts"]["items"]}
        now = {}
        for final in db.session.scalars(select(FinalGrade).where(
                FinalGrade.cycle_id == letter.cycle_id,
                FinalGrade.agency_id == letter.agency_id)):
            labels = {s["value"]: s["label"] for s in final.rubric_version.body["scale"]}
            now[(final.plan or final.advice).ref] = labels[final.grade]
        return sorted((ref, stated.get(ref), now.get(ref)) for ref in stated.keys() | now.keys()
                      if stated.get(ref) != now.get(ref))


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


def _notice(page: str) -> str:
    found = re.search(r'<section class="app-later-changes".*?</section>', page, re.S)
    return found.group(0) if found else ""


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """(reference, grade in the letter, grade now, what happened) of each row of the notice."""
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)<br>.*?</th>\s*'
        r'<td class="govuk-table__cell">(.*?)</td>\s*<td class="govuk-table__cell">(.*?)</td>'
        r'\s*<td class="govuk-table__cell">(.*?)</td>', _notice(page), re.S)
    return [(ref.strip(), was, now, re.sub(r"<[^>]+>", " ", what)) for ref, was, now, what
            in rows]


def _fingerprints(app: Flask, letter_id: int) -> tuple[str, str, bytes, list[str]]:
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        return letter.sha256, letter.content_sha256, letter.pdf, problems(letter)


def _letter_grade(app: Flask, letter_id: int, reference: str) -> str:
    with app.app_context():
        items = db.session.get(Letter, letter_id).content["facts"]["items"]
        return next(i["grade"] for i in items if i["reference"] == reference)


def test_a_grade_changed_after_a_challenge_shows_on_the_letter_as_issued(app, issued):
    scene = issued.scene
    letter = f"/letters/{issued.casework_letter}"
    lead = signed_in(app, scene.casework_lead)
    assert NOTICE not in _page(lead, letter)
    assert _recount(app, issued.casework_letter) == []
    before = _fingerprints(app, issued.casework_letter)

    challenge_id = _challenge(app, scene, scene.plan_grades[0], scene.casework_lead, "changed", 3)

    expected = _recount(app, issued.casework_letter)
    assert expected == [("EHCP-W-000", "Requires improvement", "Good")]
    with app.app_context():
        decided = db.session.get(GradeChallenge, challenge_id).decided_at
        letter_date = db.session.get(Letter, issued.casework_letter).letter_date
    when = f"Changed after a challenge on {long_date(local_date(decided))}"
    manager = signed_in(app, scene.world.emails["manager"])
    for client in (lead, manager):
        page = _page(client, letter)
        notice = _notice(page)
        assert NOTICE in notice
        assert (f"1 final grade has changed since this letter was issued on "
                f"{long_date(letter_date)}") in notice
        assert [(ref, was, now) for ref, was, now, _what in _rows(page)] == expected
        assert when in _rows(page)[0][3]
        assert f'href="/challenges/{challenge_id}"' in notice
        assert re.search(rf'href="/rates/?\?cycle={scene.world.cycle_id}"', notice)
        assert "This letter stays as it was issued" in notice
        assert page.index(NOTICE) < page.index("Download the PDF")

    # The letter itself is as issued: its appendix, its fingerprints and its PDF.
    assert _letter_grade(app, issued.casework_letter, "EHCP-W-000") == "Requires improvement"
    after = _fingerprints(app, issued.casework_letter)
    assert after == before and after[3] == []
    pdf = lead.get(f"{letter}/pdf")
    assert pdf.status_code == 200 and pdf.data == before[2]
    assert hashlib.sha256(pdf.data).hexdigest() == before[0]

    # A chair of another panel reads the letter but may not open the challenge.
    other = _page(signed_in(app, scene.world.emails["other_chair"]), letter)
    assert when in _notice(other) and "/challenges/" not in _notice(other)

    # The lists tag the changed letter only.
    tracker = _page(manager, f"/letters/?cycle={scene.world.cycle_id}")
    assert tracker.count(TAG) == 1
    casework_row = re.search(r"SEND Casework Team</th>.*?</tr>", tracker, re.S).group(0)
    assert TAG in casework_row
    assert TAG in _page(lead, "/letters/")
    assert TAG not in _page(signed_in(app, scene.health_lead), "/letters/")


def test_an_upheld_challenge_shows_nothing(app, issued):
    scene = issued.scene
    _challenge(app, scene, scene.plan_grades[0], scene.casework_lead, "upheld")
    assert _recount(app, issued.casework_letter) == []
    lead = signed_in(app, scene.casework_lead)
    assert NOTICE not in _page(lead, f"/letters/{issued.casework_letter}")
    assert TAG not in _page(lead, "/letters/")
    manager = signed_in(app, scene.world.emails["manager"])
    assert TAG not in _page(manager, f"/letters/?cycle={scene.world.cycle_id}")


def test_another_agencys_change_does_not_show(app, issued):
    scene = issued.scene
    _challenge(app, scene, scene.health_grades[0], scene.health_lead, "changed", 3)
    assert _recount(app, issued.casework_letter) == []
    expected = _recount(app, issued.health_letter)
    assert len(expected) == 1 and expected[0][1:] == ("Requires improvement", "Good")

    casework = signed_in(app, scene.casework_lead)
    assert NOTICE not in _page(casework, f"/letters/{issued.casework_letter}")
    assert TAG not in _page(casework, "/letters/")
    health = _page(signed_in(app, scene.health_lead), f"/letters/{issued.health_letter}")
    assert [(ref, was, now) for ref, was, now, _w in _rows(health)] == expected
    assert _fingerprints(app, issued.health_letter)[3] == []


def test_a_chairs_own_change_after_issue_shows_without_a_challenge(app, issued):
    from qa_app.audits.moderation.operations import moderate
    from qa_app.audits.moderation.queries import reviews_for
    from qa_app.audits.panels.models import Panel

    scene = issued.scene
    with app.app_context():
        final = db.session.get(FinalGrade, scene.plan_grades[1])
        panel = db.session.scalars(select(Panel).where(
            Panel.cycle_id == scene.world.cycle_id)).one()
        review = reviews_for(panel, ("plan", final.plan_id))[0]
        moderate(review, 2, {}, "Provision is not specific", actor_id=scene.world.users["chair"])
        db.session.commit()
        day = local_date(db.session.get(FinalGrade, scene.plan_grades[1]).finalised_at)
    expected = _recount(app, issued.casework_letter)
    assert expected == [("EHCP-W-001", "Good", "Requires improvement")]
    page = _page(signed_in(app, scene.world.emails["manager"]),
                 f"/letters/{issued.casework_letter}")
    rows = _rows(page)
    assert [(ref, was, now) for ref, was, now, _w in rows] == expected
    assert f"Changed by the panel chair on {long_date(day)}" in rows[0][3]
    assert "/challenges/" not in _notice(page)
    assert _fingerprints(app, issued.casework_letter)[3] == []


def test_the_lists_read_the_grades_once_however_many_letters(app, issued):
    from qa_app.letters.later_changes import letters_with_changes

    scene = issued.scene
    _challenge(app, scene, scene.plan_grades[0], scene.casework_lead, "changed", 3)
    with app.app_context():
        letters = [db.session.get(Letter, i)
                   for i in (issued.casework_letter, issued.health_letter)]
        statements: list[str] = []

        def count(*_args: object) -> None:
            statements.append("one")

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert letters_with_changes(letters[:1]) == {issued.casework_letter}
            one = len(statements)
            statements.clear()
            assert letters_with_changes(letters) == {issued.casework_letter}
            assert len(statements) == one
        finally:
            event.remove(engine, "before_cursor_execute", count)


def test_a_re_audited_items_grade_is_read_whatever_brackets_its_note_holds():
    from qa_app.letters.content import REAUDITED_KIND
    from qa_app.letters.later_changes import _grade_in_letter

    item = {"reference": "P-1", "kind": "EHC plan" + REAUDITED_KIND,
            "grade": "Good (was Requires improvement in Autumn term (2025))"}
    assert _grade_in_letter(item) == "Good"
    # Only a re-audited item carries the note: another grade is read as written.
    assert _grade_in_letter({"kind": "EHC plan", "grade": "Inadequate (statutory)"}) == (
        "Inadequate (statutory)")


def test_a_letter_failing_its_fingerprint_gets_no_tag_and_no_notice(app, issued):
    """Its page says the letter failed its check; the list must not promise a notice there."""
    scene = issued.scene
    _challenge(app, scene, scene.plan_grades[0], scene.casework_lead, "changed", 3)
    with app.app_context():  # written behind the model's back, as a tampering would be
        db.session.execute(Letter.__table__.update().where(Letter.id == issued.casework_letter)
                           .values(content_sha256="0" * 64))
        db.session.commit()
    lead = signed_in(app, scene.casework_lead)
    assert TAG not in _page(lead, "/letters/")
    page = lead.get(f"/letters/{issued.casework_letter}").get_data(as_text=True)
    assert NOTICE not in page
