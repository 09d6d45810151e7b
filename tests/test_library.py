"""The good-practice library: an auditor marks an excerpt while scoring, the panel's chair
checks and approves it (perhaps reworded) or rejects it; only approved examples are shown, to
every partner, filtered by criterion, advice type and agency, and printed as a booklet."""

from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.library.models import PracticeExample
from qa_app.library.operations import CHECKLIST, EXCERPT_LIMIT
from qa_app.register.models import Advice, Plan
from tests import factories as make
from tests.factories import World, audits_of, csrf_token, log_entries, signed_in

TYPED = "The plan opens with the young person's own words about what a good day looks like."
EDITED = "The plan opens with the young person's own words about a good day at college."
CHECKS = [key for key, _ in CHECKLIST]


@pytest.fixture()
def world(app: Flask) -> World:
    world = make.on(app).panel_world(plans=2)
    make.on(app).panel(world)
    return world


def email_of(world: World, user_id: int) -> str:
    return next(world.emails[k] for k, v in world.users.items() if v == user_id)


def lead(app: Flask, world: World, agency: str = "Children's Social Care") -> FlaskClient:
    person = make.on(app).person("agency_lead", world.agencies[agency])
    return signed_in(app, person.email)


def examples(app: Flask) -> list[dict[str, object]]:
    with app.app_context():
        rows = db.session.execute(select(PracticeExample).order_by(PracticeExample.id))
        return [{"id": e.id, "status": e.status, "excerpt": e.excerpt,
                 "typed": e.typed_excerpt, "reason": e.rejection_reason,
                 "criterion": e.criterion_id, "agency_id": e.agency_id}
                for e in rows.scalars()]


def references(app: Flask) -> set[str]:
    """Every plan and advice reference: none may appear on a library page or booklet."""
    with app.app_context():
        return {*db.session.execute(select(Plan.ref)).scalars(),
                *db.session.execute(select(Advice.ref)).scalars()}


def plan_audit(app: Flask, world: World) -> dict[str, object]:
    return audits_of(app, plan_id=world.plan_ids[0])[0]


def mark(client: FlaskClient, audit_id: object, criterion: str, excerpt: str):
    url = f"/library/mark/{audit_id}/{criterion}"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "excerpt": excerpt})


def decide(client: FlaskClient, example_id: int, *, confirmed: bool = True,
           token_from: str | None = None, **fields: object):
    url = f"/library/{example_id}/decide"
    data: dict[str, object] = {"csrf_token": csrf_token(client, token_from or url), **fields}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(url, data=data)


def approve_flow(app: Flask, world: World, excerpt: str = TYPED, edited: str = EDITED) -> int:
    """Mark as the plan audit's auditor, then approve with a rewording as the chair."""
    audit = plan_audit(app, world)
    auditor = signed_in(app, email_of(world, audit["auditor_id"]))
    assert mark(auditor, audit["id"], "child_voice", excerpt).status_code == 302
    example_id = examples(app)[-1]["id"]
    chair = signed_in(app, world.emails["chair"])
    checked = decide(chair, example_id, confirmed=False, decision="approve", excerpt=edited,
                     checks=CHECKS)
    assert checked.status_code == 200
    assert "Check your decision" in checked.get_data(as_text=True)
    assert examples(app)[-1]["status"] == "pending"
    assert decide(chair, example_id, decision="approve", excerpt=edited,
                  checks=CHECKS).status_code == 302
    return int(example_id)


def test_mark_while_scoring_approve_with_an_edit_and_a_lead_elsewhere_reads_it(app, world):
    audit = plan_audit(app, world)
    auditor = signed_in(app, email_of(world, audit["auditor_id"]))
    page = auditor.get(f"/my-audits/{audit['id']}").get_data(as_text=True)
    assert 'type="submit" value="example:child_voice" name="action"' in page

    example_id = approve_flow(app, world)

    stored = examples(app)[0]
    assert (stored["status"], stored["excerpt"], stored["typed"]) == (
        "approved", EDITED, TYPED)
    assert stored["agency_id"] == world.agencies["SEND Casework Team"]
    actions = [e.action for e in log_entries(app) if e.record_type == "good_practice_example"]
    assert actions == ["good_practice.mark", "good_practice.approve"]
    assert log_entries(app, "good_practice.approve")[0].changes["edited"] is True

    reader = lead(app, world, "Children's Social Care")
    listing = unescape(reader.get("/library/").get_data(as_text=True))
    assert EDITED in listing and TYPED not in listing
    assert "SEND Casework Team" in listing and "EHC plan" in listing
    shown = unescape(reader.get(f"/library/{example_id}").get_data(as_text=True))
    assert EDITED in shown
    for page_text in (listing, shown):
        assert not any(ref in page_text for ref in references(app))


