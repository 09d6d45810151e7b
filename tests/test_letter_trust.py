"""Letters a board can trust: never built from stale figures or an unfinished sample without
an explicit choice, one figure for one thing, fingerprints over the content as well as the
PDF, and a correction only when what the letter says changes."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from tests import factories as make
from tests.factories import csrf_token, sign_in


@pytest.fixture(autouse=True)
def _jobs_run_in_this_app(app):
    """Eager jobs run in the app Celery was last bound to; another test may have built one."""
    from workers import celery_init_app

    celery_init_app(app)


def _id(app, email: str) -> int:
    from qa_app.auth.operations import find_user_by_email

    with app.app_context():
        return find_user_by_email(email).id


def _latest(agency_id: int, cycle_id: int):
    from qa_app.letters.operations import latest_version

    return latest_version(agency_id, cycle_id)


def _banner(page: str) -> str:
    found = re.findall(r'govuk-notification-banner__heading">(.*?)</p>', page, re.S)
    return " ".join(" ".join(text.split()) for text in found)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- item 4: no letter from stale figures ----------------------------------------------------


def test_a_letter_generated_after_a_grade_change_without_recalculation_is_refused(
        app, client, runner):
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import LetterError, generate_letter, issue_letter

    data = make.on(app).letter_partnership()
    with app.app_context():
        draft_id = generate_letter(data.health_id, data.cycle_id).letter_id
        db.session.commit()
        before = db.session.get(Letter, draft_id).sha256
    make.on(app).regrade(data.health_grade_ids[0], 3)  # 3 of 4 becomes 4 of 4

    with app.app_context():
        with pytest.raises(LetterError) as refused:
            generate_letter(data.health_id, data.cycle_id)
        db.session.rollback()
        message = str(refused.value)
        assert "Autumn term 2025" in message and "Recalculate the rates first" in message
        assert "no longer match" in message
        with pytest.raises(LetterError, match="Recalculate the rates first"):
            issue_letter(draft_id, actor_id=_id(app, data.chair_email))
        db.session.rollback()
        letter = db.session.get(Letter, draft_id)
        assert (letter.status, letter.sha256) == ("draft", before)

    result = runner.invoke(["letters", "generate", "--cycle", "Autumn term 2025"])
    assert result.exit_code != 0 and "Recalculate the rates first" in result.output
    assert "Traceback" not in result.output

    sign_in(client, data.manager_email)
    token = csrf_token(client, f"/letters/?cycle={data.cycle_id}")
    page = client.post("/letters/generate", data={"cycle_id": data.cycle_id, "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Letters cannot be generated now" in _banner(page)
    assert "Recalculate the rates first" in _banner(page)

    with app.app_context():
        make.aggregate(data.cycle_id)
        generate_letter(data.health_id, data.cycle_id)
        db.session.commit()
        facts = db.session.get(Letter, draft_id).content["facts"]
    advice = next(f for f in facts["figures"] if f["label"] == "Advice rated good or better")
    recount = sum(1 for item in facts["items"] if item["good_or_better"])
    assert (advice["current"]["good"], advice["current"]["n"]) == (recount, len(facts["items"]))
    assert recount == 4


def test_the_worker_job_refuses_stale_figures(app):
    from qa_app.jobs import JobRun, enqueue_record
    from qa_app.letters.tasks import generate_cycle_letters

    data = make.on(app).letter_partnership()
    make.on(app).regrade(data.health_grade_ids[0], 3)
    with app.app_context():
        run_id = enqueue_record("generate_cycle_letters", {"cycle_id": data.cycle_id}).id
        db.session.commit()
        generate_cycle_letters.delay(data.cycle_id, run_id)
        db.session.expire_all()
        run = db.session.get(JobRun, run_id)
        assert run.status == "failed" and "Recalculate the rates first" in run.message
        from qa_app.letters.models import Letter

        assert db.session.execute(select(Letter)).first() is None


# --- item 5: one letter, one definition of each figure ---------------------------------------


def test_letter_figures_and_findings_agree(app, client):
    from qa_app.audits.moderation.models import FinalCriterionGrade
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    with app.app_context():
        for grade_id in data.health_grade_ids:  # the computed timeliness criterion, all good
            db.session.add(FinalCriterionGrade(final_grade_id=grade_id, criterion_id="timeliness",
                                               grade=4, good_or_better=True))
        make.aggregate(data.cycle_id)
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        db.session.commit()
        content = _latest(data.health_id, data.cycle_id).content
    facts = content["facts"]
    findings = [*facts["strengths"], *facts["areas"]]
    assert findings, "the letter should still report the judged criteria"
    assert "timeliness" not in {f["criterion_id"] for f in findings}
    assert "Advice provided on time" not in {f["title"] for f in findings}
    on_time = [f for f in facts["figures"] if f["label"] == "Advice provided on time"]
    assert len(on_time) == 1
    sign_in(client, data.manager_email)
    page = _text(client.get(f"/letters/{letter_id}").get_data(as_text=True))
    assert page.count("Advice provided on time") == 1
    assert page.count("rated good or better (") == len(findings)


def _plans_and_advice(app, data) -> None:
    """The casework team's own educational psychology advice, graded in the same cycle as
    its plans: outcomes good in both pieces of advice (2 of 2) but in 2 of 3 plans."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.auth.models import User
    from qa_app.register.models import Plan

    with app.app_context():
        autumn = db.session.get(Cycle, data.cycle_id)
        version = make.shipped_rubrics()["advice-educational-psychology"]
        auditor = db.session.execute(select(User.id).where(User.role == "auditor")).scalar()
        plan_id = db.session.execute(select(Plan.id).where(
            Plan.agency_id == data.casework_id).order_by(Plan.id)).scalars().first()
        for _ in range(2):
            row = make.advice(plan_id, data.casework_id, advice_type="educational_psychology")
            make.agreed_grade(
                autumn, version, advice_id=row.id, grade=4,
                criteria={"child_voice": 4, "outcomes": 4},
                notes={"child_voice": "The advice quotes the young person's views in full.",
                       "outcomes": "Each outcome says what will change and by when."},
                auditor_id=auditor)
        make.aggregate(data.cycle_id)


