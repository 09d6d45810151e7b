"""A plan's case timeline: every audit, moderation, final grade and letter that cites the plan
or its advice, in date order, by pseudonymous reference only; staff see everything, an agency
lead only her agency's part (and the partnership's), and a plan she cannot see is a 404."""

from __future__ import annotations

import html
import re
from datetime import datetime

from flask import Flask

from qa_app.learning.timeline import TimelineEvent, add_source, sources_for, visible
from tests import factories as make
from tests.factories.learning import timeline_world


def _world(app: Flask):
    with app.app_context():
        return timeline_world()


def _events(client, plan_id: int) -> list[tuple[str, str, str]]:
    """(when as written, what, detail) of each event on the page, top to bottom."""
    page = client.get(f"/plans/{plan_id}/timeline")
    assert page.status_code == 200
    found = re.findall(
        r'<h2 class="govuk-heading-s app-timeline__what">(.*?)</h2>\s*'
        r'<p class="govuk-body-s app-timeline__when"><time datetime="([^"]+)">.*?</time></p>\s*'
        r'<p class="govuk-body">(.*?)</p>', page.get_data(as_text=True), re.S)
    return [(when, html.unescape(what), html.unescape(re.sub(r"<[^>]+>", "", detail)))
            for what, when, detail in found]


def test_staff_see_every_event_in_date_order(app: Flask, client) -> None:
    world = _world(app)
    make.sign_in(client, world.manager_email)
    events = _events(client, world.plan_id)
    assert [datetime.fromisoformat(when) for when, _w, _d in events] == sorted(
        datetime.fromisoformat(when) for when, _w, _d in events)
    assert [(datetime.fromisoformat(when), what) for when, what, _d in events] == [
        (when, what) for when, what, _ref in world.expected]
    for (_when, _what, detail), (_at, _w, ref) in zip(events, world.expected, strict=True):
        assert ref in detail
    moderated = next(d for _w, what, d in events if what.startswith("Moderated"))
    assert "Good" in moderated and "The auditors differed on outcomes" in moderated
    changed = next(d for _w, what, d in events if what == "Final grade changed")
    assert "from Good to Requires improvement" in changed
    assert "Provision is not specific" in changed
    assert all(not re.search(r"\bgrade \d\b", d) for _w, _what, d in events)
    assert not any("ADV-SOMETHING-ELSE" in d for _w, _what, d in events)


def test_an_agency_lead_sees_only_her_agencys_part(app: Flask) -> None:
    world = _world(app)
    health = app.test_client()
    make.sign_in(health, world.health_lead_email)
    events = _events(health, world.plan_id)
    details = " ".join(d for _w, _what, d in events)
    assert [what for _w, what, _d in events] == [
        "Chosen for the audit sample", "Audit submitted", "Final grade agreed",
        "Feedback letter issued"]
    assert world.health_advice_ref in details
    assert world.plan_ref not in details.replace(world.health_advice_ref, "")
    assert world.psychology_advice_ref not in details

    casework = app.test_client()
    make.sign_in(casework, world.casework_lead_email)
    events = _events(casework, world.plan_id)
    details = " ".join(d for _w, _what, d in events)
    assert [what for _w, what, _d in events] == [
        "Chosen for the audit sample", "Audit submitted",
        "Moderated: final grade decided by the panel chair", "Final grade changed",
        "Feedback letter issued"]
    assert world.health_advice_ref not in details and world.psychology_advice_ref not in details


def test_a_plan_the_viewer_cannot_see_is_not_found(app: Flask) -> None:
    world = _world(app)
    for email in (world.health_lead_email, world.casework_lead_email, world.auditor_email):
        client = app.test_client()
        make.sign_in(client, email)
        assert client.get(f"/plans/{world.other_plan_id}/timeline").status_code == 404
        assert client.get("/plans/999999/timeline").status_code == 404