def test_pending_and_rejected_examples_are_not_found_by_others(app, world):
    audit = plan_audit(app, world)
    author = signed_in(app, email_of(world, audit["auditor_id"]))
    mark(author, audit["id"], "child_voice", "Pending words.")
    mark(author, audit["id"], "aspirations", "Words to be rejected.")
    pending, rejected = (e["id"] for e in examples(app))
    chair = signed_in(app, world.emails["chair"])
    assert decide(chair, rejected, decision="reject",
                  reason="It names the child's school").status_code == 302
    assert examples(app)[1]["status"] == "rejected"

    other_auditor = next(k for k, v in world.users.items()
                         if k not in ("manager", "admin", "chair", "other_chair")
                         and v != audit["auditor_id"])
    outsiders = [lead(app, world, "Children's Social Care"),
                 lead(app, world, "SEND Casework Team"),
                 signed_in(app, world.emails[other_auditor]),
                 signed_in(app, world.emails["other_chair"])]
    insiders = [author, chair, signed_in(app, world.emails["manager"])]
    for example_id in (pending, rejected):
        for client in outsiders:
            assert client.get(f"/library/{example_id}").status_code == 404
            listing = client.get("/library/").get_data(as_text=True)
            assert "Pending words" not in listing and "Words to be rejected" not in listing
        for client in insiders:
            assert client.get(f"/library/{example_id}").status_code == 200
    reason = unescape(author.get(f"/library/{rejected}").get_data(as_text=True))
    assert "It names the child's school" in reason
    assert log_entries(app, "good_practice.reject")[0].reason == "It names the child's school"


def test_forged_posts_are_refused_and_change_nothing(app, world):
    audit = plan_audit(app, world)
    author = signed_in(app, email_of(world, audit["auditor_id"]))
    too_long = "x" * (EXCERPT_LIMIT + 1)
    assert mark(author, audit["id"], "child_voice", too_long).status_code == 400
    assert examples(app) == []
    assert mark(author, audit["id"], "no_such_criterion", "Words").status_code == 404
    other = next(a for a in audits_of(app) if a["auditor_id"] != audit["auditor_id"])
    assert mark(author, other["id"], "child_voice", "Words").status_code == 404
    assert examples(app) == []

    mark(author, audit["id"], "child_voice", TYPED)
    before = examples(app)
    example_id = before[0]["id"]
    other_chair = signed_in(app, world.emails["other_chair"])
    forged = decide(other_chair, example_id, token_from="/library/", decision="approve",
                    excerpt=TYPED, checks=CHECKS)
    assert forged.status_code == 404
    manager = signed_in(app, world.emails["manager"])
    assert decide(manager, example_id, token_from="/library/", decision="approve",
                  excerpt=TYPED, checks=CHECKS).status_code == 404
    chair = signed_in(app, world.emails["chair"])
    assert decide(chair, example_id, decision="approve", excerpt=too_long,
                  checks=CHECKS).status_code == 400
    assert decide(chair, example_id, decision="approve", excerpt=TYPED,
                  checks=CHECKS[:-1]).status_code == 400
    assert decide(chair, example_id, decision="reject", reason="").status_code == 400
    assert examples(app) == before
    assert log_entries(app, "good_practice.approve") == []