def _recount(app, agency_id: int, cycle_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(good, n) per (scope, criterion), counted from the final grades themselves."""
    from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade

    counts: dict[tuple[str, str], tuple[int, int]] = {}
    with app.app_context():
        rows = db.session.execute(
            select(FinalGrade.plan_id, FinalCriterionGrade.criterion_id,
                   FinalCriterionGrade.good_or_better)
            .join(FinalGrade, FinalGrade.id == FinalCriterionGrade.final_grade_id)
            .where(FinalGrade.cycle_id == cycle_id, FinalGrade.agency_id == agency_id)).all()
    for plan_id, criterion, good in rows:
        key = ("plan" if plan_id is not None else "advice", criterion)
        was_good, was_n = counts.get(key, (0, 0))
        counts[key] = (was_good + int(bool(good)), was_n + 1)
    return counts


def test_findings_keep_plans_and_advice_of_one_agency_apart(app, client):
    """An agency whose plans and advice are both graded: each finding is one criterion in one
    scope, its figure equals a recount of exactly those grades, its title says which scope,
    and its quotations come from audits of that scope only."""
    from qa_app.audits.scoring.models import Audit, AuditScore
    from qa_app.letters.document import LetterContent
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    _plans_and_advice(app, data)
    with app.app_context():
        letter_id = generate_letter(data.casework_id, data.cycle_id).letter_id
        db.session.commit()
        content = _latest(data.casework_id, data.cycle_id).content
    facts = content["facts"]
    recount = _recount(app, data.casework_id, data.cycle_id)
    assert recount[("plan", "outcomes")] == (2, 3) and recount[("advice", "outcomes")] == (2, 2)

    findings = {(f["scope"], f["criterion_id"]): f for f in [*facts["strengths"], *facts["areas"]]}
    assert len(findings) == len(facts["strengths"]) + len(facts["areas"])
    assert {key: (f["rate"]["good"], f["rate"]["n"]) for key, f in findings.items()} == recount
    target = facts["areas"][0]["rate"]["target"]
    for finding in facts["strengths"]:
        good, n = recount[(finding["scope"], finding["criterion_id"])]
        assert 100 * good >= target * n
    for finding in facts["areas"]:
        good, n = recount[(finding["scope"], finding["criterion_id"])]
        assert 100 * good < target * n
    assert findings[("plan", "outcomes")]["title"] == "Outcomes are SMART (EHC plans)"
    assert findings[("advice", "outcomes")]["title"] == "Outcomes are specific (advice)"
    assert findings[("plan", "child_voice")]["title"].endswith("(EHC plans)")
    assert findings[("advice", "child_voice")]["title"].endswith("(advice)")

    quoted = {(f["scope"], e["key"]) for f in findings.values() for e in f["evidence"]}
    assert {scope for scope, _ in quoted} == {"plan", "advice"}
    with app.app_context():
        for scope, key in quoted:
            audit = db.session.execute(select(Audit).join(AuditScore).where(
                AuditScore.id == int(key.removeprefix("s")))).scalar_one()
            assert (audit.advice_id is not None) == (scope == "advice")
            assert (audit.plan_id is not None) == (scope == "plan")
        stored = LetterContent.from_json(content).facts
        assert {(f.scope, f.criterion_id) for f in stored.strengths + stored.areas} == set(recount)
    sign_in(client, data.manager_email)
    page = _text(client.get(f"/letters/{letter_id}").get_data(as_text=True))
    assert "Outcomes are SMART (EHC plans) : 2 of 3 rated good or better" in page
    assert "Outcomes are specific (advice) : 2 of 2 rated good or better" in page


def test_examples_cited_for_an_area_come_from_the_standard_of_its_scope(app):
    """The good-practice examples a letter cites for an advice area are the advice standard's,
    never the plan standard's criterion of the same id (and the other way round); a finding
    stored without a scope matches either."""
    from qa_app.library.letters import graded_standards

    data = make.on(app).letter_partnership()
    _plans_and_advice(app, data)
    with app.app_context():
        def standards(*criteria):
            return graded_standards(data.casework_id, data.cycle_id, list(criteria))

        assert standards(("advice", "outcomes")) == [
            ("advice-educational-psychology", "outcomes")]
        assert standards(("plan", "outcomes")) == [("ehcp-plan", "outcomes")]
        assert standards(("", "outcomes")) == [("advice-educational-psychology", "outcomes"),
                                               ("ehcp-plan", "outcomes")]
        assert standards(("plan", "child_voice"), ("advice", "outcomes")) == [
            ("ehcp-plan", "child_voice"), ("advice-educational-psychology", "outcomes")]
        assert standards() == []


def test_a_letter_stored_before_findings_had_a_scope_loads_verifies_and_is_unchanged(
        app, client, runner):
    """An issued letter whose stored findings have no scope (as letters issued before the
    findings kept plans and advice apart) still renders, passes its fingerprint check, reads
    as before (no scope in its titles) and starts no correction."""
    from qa_app.letters.integrity import content_digest, problems
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    letter_id = _issued(app, data)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        content = letter.content
        findings = [*content["facts"]["strengths"], *content["facts"]["areas"]]
        assert findings and {f["scope"] for f in findings} == {"advice"}
        assert not any(f["title"].endswith("(advice)") for f in findings)
        for finding in findings:
            del finding["scope"]
        db.session.execute(Letter.__table__.update().where(Letter.__table__.c.id == letter_id)
                           .values(content=content, content_sha256=content_digest(content)))
        db.session.commit()
        db.session.expire_all()
        assert problems(db.session.get(Letter, letter_id)) == []
        again = generate_letter(data.health_id, data.cycle_id)
        db.session.commit()
        assert (again.outcome, again.letter_id) == ("unchanged", letter_id)
    sign_in(client, data.manager_email)
    page = client.get(f"/letters/{letter_id}")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "failed its integrity check" not in text
    assert text.count("rated good or better (") == len(findings)
    verified = runner.invoke(["letters", "verify", "--cycle", "Autumn term 2025"])
    assert verified.exit_code == 0


def test_a_subject_moved_to_another_agency_stays_in_the_letter_its_figures_count_it_in(app):
    """The figures count a final grade for the agency recorded with it; the appendix, the
    list of agencies written to and the evidence must use the same agency, or a register
    correction after grading makes a letter say 3 of 4 beside a list of 3."""
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.letters.content import agencies_with_final_grades, assemble_facts
    from qa_app.register.models import Advice

    data = make.on(app).letter_partnership()
    with app.app_context():
        moved = db.session.get(FinalGrade, data.health_grade_ids[1])
        db.session.get(Advice, moved.advice_id).agency_id = data.other_id
        make.aggregate(data.cycle_id)
        for agency_id, graded in ((data.health_id, 4), (data.other_id, 1)):
            facts = assemble_facts(agency_id, data.cycle_id, 20)
            figure = next(f.current for f in facts.figures
                          if f.label == "Advice rated good or better")
            assert (figure.n, facts.advice, len(facts.items)) == (graded, graded, graded)
        assert set(agencies_with_final_grades(data.cycle_id)) == {
            data.casework_id, data.health_id, data.other_id}


# --- readiness: an unfinished sample only by an explicit, recorded choice --------------------


def _sample_with_unfinished(app, data, unfinished: int = 2) -> tuple[int, int]:
    """A sample of every graded subject plus `unfinished` plans not yet finalised."""
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
        return len(finals), len(items)


def test_generating_on_an_unfinished_sample_needs_partial_and_says_so(app, runner):
    from qa_app.audit_log import AuditLogEntry
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    finalised, sampled = _sample_with_unfinished(app, data)
    assert (finalised, sampled) == (8, 10)

    refused = runner.invoke(["letters", "generate", "--cycle", "Autumn term 2025"])
    assert refused.exit_code != 0 and "8 of 10 finalised" in refused.output
    assert "--partial" in refused.output and "Traceback" not in refused.output
    with app.app_context():
        assert db.session.execute(select(Letter)).first() is None

    result = runner.invoke(["letters", "generate", "--cycle", "Autumn term 2025", "--partial"])
    assert result.exit_code == 0, result.output
    assert "8 of 10 finalised" in result.output and "3 new" in result.output
    with app.app_context():
        letters = db.session.execute(select(Letter)).scalars().all()
        assert len(letters) == 3
        for letter in letters:
            first = letter.content["opening"].split("\n\n")[0]
            assert first.startswith("This letter is based on 8 of 10 of the sample")
            assert (letter.sample_finalised, letter.sample_size) == (8, 10)
        entry = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "letters.generate_partial")).scalar_one()
        assert entry.changes["finalised"] == 8 and entry.changes["sampled"] == 10


def test_the_chair_cannot_edit_away_the_partial_notice_and_it_reaches_the_pdf(app):
    import io

    from pypdf import PdfReader

    from qa_app.letters.operations import edit_draft, generate_letter, issue_letter

    data = make.on(app).letter_partnership()
    _sample_with_unfinished(app, data, unfinished=1)
    chair = _id(app, data.chair_email)
    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id, partial=True).letter_id
        edit_draft(letter_id, actor_id=chair, opening="Our own opening.", strengths="S",
                   areas="A")
        letter = issue_letter(letter_id, actor_id=chair, today=date(2025, 12, 15))
        db.session.commit()
        assert letter.content["opening"].startswith("This letter is based on 8 of 9 of the")
        assert letter.content["opening"].endswith("Our own opening.")
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.pdf)).pages)
    assert "This letter is based on 8 of 9 of the sample" in " ".join(text.split())


def test_issuing_a_complete_letter_is_refused_once_the_sample_is_unfinished(app):
    from qa_app.letters.operations import LetterError, generate_letter, issue_letter

    data = make.on(app).letter_partnership()
    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        db.session.commit()
    _sample_with_unfinished(app, data, unfinished=1)
    with app.app_context():
        with pytest.raises(LetterError, match="8 of 9 finalised"):
            issue_letter(letter_id, actor_id=_id(app, data.chair_email))
        db.session.rollback()


def test_the_letters_page_offers_partial_letters_only_through_a_confirm_step(app, client):
    from qa_app.audit_log import AuditLogEntry
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    _sample_with_unfinished(app, data)
    sign_in(client, data.manager_email)
    index = client.get(f"/letters/?cycle={data.cycle_id}").get_data(as_text=True)
    assert "8 of 10 finalised" in index
    token = csrf_token(client, f"/letters/?cycle={data.cycle_id}")
    response = client.post("/letters/generate", data={"cycle_id": data.cycle_id,
                                                      "csrf_token": token})
    confirm = f"/letters/cycles/{data.cycle_id}/partial"
    assert response.status_code == 302 and response.headers["Location"].endswith(confirm)
    page = client.get(confirm).get_data(as_text=True)
    assert "8 of 10 finalised" in page and "govuk-warning-text" in page
    assert 'type="checkbox"' in page
    with app.app_context():
        assert db.session.execute(select(Letter)).first() is None

    token = csrf_token(client, confirm)
    unticked = client.post(confirm, data={"csrf_token": token, "finalised": "8",
                                          "sampled": "10"})
    assert unticked.status_code == 200
    assert "Confirm that the letters may be based on part of the sample" in unticked.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.execute(select(Letter)).first() is None

    done = client.post(confirm, data={"csrf_token": token, "finalised": "8", "sampled": "10",
                                      "confirm": "y"}, follow_redirects=True)
    assert "Letters generated: 3 new." in _banner(done.get_data(as_text=True))
    with app.app_context():
        entry = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "letters.generate_partial")).scalar_one()
        assert entry.user_id == _id(app, data.manager_email)
        letter = _latest(data.health_id, data.cycle_id)
        assert letter.content["opening"].startswith("This letter is based on 8 of 10")


# --- item 11: fingerprints over the content as well as the PDF -------------------------------


def _issued(app, data) -> int:
    from qa_app.letters.operations import generate_letter, issue_letter

    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        issue_letter(letter_id, actor_id=_id(app, data.chair_email), today=date(2025, 12, 15))
        db.session.commit()
        return letter_id


def _tamper_content(app, letter_id: int) -> None:
    from qa_app.letters.models import Letter

    with app.app_context():
        content = db.session.get(Letter, letter_id).content
        content["facts"]["figures"][0]["current"]["good"] += 1
        db.session.execute(Letter.__table__.update().where(Letter.__table__.c.id == letter_id)
                           .values(content=content))
        db.session.commit()


def _tamper_pdf(app, letter_id: int) -> None:
    from qa_app.letters.models import Letter

    with app.app_context():
        pdf = db.session.get(Letter, letter_id).pdf
        db.session.execute(Letter.__table__.update().where(Letter.__table__.c.id == letter_id)
                           .values(pdf=pdf.replace(b"Community", b"Kommunity", 1)
                                   if b"Community" in pdf else pdf + b"%"))
        db.session.commit()


@pytest.mark.parametrize("tamper", [_tamper_content, _tamper_pdf], ids=["content", "pdf"])
def test_tampered_letters_are_detected_on_the_page_the_board_pack_and_the_cli(
        app, client, runner, tamper):
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    letter_id = _issued(app, data)
    with app.app_context():
        reference = db.session.get(Letter, letter_id).reference
    sign_in(client, data.manager_email)
    pack_url = f"/letters/cycles/{data.cycle_id}/board-pack.pdf"
    assert "failed its integrity check" not in client.get(f"/letters/{letter_id}").get_data(
        as_text=True)
    assert client.get(pack_url).status_code == 200
    clean = runner.invoke(["letters", "verify", "--cycle", "Autumn term 2025"])
    assert clean.exit_code == 0 and "(PDF and content)" in clean.output

    tamper(app, letter_id)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert f"Letter {reference} failed its integrity check" in page
    pack = client.get(pack_url)
    assert pack.status_code == 500 and pack.mimetype == "text/html"
    assert reference in pack.get_data(as_text=True)
    assert "Integrity check failed" in pack.get_data(as_text=True)
    for args in (["letters", "verify"], ["letters", "verify", "--cycle", "Autumn term 2025"]):
        result = runner.invoke(args)
        assert result.exit_code != 0 and reference in result.output
        assert "fail their integrity check" in result.output


# --- item 13: only a change to what a letter says starts a correction ------------------------


def test_changing_the_response_deadline_setting_starts_no_correction(app, tmp_path, monkeypatch):
    from flask import current_app

    from qa_app.letters.models import Letter
    from qa_app.letters.operations import generate_letter

    data = make.on(app).letter_partnership()
    issued_id = _issued(app, data)
    with app.app_context():
        generate_letter(data.casework_id, data.cycle_id)
        db.session.commit()
        rubrics = tmp_path / "rubrics"
        shutil.copytree(current_app.config["RUBRICS_DIR"], rubrics)
    targets = rubrics / "targets.yaml"
    text = targets.read_text()
    assert "response_deadline_working_days: 20" in text
    targets.write_text(text.replace("response_deadline_working_days: 20",
                                    "response_deadline_working_days: 25"))
    monkeypatch.setitem(app.config, "RUBRICS_DIR", rubrics)
    with app.app_context():
        make.aggregate(data.cycle_id)  # the figures themselves are recounted, unchanged
        issued = generate_letter(data.health_id, data.cycle_id)
        draft = generate_letter(data.casework_id, data.cycle_id)
        db.session.commit()
        assert (issued.outcome, issued.letter_id, issued.version) == ("unchanged", issued_id, 1)
        versions = db.session.execute(select(Letter).where(
            Letter.agency_id == data.health_id)).scalars().all()
        assert len(versions) == 1
        assert draft.outcome == "updated" and draft.version == 1
        casework = db.session.get(Letter, draft.letter_id)
        assert casework.content["facts"]["response_working_days"] == 25
        assert casework.correction_note is None