def test_an_auditor_sees_what_her_scope_allows_and_no_letters(app: Flask) -> None:
    world = _world(app)
    client = app.test_client()
    make.sign_in(client, world.auditor_email)
    whats = [what for _w, what, _d in _events(client, world.plan_id)]
    assert whats.count("Audit submitted") == 3
    assert "Feedback letter issued" not in whats


def test_the_plan_page_links_to_the_timeline(app: Flask, client) -> None:
    world = _world(app)
    make.sign_in(client, world.casework_lead_email)
    page = client.get(f"/plans/{world.plan_id}").get_data(as_text=True)
    assert f'href="/plans/{world.plan_id}/timeline"' in page


def test_sources_are_filtered_by_agency_and_merged_in_date_order(app: Flask) -> None:
    mine, theirs, partnership = (
        TimelineEvent(datetime(2026, 1, 3), "Re-audited", "Now good", 7),
        TimelineEvent(datetime(2026, 1, 1), "Challenge raised", "By the agency", 8),
        TimelineEvent(datetime(2026, 1, 2), "Amended", "The plan was amended", None),
    )
    assert visible([mine, theirs, partnership], agency_ids=None) == [theirs, partnership, mine]
    assert visible([mine, theirs, partnership], agency_ids=frozenset({7})) == [
        partnership, mine]
    before = list(sources_for(app))

    def source(plan_id: int):
        return [mine]

    add_source(app, source)
    add_source(app, source)
    assert sources_for(app) == [*before, source]
    app.extensions["qa_timeline_sources"].remove(source)


def test_a_grade_changed_after_a_challenge_is_told_once_in_date_order(app: Flask) -> None:
    """The challenge's outcome changes the grade through moderation's own change, which the
    audit log records too: the timeline tells it once, in the challenge's words. A chair's
    own later change is still told, once."""
    from sqlalchemy import select

    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.moderation.operations import moderate
    from qa_app.audits.moderation.queries import reviews_for
    from qa_app.audits.panels.models import Panel
    from qa_app.auth.models import User
    from qa_app.challenges.operations import decide, raise_challenge
    from qa_app.extensions import db
    from tests.factories.challenges import challenge_world

    with app.app_context():
        scene = challenge_world()
        chair = scene.world.users["chair"]
        final = db.session.get(FinalGrade, scene.plan_grades[0])
        plan_id = final.plan_id
        lead = db.session.scalars(select(User).where(User.email == scene.casework_lead)).one()
        challenge = raise_challenge(final, lead, "The outcomes are specific")
        decide(challenge, "changed", 3, {c.criterion_id: 3 for c in final.criteria},
               "Outcomes are measurable", actor_id=chair)
        db.session.commit()
    client = app.test_client()
    make.sign_in(client, scene.world.emails["manager"])
    events = _events(client, plan_id)
    whats = [what for _w, what, _d in events]
    assert whats.count("Grade changed after a challenge") == 1
    assert "Final grade changed" not in whats
    assert [datetime.fromisoformat(when) for when, _w, _d in events] == sorted(
        datetime.fromisoformat(when) for when, _w, _d in events)
    plan_events = [what for _w, what, detail in events if "EHCP-W-000" in detail]
    assert plan_events[-3:] == ["Final grade agreed", "Grade challenged",
                                "Grade changed after a challenge"]
    changed = next(d for _w, what, d in events if what == "Grade changed after a challenge")
    assert "from Requires improvement to Good" in changed

    with app.app_context():
        panel = db.session.scalars(select(Panel).where(
            Panel.cycle_id == scene.world.cycle_id)).one()
        moderate(reviews_for(panel, ("plan", plan_id))[0], 2, {}, "Provision is not specific",
                 actor_id=chair)
        db.session.commit()
    whats = [what for _w, what, _d in _events(client, plan_id)]
    assert whats.count("Grade changed after a challenge") == 1
    assert whats.count("Final grade changed") == 1
    assert whats.index("Grade changed after a challenge") < whats.index("Final grade changed")