def _approved(app: Flask, world: World) -> list[dict[str, object]]:
    """Approved examples across criteria, advice types and agencies, made by the app's own
    operations, and one left pending."""
    from qa_app.audits.scoring.models import Audit
    from qa_app.library import operations

    wanted = [("child_voice", world.plan_ids[0], None, "Plan voice words."),
              ("child_voice", None, "health", "Health voice words."),
              ("outcomes", None, "educational_psychology", "Psychology outcome words."),
              ("outcomes", world.plan_ids[1], None, "Plan outcome words."),
              ("placement", world.plan_ids[1], None, "Plan placement words.")]
    made = []
    with app.app_context():
        audits = db.session.execute(select(Audit).order_by(Audit.id)).scalars().all()
        for criterion, plan_id, advice_type, text in wanted:
            audit = next(a for a in audits if (
                a.plan_id == plan_id if plan_id else
                a.advice is not None and a.advice.advice_type == advice_type))
            row = operations.mark(audit, criterion, text, actor_id=audit.auditor_id)
            operations.approve(row, text, CHECKS, actor_id=world.users["chair"])
            made.append({"rubric": row.rubric_id, "criterion": criterion,
                         "kind": advice_type or "plan", "agency_id": row.agency_id,
                         "text": text})
        waiting = next(a for a in audits if a.plan_id == world.plan_ids[0])
        operations.mark(waiting, "child_voice", "Unapproved voice words.",
                        actor_id=waiting.auditor_id)
        db.session.commit()
    return made


HEADINGS = {
    ("ehcp-plan", "child_voice"): "Child or young person's voice — EHC plan",
    ("advice-health", "child_voice"): "Child or young person's voice — Health advice",
    ("advice-educational-psychology", "outcomes"):
        "Outcomes are specific — Educational psychology advice",
    ("ehcp-plan", "outcomes"): "Outcomes are SMART",
    ("ehcp-plan", "placement"): "Placement named and suitable",
}
"""Each criterion's title, with its standard's where another standard has the same title."""


def sections(page: str) -> dict[str, str]:
    """The library page's text under each criterion heading."""
    parts = re.split(r'<h3 class="govuk-heading-s">(.*?)</h3>', page)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_each_standards_criterion_has_its_own_heading(app, world):
    made = _approved(app, world)
    page = unescape(lead(app, world).get("/library/").get_data(as_text=True))
    found = sections(page)
    assert set(found) == set(HEADINGS.values())
    for example in made:
        heading = HEADINGS[(example["rubric"], example["criterion"])]
        assert example["text"] in found[heading]
        others = [text for name, text in found.items() if name != heading]
        assert not any(example["text"] in text for text in others)
        booklet = f"/library/standards/{example['rubric']}/criteria/{example['criterion']}/"
        assert booklet in found[heading]
    options = re.findall(r'<option value="([^"]*)"', page)
    assert {f"{e['rubric']}:{e['criterion']}" for e in made} <= set(options)


def test_filters_by_criterion_advice_type_and_agency(app, world):
    made = _approved(app, world)
    reader = lead(app, world, "Children's Social Care")
    health = world.agencies["Community Paediatrics"]
    for query, keep in (
        ("criterion=ehcp-plan:child_voice",
         lambda e: (e["rubric"], e["criterion"]) == ("ehcp-plan", "child_voice")),
        ("criterion=advice-health:child_voice",
         lambda e: (e["rubric"], e["criterion"]) == ("advice-health", "child_voice")),
        ("criterion=advice-educational-psychology:outcomes",
         lambda e: e["rubric"] == "advice-educational-psychology"),
        ("criterion=placement", lambda e: e["criterion"] == "placement"),
        ("kind=plan", lambda e: e["kind"] == "plan"),
        ("kind=educational_psychology", lambda e: e["kind"] == "educational_psychology"),
        (f"agency={health}", lambda e: e["agency_id"] == health),
        ("criterion=ehcp-plan:outcomes&kind=plan",
         lambda e: e["criterion"] == "outcomes" and e["kind"] == "plan"),
        ("criterion=ehcp-plan:outcomes&kind=educational_psychology", lambda e: False),
        ("", lambda e: True),
        # A criterion id two standards share, and values no option has, are ignored.
        ("criterion=child_voice", lambda e: True),
        ("criterion=advice-social-care:child_voice", lambda e: True),
        ("criterion=ehcp-plan:&kind=nonsense&agency=99999999999", lambda e: True),
        ("criterion=:::", lambda e: True),
    ):
        answer = reader.get(f"/library/?{query}")
        assert answer.status_code == 200, query
        page = unescape(answer.get_data(as_text=True))
        shown = {e["text"] for e in made if e["text"] in page}
        assert shown == {e["text"] for e in made if keep(e)}, query
        assert "Unapproved voice words." not in page
        count = len([e for e in made if keep(e)])
        assert re.search(rf"{count} examples?\b", page), query


