"""Family feedback through single-use links, staff confidence through a link per agency, the
measures counted from them, and who may read written answers."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date, timedelta
from fractions import Fraction

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, update

from qa_app.extensions import db
from qa_app.surveys import figures
from qa_app.surveys.models import (
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
    SurveyRun,
    SurveyVersion,
)
from qa_app.surveys.operations import (
    load_survey_files,
    make_family_links,
    save_answers,
    start_practitioner_run,
    token_hash,
)
from qa_app.surveys.queries import family_version, quotable_answers
from qa_app.timeutil import utcnow
from tests import factories as make
from tests.factories import csrf_token, sign_in

COMMENT = "The coordinator rang back every time, which helped a lot."


def _partnership(app: Flask, plans: int = 3) -> dict:
    with app.app_context():
        casework = make.agency("SEND Casework Team", "local_authority")
        other = make.agency("Hillside Casework", "local_authority")
        rows = [make.plan(casework.id if i % 2 == 0 else other.id) for i in range(plans)]
        cycle = make.sampled_cycle([p.id for p in rows], [])
        manager = make.user("qi_manager", casework.name)
        load_survey_files()
        db.session.commit()
        return {"cycle": cycle.id, "plans": [p.id for p in rows], "refs": [p.ref for p in rows],
                "manager": manager.email, "agencies": [casework.id, other.id],
                "agency_names": [casework.name, other.name]}


def _download(client: FlaskClient, path: str, data: dict) -> list[dict]:
    token = csrf_token(client, path)
    check = client.post(path, data={**data, "csrf_token": token})
    assert check.status_code == 200 and "Check before" in check.get_data(as_text=True)
    made = client.post(path, data={**data, "checked": "y", "csrf_token": token})
    assert made.status_code == 200, made.get_data(as_text=True)
    assert made.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(made.get_data(as_text=True).lstrip("\ufeff"))))


def _family_links(app: Flask, world: dict, days: int = 14) -> dict[str, str]:
    client = app.test_client()
    sign_in(client, world["manager"])
    rows = _download(client, f"/surveys/cycles/{world['cycle']}/family-links", {"days": days})
    return {row["plan_reference"]: re.sub(r"^https?://[^/]+", "", row["link"]) for row in rows}


def _answer_family(client: FlaskClient, path: str, answers: dict[str, str],
                   respondent: str = "parent_carer"):
    start = client.get(path)
    assert start.status_code == 200, start.status_code
    token = csrf_token(client, path)
    chosen = client.post(path, data={"respondent": respondent, "csrf_token": token})
    assert chosen.status_code == 302
    questions = chosen.headers["Location"]
    check = client.post(questions, data={**answers, "csrf_token": token})
    page = check.get_data(as_text=True)
    assert "Check your answers" in page, page
    return client.post(questions + "/send", data={**answers, "csrf_token": token})


PARENT_ANSWERS = {"overall_experience": "4", "listened_to": "3", "child_views_in_plan": "2",
                  "plan_is_clear": "3", "kept_informed": "1", "what_would_help": COMMENT}


def test_a_family_answers_once_without_an_account(app: Flask, caplog) -> None:
    world = _partnership(app)
    links = _family_links(app, world)
    assert sorted(links) == sorted(world["refs"])
    path = links[world["refs"][0]]
    family = app.test_client()
    caplog.set_level(logging.DEBUG)

    sent = _answer_family(family, path, PARENT_ANSWERS)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/feedback/thank-you")
    assert "Thank you" in family.get(sent.headers["Location"]).get_data(as_text=True)

    again = family.get(path)
    assert again.status_code == 410
    assert "You have already answered" in again.get_data(as_text=True)
    token = csrf_token(app.test_client(), "/sign-in")
    resend = family.post(path + "/parent_carer/send", data={**PARENT_ANSWERS,
                                                            "csrf_token": token})
    assert resend.status_code in (400, 410)
    secret = path.rsplit("/", 1)[1]
    assert secret not in caplog.text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 1
        version = db.session.scalars(select(SurveyVersion.survey_id).join(
            SurveyResponse, SurveyResponse.survey_version_id == SurveyVersion.id)).one()
        assert version == "family-parent-carer"
        answers = {a.question_id: (a.value, a.good_or_better, a.text)
                   for a in db.session.scalars(select(SurveyAnswer))}
        assert answers["overall_experience"] == (4, True, None)
        assert answers["kept_informed"] == (1, False, None)
        assert answers["what_would_help"] == (None, None, COMMENT)
        link = db.session.scalars(select(SurveyLink).where(
            SurveyLink.token_hash == token_hash(secret))).one()
        assert link.used_at is not None


def test_the_young_persons_version_and_a_missing_answer(app: Flask) -> None:
    world = _partnership(app)
    path = _family_links(app, world)[world["refs"][1]]
    client = app.test_client()
    token = csrf_token(client, path)
    questions = client.post(path, data={"respondent": "young_person", "csrf_token": token}
                            ).headers["Location"]
    page = client.get(questions).get_data(as_text=True)
    assert "How was making your plan?" in page
    missing = client.post(questions, data={"csrf_token": token, "overall_experience": "3"})
    assert "Choose an answer to: Did people ask what you think?" in \
        missing.get_data(as_text=True)
    wrong = client.post(questions, data={"csrf_token": token, "overall_experience": "9"})
    assert "Check your answers" not in wrong.get_data(as_text=True)
    assert client.get(path.replace("/feedback/", "/feedback/") + "/someone_else").status_code \
        == 404


def test_an_expired_link_is_refused_kindly_and_a_tampered_one_is_not_found(app: Flask) -> None:
    world = _partnership(app)
    links = _family_links(app, world)
    first, second = links[world["refs"][0]], links[world["refs"][1]]
    with app.app_context():
        db.session.execute(update(SurveyLink).where(
            SurveyLink.token_hash == token_hash(first.rsplit("/", 1)[1]))
            .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    client = app.test_client()
    expired = client.get(first)
    assert expired.status_code == 410
    assert "This survey has closed" in expired.get_data(as_text=True)

    secret = second.rsplit("/", 1)[1]
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert client.get(f"/feedback/{tampered}").status_code == 404
    assert client.get(f"/feedback/{tampered}/parent_carer").status_code == 404
    assert client.get("/feedback/" + "x" * 500).status_code == 404
    assert client.get(second).status_code == 200  # the real one still works


def test_making_links_again_stops_unanswered_links_and_skips_answered_plans(app: Flask) -> None:
    world = _partnership(app)
    first = _family_links(app, world)
    done = first[world["refs"][0]]
    assert _answer_family(app.test_client(), done, PARENT_ANSWERS).status_code == 302
    second = _family_links(app, world)
    assert world["refs"][0] not in second
    assert sorted(second) == sorted(world["refs"][1:])
    client = app.test_client()
    assert client.get(first[world["refs"][1]]).status_code == 410
    assert client.get(second[world["refs"][1]]).status_code == 200


def test_nothing_identifying_is_stored(app: Flask) -> None:
    world = _partnership(app)
    links = _family_links(app, world)
    _answer_family(app.test_client(), links[world["refs"][0]], PARENT_ANSWERS)
    forbidden = re.compile(r"name|email|mail|ip|address|agent|phone|user|contact|token$|ref")
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ("survey_responses", "survey_answers", "survey_links"):
            columns = {c["name"] for c in inspector.get_columns(table)}
            flagged = {c for c in columns if forbidden.search(c) and c != "token_hash"}
            assert not flagged, (table, flagged)
        assert {c["name"] for c in inspector.get_columns("survey_responses")} == {
            "id", "link_id", "survey_version_id", "submitted_on"}
        secrets_ = {path.rsplit("/", 1)[1] for path in links.values()}
        for table in ("survey_responses", "survey_answers", "survey_links"):
            for row in db.session.execute(db.text(f"SELECT * FROM {table}")):
                text = " ".join(str(value) for value in row)
                assert not any(secret in text for secret in secrets_)
                assert "127.0.0.1" not in text and "@" not in text


def _respond(link: SurveyLink, version: SurveyVersion, values: dict) -> None:
    assert save_answers(link, version, values)


def test_family_measures_match_a_hand_count(app: Flask) -> None:
    with app.app_context():
        a = make.agency("North Casework", "local_authority")
        b = make.agency("South Casework", "local_authority")
        rubric = make.rubric()
        plans_a = [make.plan(a.id) for _ in range(6)]
        plans_b = [make.plan(b.id) for _ in range(3)]
        cycle = make.sampled_cycle([p.id for p in plans_a + plans_b], [])
        load_survey_files()
        make_family_links(cycle, 10)
        parent = family_version("parent_carer")
        young = family_version("young_person")
        links = {link.plan_id: link for link in db.session.scalars(select(SurveyLink))}
        # (plan, version, family rating, panel grade or None)
        cases = [
            (plans_a[0], parent, 4, 3), (plans_a[1], parent, 3, 2), (plans_a[2], young, 2, 3),
            (plans_a[3], parent, 1, 1), (plans_a[4], young, 3, 4), (plans_a[5], parent, 2, None),
            (plans_b[0], parent, 4, 4), (plans_b[1], young, 1, 2), (plans_b[2], parent, 3, None),
        ]
        for plan, version, rating, grade in cases:
            other = "listened_to" if version is parent else "asked_what_i_think"
            _respond(links[plan.id], version, {"overall_experience": rating, other: 1})
            if grade is not None:
                make.final_grade(rubric.id, grade, cycle_id=cycle.id, plan_id=plan.id)

        result = figures.family_figures(cycle.id, min_n=5, target=75)
        good = sum(1 for _, _, rating, _ in cases if rating >= 3)
        assert (result.partnership.good, result.partnership.n) == (good, 9)
        assert result.partnership.percent == Fraction(100 * good, 9)
        by_agency = {row.agency_name: row.share for row in result.by_agency}
        assert (by_agency["North Casework"].good, by_agency["North Casework"].n) == (3, 6)
        assert by_agency["North Casework"].shown
        assert (by_agency["South Casework"].good, by_agency["South Casework"].n) == (2, 3)
        assert not by_agency["South Casework"].shown and by_agency["South Casework"].percent \
            is None

        cross = figures.family_and_panel(cycle.id, min_n=5)
        graded = [(rating >= 3, grade >= 3) for _, _, rating, grade in cases
                  if grade is not None]
        assert cross.total == len(graded) == 7
        assert cross.family_good_panel_good == graded.count((True, True))
        assert cross.family_good_panel_not == graded.count((True, False))
        assert cross.family_not_panel_good == graded.count((False, True))
        assert cross.family_not_panel_not == graded.count((False, False))
        assert cross.shown
        assert not figures.family_and_panel(cycle.id, min_n=8).shown


def test_practitioner_confidence_by_agency_and_before_and_after_training(app: Flask) -> None:
    with app.app_context():
        make.agency("Educational Psychology Service", "education")
        make.agency("Community Paediatrics", "health")
        load_survey_files()
        run, pairs = start_practitioner_run("Spring term 2027", "practitioner-confidence",
                                            date.today() + timedelta(days=30))
        assert {agency for agency, _ in pairs} == {"Educational Psychology Service",
                                                   "Community Paediatrics"}
        version = db.session.scalars(select(SurveyVersion).where(
            SurveyVersion.survey_id == "practitioner-confidence")).one()
        links = {link.agency_id: link for link in db.session.scalars(
            select(SurveyLink).where(SurveyLink.run_id == run.id))}
        ep, paeds = sorted(links)
        # The same agency link is answered by many staff.
        ep_scores = [4, 3, 2, 3, 1]
        paeds_scores = [2, 2, 3]
        for score in ep_scores:
            _respond(links[ep], version, {"capture_child_voice": score, "describe_needs": 3})
        for score in paeds_scores:
            _respond(links[paeds], version, {"capture_child_voice": score})
        result = figures.confidence_figures(run, min_n=3)
        row = next(r for r in result.rows if r.question_id == "capture_child_voice")
        by_agency = {agency: share for agency, share in row.by_agency.items()}
        ep_share = by_agency["Educational Psychology Service"]
        assert (ep_share.good, ep_share.n) == (sum(s >= 3 for s in ep_scores), 5)
        paeds_share = by_agency["Community Paediatrics"]
        assert (paeds_share.good, paeds_share.n) == (1, 3)
        assert (row.partnership.good, row.partnership.n) == (4, 8)
        describe = next(r for r in result.rows if r.question_id == "describe_needs")
        assert describe.by_agency["Community Paediatrics"].n == 0

        # Three answers were sent before the training day and the rest on or after it.
        responses = db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
        training = date(2027, 1, 12)
        for index, response in enumerate(responses):
            response.submitted_on = training - timedelta(days=3) if index < 3 else training
        db.session.flush()
        split = {r.question: r for r in figures.before_and_after(run.survey_id, training, 1)}
        child = split[row.question]
        everything = ep_scores + paeds_scores
        assert (child.before.good, child.before.n) == (sum(s >= 3 for s in everything[:3]), 3)
        assert (child.after.good, child.after.n) == (sum(s >= 3 for s in everything[3:]), 5)


def test_a_practitioner_link_takes_many_answers_until_it_closes(app: Flask) -> None:
    world = _partnership(app)
    client = app.test_client()
    sign_in(client, world["manager"])
    closes = date.today() + timedelta(days=20)
    rows = _download(client, "/surveys/runs/new", {
        "name": "Summer term 2026", "survey_id": "practitioner-confidence",
        "closes_on": [str(closes.day), str(closes.month), str(closes.year)]})
    assert {row["agency"] for row in rows} == set(world["agency_names"])
    path = re.sub(r"^https?://[^/]+", "", rows[0]["link"])
    answers = {"capture_child_voice": "3", "describe_needs": "2", "write_outcomes": "4",
               "specify_provision": "3", "meet_deadline": "1"}
    for _ in range(2):
        staff = app.test_client()
        token = csrf_token(staff, path)
        check = staff.post(path, data={**answers, "csrf_token": token})
        assert "Check your answers" in check.get_data(as_text=True)
        sent = staff.post(path + "/send", data={**answers, "csrf_token": token})
        assert sent.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 2
        db.session.execute(update(SurveyLink).values(expires_at=utcnow()))
        db.session.commit()
    assert app.test_client().get(path).status_code == 410
    results = client.get("/surveys/results").get_data(as_text=True)
    assert "Summer term 2026" in results


def test_written_answers_are_for_managers_only_and_can_be_marked_quotable(app: Flask) -> None:
    world = _partnership(app)
    links = _family_links(app, world)
    _answer_family(app.test_client(), links[world["refs"][0]], PARENT_ANSWERS)
    with app.app_context():
        lead = make.user("agency_lead", world["agency_names"][0])
        auditor = make.user("auditor", world["agency_names"][0])
        chair = make.user("panel_chair", world["agency_names"][0])
        admin = make.user("admin")
        emails = [lead.email, auditor.email, chair.email]
        admin_email = admin.email
        db.session.commit()
        answer_id = db.session.scalars(select(SurveyAnswer.id).where(
            SurveyAnswer.text.is_not(None))).one()
        assert quotable_answers(world["cycle"]) == []
    for email in emails:
        other = app.test_client()
        sign_in(other, email)
        for page in ("/surveys/answers", "/surveys/results", "/surveys/",
                     f"/surveys/cycles/{world['cycle']}/family-links"):
            assert other.get(page).status_code == 404, (email, page)
        token = csrf_token(other, "/")
        refused = other.post(f"/surveys/answers/{answer_id}/quotable",
                             data={"quotable": "y", "csrf_token": token})
        assert refused.status_code == 404
        assert COMMENT not in other.get("/").get_data(as_text=True)
    for email in (world["manager"], admin_email):
        staff = app.test_client()
        sign_in(staff, email)
        page = staff.get("/surveys/answers").get_data(as_text=True)
        assert "The coordinator rang back every time" in page
        assert world["refs"][0] not in page

    manager = app.test_client()
    sign_in(manager, world["manager"])
    token = csrf_token(manager, "/surveys/answers")
    marked = manager.post(f"/surveys/answers/{answer_id}/quotable",
                          data={"quotable": "y", "csrf_token": token})
    assert marked.status_code == 302
    with app.app_context():
        assert quotable_answers(world["cycle"]) == [COMMENT]
    manager.post(f"/surveys/answers/{answer_id}/quotable",
                 data={"quotable": "n", "csrf_token": token})
    with app.app_context():
        assert quotable_answers(world["cycle"]) == []


def test_the_results_page_shows_figures_only_in_aggregate(app: Flask) -> None:
    world = _partnership(app, plans=2)
    links = _family_links(app, world)
    for path in links.values():
        _answer_family(app.test_client(), path, PARENT_ANSWERS)
    client = app.test_client()
    sign_in(client, world["manager"])
    page = client.get(f"/surveys/results?cycle={world['cycle']}").get_data(as_text=True)
    assert "too few answers to show (2)" in page
    assert "Too few to show" in page or "family-by-agency" in page
    for ref in world["refs"]:
        assert ref not in page
    assert 'data-testid="family-and-panel"' not in page


@pytest.mark.parametrize("days", ["0", "181", "soon"])
def test_a_bad_number_of_days_is_refused_with_a_message(app: Flask, days: str) -> None:
    world = _partnership(app, plans=1)
    client = app.test_client()
    sign_in(client, world["manager"])
    path = f"/surveys/cycles/{world['cycle']}/family-links"
    token = csrf_token(client, path)
    page = client.post(path, data={"days": days, "checked": "y", "csrf_token": token})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "number of days" in page.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SurveyLink)) == 0
        assert db.session.scalar(select(db.func.count()).select_from(SurveyRun)) == 0


def test_request_logs_never_hold_a_link_secret(caplog: pytest.LogCaptureFixture) -> None:
    from qa_app.surveys import redaction

    redaction.install()
    caplog.set_level(logging.INFO, logger="werkzeug")
    secret = "wxyWTPvrecUZKypX0kLTPGBaGyCwSpGnPze0nhEcv7o"
    logging.getLogger("werkzeug").info('"%s" %s %s', f"GET /feedback/{secret} HTTP/1.1", 200, 9)
    logging.getLogger("werkzeug").info('"%s" %s %s', f"POST /confidence/{secret}/send", 302, 0)
    logging.getLogger("werkzeug").info('"%s" %s %s', "GET /feedback/thank-you HTTP/1.1", 200, 9)
    assert secret not in caplog.text
    assert "GET /feedback/[secret] HTTP/1.1" in caplog.text
    assert "POST /confidence/[secret]/send" in caplog.text
    assert "GET /feedback/thank-you" in caplog.text


def test_the_answer_pages_are_rate_limited_per_address(app: Flask) -> None:
    world = _partnership(app, plans=1)
    path = next(iter(_family_links(app, world).values()))
    saved = app.config["SURVEY_RATE_LIMIT"]
    app.config["SURVEY_RATE_LIMIT"] = "3 per minute"
    try:
        client = app.test_client()
        codes = [client.get(path).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        refused = client.get(path)
        assert refused.status_code == 429
        assert "too many requests" in refused.get_data(as_text=True).lower()
        assert client.get("/feedback/not-a-real-link-at-all-xyz").status_code == 429
    finally:
        app.config["SURVEY_RATE_LIMIT"] = saved


def test_changing_answers_from_the_check_page_keeps_them(app: Flask) -> None:
    world = _partnership(app, plans=1)
    path = next(iter(_family_links(app, world).values()))
    client = app.test_client()
    token = csrf_token(client, path)
    questions = path + "/parent_carer"
    back = client.post(questions, data={**PARENT_ANSWERS, "change": "y", "csrf_token": token})
    page = back.get_data(as_text=True)
    assert "Check your answers" not in page and "govuk-error-summary" not in page
    assert 'value="4" checked' in page or 'checked value="4"' in page or \
        re.search(r'name="overall_experience"[^>]*value="4"[^>]*checked', page)
    assert COMMENT in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 0