def booklet_text(answer) -> str:
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)
    return re.sub(r"\s+", " ", text)


def test_the_booklet_holds_its_standards_criterions_approved_examples_only(app, world):
    made = _approved(app, world)
    reader = lead(app, world, "Children's Social Care")
    for rubric, criterion in HEADINGS:
        url = f"/library/standards/{rubric}/criteria/{criterion}/booklet.pdf"
        answer = reader.get(url)
        flat = booklet_text(answer)
        assert f"Examples of good practice: {HEADINGS[(rubric, criterion)]}" in flat
        for example in made:
            assert (example["text"] in flat) == (
                (example["rubric"], example["criterion"]) == (rubric, criterion)), url
        assert "Unapproved voice words." not in flat
        assert not any(ref in flat for ref in references(app))
        assert reader.get(url).data == answer.data
    assert "Health advice practice standard" in booklet_text(
        reader.get("/library/standards/advice-health/criteria/child_voice/booklet.pdf"))
    for missing in ("advice-social-care/criteria/child_voice", "ehcp-plan/criteria/no_such",
                    "no_such/criteria/outcomes"):
        assert reader.get(f"/library/standards/{missing}/booklet.pdf").status_code == 404
    # The address before standards were told apart: a redirect when one standard has
    # examples of the criterion, not found when two do (or none).
    old = reader.get("/library/criteria/placement/booklet.pdf")
    assert old.status_code == 302
    assert old.location.endswith("/library/standards/ehcp-plan/criteria/placement/booklet.pdf")
    for ambiguous in ("child_voice", "outcomes", "no_such"):
        assert reader.get(f"/library/criteria/{ambiguous}/booklet.pdf").status_code == 404


def approved_rows(app: Flask) -> list[PracticeExample]:
    with app.app_context():
        rows = db.session.execute(select(PracticeExample).where(
            PracticeExample.status == "approved").order_by(PracticeExample.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def test_approved_examples_are_those_of_the_standards_criterion_asked_for(app, world):
    from qa_app.library.queries import approved_examples

    _approved(app, world)
    rows = approved_rows(app)
    with app.app_context():
        for pairs in ([("ehcp-plan", "outcomes")], [("advice-health", "child_voice")],
                      [("ehcp-plan", "child_voice"), ("advice-educational-psychology",
                                                      "outcomes")],
                      [("advice-social-care", "outcomes")], []):
            cited = approved_examples(pairs)
            assert sorted(e.reference for e in cited) == sorted(
                r.reference for r in rows if (r.rubric_id, r.criterion_id) in pairs), pairs
            assert all(e.url == f"/library/{e.reference[3:]}" for e in cited)
        assert len(approved_examples()) == len(rows)


def test_the_plans_timeline_shows_its_approved_examples(app, world):
    from qa_app.audits.scoring.models import Audit
    from qa_app.library.timeline import approved_from_plan

    _approved(app, world)
    with app.app_context():
        events = list(approved_from_plan(world.plan_ids[0]))
        expected = []
        for example in db.session.execute(select(PracticeExample).where(
                PracticeExample.status == "approved").order_by(PracticeExample.id)).scalars():
            audit = db.session.get(Audit, example.audit_id)
            subject = audit.plan if audit.plan is not None else audit.advice.plan
            if subject.id == world.plan_ids[0]:
                expected.append(example.agency_id)
    assert expected and [e.what for e in events] == ["Example of good practice approved"] * len(
        expected)
    assert [e.agency_id for e in events] == expected
    assert all(re.search(r"GP-\d+ in the good-practice library", e.detail) for e in events)


def add_examples(app: Flask, wanted: list[tuple[str, str, str, str]]) -> dict[str, str]:
    """Examples straight into the library as (standard, criterion, status, words): the
    reference of each, by its words."""
    from qa_app.register.models import Agency

    with app.app_context():
        agency_id = db.session.execute(select(Agency.id).order_by(Agency.id)).scalars().first()
        rows = []
        for rubric, criterion, status, text in wanted:
            kind = "plan" if rubric == "ehcp-plan" else "advice"
            rows.append(PracticeExample(
                rubric_id=rubric, criterion_id=criterion, subject_kind=kind,
                advice_type=None if kind == "plan" else rubric.removeprefix("advice-")
                .replace("-", "_"), agency_id=agency_id, excerpt=text, typed_excerpt=text,
                status=status))
        db.session.add_all(rows)
        db.session.commit()
        return {row.excerpt: row.reference for row in rows}


OUTCOMES = [("advice-health", "outcomes", "approved", "Health outcomes name the change."),
            ("advice-health", "outcomes", "pending", "Unapproved outcome words."),
            ("ehcp-plan", "outcomes", "approved", "Plan outcomes name the change."),
            ("advice-educational-psychology", "outcomes", "approved",
             "Psychology outcomes name the change."),
            ("advice-health", "child_voice", "approved", "Health voice words.")]


def cited_in(text: str) -> set[str]:
    return set(re.findall(r"GP-\d+", text))


def test_a_new_letter_cites_approved_examples_for_its_areas_and_stays_deterministic(app):
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    refs = add_examples(app, OUTCOMES)
    with app.app_context():
        outcome = generate_letter(data.health_id, data.cycle_id)
        db.session.commit()
        letter = db.session.get(Letter, outcome.letter_id)
        areas, pdf = letter.areas_for_development, letter.pdf
        again = generate_letter(data.health_id, data.cycle_id)
        db.session.commit()
        assert again.outcome == "unchanged"
        assert db.session.get(Letter, outcome.letter_id).pdf == pdf
    reference = refs["Health outcomes name the change."]
    assert "Examples of good practice" in areas
    assert f"Health outcomes are specific: {reference} (Health advice, " in areas
    # The plan's and psychology's "outcomes" are other standards' criteria: not cited to a
    # health agency, nor is health's child voice, which is not one of its areas.
    assert cited_in(areas) == {reference}
    assert "Unapproved" not in areas
    assert not any(ref in areas for ref in references(app))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Examples of good practice" in text and reference in text


def test_a_learning_brief_gives_examples_of_the_standards_graded_below_good(app):
    """Plans' child voice and everyone's outcomes fall below good in the autumn; health's
    child voice does not, and nobody's social care advice was graded."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.learning.content import assemble
    from qa_app.standards.models import RubricVersion
    from tests.factories.learning import learning_world

    with app.app_context():
        world = learning_world()
    refs = add_examples(app, [*OUTCOMES, ("ehcp-plan", "child_voice", "approved",
                                          "Plan voice words."),
                              ("advice-social-care", "outcomes", "approved",
                               "Social care outcome words.")])
    with app.app_context():
        below = set()
        for grade in db.session.execute(select(FinalGrade).where(
                FinalGrade.cycle_id == world.cycle_id)).scalars():
            rubric = db.session.get(RubricVersion, grade.rubric_version_id).rubric_id
            below |= {(rubric, c.criterion_id) for c in grade.criteria if not c.good_or_better}
        expected = {r.excerpt for r in approved_rows(app)
                    if (r.rubric_id, r.criterion_id) in below}
        content = assemble(db.session.get(Cycle, world.cycle_id), date.today())
    assert {e.excerpt for e in content.examples} == expected
    assert expected == {"Plan voice words.", "Plan outcomes name the change.",
                        "Health outcomes name the change.",
                        "Psychology outcomes name the change."}
    titles = {e.excerpt: e.criterion_title for e in content.examples}
    assert titles["Psychology outcomes name the change."] == (
        "Outcomes are specific — Educational psychology advice")
    assert titles["Plan voice words."] == "Child or young person's voice — EHC plan"
    assert all(e.url == f"/library/{refs[e.excerpt][3:]}" for e in content.examples)
