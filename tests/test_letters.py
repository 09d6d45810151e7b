"""Generating, editing, issuing and correcting letters; responses, due dates and overdue flags;
the rules for quoting auditors' notes; the `ehcp-qa letters` commands."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from qa_app.extensions import db
from tests import factories as make


@pytest.fixture(autouse=True)
def _jobs_run_in_this_app(app):
    """Eager jobs run in the app Celery was last bound to; another test may have built one."""
    from workers import celery_init_app

    celery_init_app(app)


def _user_id(app, email: str) -> int:
    from qa_app.auth.operations import find_user_by_email

    with app.app_context():
        return find_user_by_email(email).id


def _generate_all(app, data) -> dict[int, object]:
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import generate_letter

    with app.app_context():
        outcomes = {a: generate_letter(a, data.cycle_id)
                    for a in agencies_with_final_grades(data.cycle_id)}
        db.session.commit()
        return outcomes


def _issue(app, data, agency_id: int, day: date = date(2025, 12, 15)) -> int:
    from qa_app.letters.operations import issue_letter, latest_version

    chair_id = _user_id(app, data.chair_email)
    with app.app_context():
        letter = latest_version(agency_id, data.cycle_id)
        issue_letter(letter.id, actor_id=chair_id, today=day)
        db.session.commit()
        return letter.id


def test_one_draft_per_agency_with_final_grades(app):
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    outcomes = _generate_all(app, data)
    assert set(outcomes) == {data.casework_id, data.health_id, data.other_id}
    assert {o.outcome for o in outcomes.values()} == {"new"}
    with app.app_context():
        letters = db.session.execute(select(Letter)).scalars().all()
        assert {(lt.agency_id, lt.version, lt.status) for lt in letters} == {
            (data.casework_id, 1, "draft"), (data.health_id, 1, "draft"),
            (data.other_id, 1, "draft")}
        health = next(lt for lt in letters if lt.agency_id == data.health_id)
        assert health.reference == f"QA/{data.cycle_id}/{data.health_id}/v1"
        assert health.pdf.startswith(b"%PDF") and len(health.sha256) == 64
        assert "Community Paediatrics" in health.opening


def test_regenerating_with_unchanged_inputs_changes_nothing(app):
    from qa_app.audit_log import AuditLogEntry
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    with app.app_context():
        before = {lt.id: (lt.pdf, lt.sha256, lt.version)
                  for lt in db.session.execute(select(Letter)).scalars()}
        logged = db.session.scalar(select(func.count()).select_from(AuditLogEntry))
    again = _generate_all(app, data)
    assert {o.outcome for o in again.values()} == {"unchanged"}
    with app.app_context():
        after = {lt.id: (lt.pdf, lt.sha256, lt.version)
                 for lt in db.session.execute(select(Letter)).scalars()}
        assert after == before
        assert db.session.scalar(select(func.count()).select_from(AuditLogEntry)) == logged


def test_new_rates_update_a_draft_in_place_and_keep_the_chairs_words(app):
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import edit_draft, generate_letter

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    chair_id = _user_id(app, data.chair_email)
    with app.app_context():
        letter = db.session.execute(select(Letter).where(
            Letter.agency_id == data.health_id)).scalar_one()
        edit_draft(letter.id, actor_id=chair_id, opening="Our own opening.",
                   strengths=letter.strengths, areas=letter.areas_for_development)
        db.session.commit()
        old_sha = letter.sha256
        make.regrade(data.health_grade_ids[0], 3)
        make.aggregate(data.cycle_id)
        outcome = generate_letter(data.health_id, data.cycle_id)
        db.session.commit()
        assert outcome.outcome == "updated" and outcome.version == 1
        db.session.refresh(letter)
        assert letter.opening == "Our own opening." and letter.sha256 != old_sha
        figures = letter.content["facts"]["figures"]
        assert figures[0]["label"] == "Advice rated good or better"
        assert (figures[0]["current"]["n"], figures[0]["current"]["good"]) == (4, 4)


def test_issue_freezes_bytes_and_sets_a_due_date_in_english_working_days(app):
    from qa_app.letters.models import Letter, LetterResponse

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    letter_id = _issue(app, data, data.health_id, date(2025, 12, 15))
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.status == "issued" and letter.letter_date == date(2025, 12, 15)
        import hashlib

        assert hashlib.sha256(letter.pdf).hexdigest() == letter.sha256
        response = db.session.execute(select(LetterResponse)).scalar_one()
        # 20 working days, skipping Christmas Day, Boxing Day and New Year's Day
        assert response.due_date == date(2026, 1, 15)
        assert letter.content["due_date"] == "2026-01-15"
        assert letter.content["draft"] is False


def test_an_issued_letter_cannot_be_changed(app):
    from qa_app.letters.models import IssuedLetterError, Letter
    from qa_app.letters.operations import LetterError, edit_draft, issue_letter

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    letter_id = _issue(app, data, data.health_id)
    chair_id = _user_id(app, data.chair_email)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        pdf, sha = letter.pdf, letter.sha256
        with pytest.raises(LetterError, match="issued and cannot be changed"):
            edit_draft(letter_id, actor_id=chair_id, opening="x", strengths="y", areas="z")
        with pytest.raises(LetterError):
            issue_letter(letter_id, actor_id=chair_id)
        db.session.rollback()
        letter = db.session.get(Letter, letter_id)
        letter.opening = "Changed behind the service's back"
        with pytest.raises(IssuedLetterError):
            db.session.flush()
        db.session.rollback()
        letter = db.session.get(Letter, letter_id)
        letter.status = "draft"
        with pytest.raises(IssuedLetterError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(Letter, letter_id))
        with pytest.raises(IssuedLetterError):
            db.session.flush()
        db.session.rollback()
        letter = db.session.get(Letter, letter_id)
        assert (letter.pdf, letter.sha256, letter.status) == (pdf, sha, "issued")


def test_changed_figures_after_issue_start_a_correction_that_says_so(app):
    from qa_app.letters.models import Letter

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    first = _issue(app, data, data.health_id)
    with app.app_context():
        original = db.session.get(Letter, first).pdf
        make.regrade(data.health_grade_ids[1], 2)
        make.aggregate(data.cycle_id)
    outcomes = _generate_all(app, data)
    assert outcomes[data.health_id].outcome == "correction"
    assert outcomes[data.health_id].version == 2
    second = _issue(app, data, data.health_id, date(2026, 1, 5))
    with app.app_context():
        old, new = db.session.get(Letter, first), db.session.get(Letter, second)
        assert old.pdf == original and old.status == "issued"
        assert new.supersedes_id == old.id and new.reference.endswith("/v2")
        assert "corrects version 1" in new.correction_note
        assert "15 December 2025" in new.correction_note
    assert _generate_all(app, data)[data.health_id].outcome == "unchanged"


def test_chair_starts_a_correction_and_only_this_cycles_chair_may_issue(app):
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import LetterError, issue_letter, start_correction

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    first = _issue(app, data, data.health_id)
    other_chair = make.on(app).user("panel_chair")
    chair_id = _user_id(app, data.chair_email)
    with app.app_context():
        with pytest.raises(LetterError, match="chair of one of this cycle's panels"):
            start_correction(first, actor_id=other_chair.id, reason="Wrong")
        with pytest.raises(LetterError, match="say what the correction changes"):
            start_correction(first, actor_id=chair_id, reason="  ")
        draft = start_correction(first, actor_id=chair_id, reason="One grade was moderated.")
        db.session.commit()
        assert draft.version == 2 and "One grade was moderated." in draft.correction_note
        with pytest.raises(LetterError, match="already replaces"):
            start_correction(first, actor_id=chair_id, reason="Again")
        with pytest.raises(LetterError, match="chair of one of this cycle's panels"):
            issue_letter(draft.id, actor_id=other_chair.id)
        db.session.rollback()
        assert db.session.get(Letter, draft.id).status == "draft"


def test_response_flow_with_late_flag_and_board_date(app):
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import LetterError, mark_presented
    from qa_app.letters.queries import status_of
    from qa_app.letters.responses import ChangeRow, submit_response

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    letter_id = _issue(app, data, data.health_id, date(2025, 12, 15))
    lead = _user_id(app, data.health_lead_email)
    other_lead = _user_id(app, data.other_lead_email)
    manager = _user_id(app, data.manager_email)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert status_of(letter, date(2025, 12, 16)).key == "issued"
        assert status_of(letter, date(2026, 1, 12)).key == "due"
        assert status_of(letter, date(2026, 1, 16)).key == "late"
        from qa_app.letters.queries import overdue_responses

        assert overdue_responses(date(2026, 1, 15)) == []
        assert overdue_responses(date(2026, 1, 16)) == [
            ("Community Paediatrics", letter.reference, date(2026, 1, 15))]
        with pytest.raises(LetterError, match="lead of the agency"):
            submit_response(letter_id, actor_id=other_lead,
                            rows=[ChangeRow("x", "y", date(2026, 6, 1))])
        with pytest.raises(LetterError, match="only once it is received"):
            mark_presented(letter_id, actor_id=manager, presented_on=date(2026, 1, 20))
        response = submit_response(
            letter_id, actor_id=lead, now=datetime(2026, 1, 19, 10, 0),
            rows=[ChangeRow("Rewrite outcomes.", "Head of Service", date(2026, 6, 1))])
        db.session.commit()
        assert response.submitted_late
        from qa_app.letters.queries import overdue_responses

        assert overdue_responses(date(2026, 1, 20)) == []
        assert status_of(letter, date(2026, 1, 20)).words == "Response received (late)"
        with pytest.raises(LetterError, match="already submitted"):
            submit_response(letter_id, actor_id=lead, rows=[ChangeRow("Again", "y",
                                                                      date(2026, 6, 1))])
        with pytest.raises(LetterError, match="future"):
            mark_presented(letter_id, actor_id=manager, presented_on=date(2026, 3, 1),
                           today=date(2026, 2, 1))
        with pytest.raises(LetterError, match="before the response was received"):
            mark_presented(letter_id, actor_id=manager, presented_on=date(2026, 1, 2),
                           today=date(2026, 2, 1))
        mark_presented(letter_id, actor_id=manager, presented_on=date(2026, 1, 28),
                       today=date(2026, 2, 1))
        db.session.commit()
        assert status_of(letter, date(2026, 2, 1)).key == "presented"
        actions = db.session.execute(text(
            "SELECT action FROM audit_log WHERE action LIKE 'letter.%' ORDER BY id")).scalars()
        assert list(actions)[-3:] == ["letter.issue", "letter.respond", "letter.present"]


def test_a_response_on_time_is_not_flagged(app):
    from qa_app.letters.responses import ChangeRow, submit_response

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    letter_id = _issue(app, data, data.health_id, date(2025, 12, 15))
    with app.app_context():
        response = submit_response(letter_id, actor_id=_user_id(app, data.health_lead_email),
                                   rows=[ChangeRow("x", "y", date(2026, 6, 1))],
                                   now=datetime(2026, 1, 15, 17, 0))
        assert not response.submitted_late


def test_board_pack_gathers_figures_and_responses(app):
    from qa_app.audits.cycles.models import Cycle
    from qa_app.letters.queries import board_pack
    from qa_app.letters.responses import ChangeRow, submit_response

    data = make.on(app).letter_partnership()
    _generate_all(app, data)
    letter_id = _issue(app, data, data.health_id, date(2025, 12, 15))
    with app.app_context():
        submit_response(letter_id, actor_id=_user_id(app, data.health_lead_email),
                        rows=[ChangeRow("Rewrite outcomes.", "Head of Service",
                                        date(2026, 6, 1))], now=datetime(2026, 1, 10))
        db.session.commit()
        pack = board_pack(db.session.get(Cycle, data.cycle_id), date(2026, 1, 12))
    by_agency = {e.agency_name: e for e in pack.entries}
    assert set(by_agency) == {"Community Paediatrics", "Educational Psychology Service",
                              "SEND Casework Team"}
    health = by_agency["Community Paediatrics"]
    assert [p.change for p in health.response.planned] == ["Rewrite outcomes."]
    assert not health.response.late
    assert health.figures[0].current.good == 3
    assert by_agency["SEND Casework Team"].response.status == "Letter not yet issued"


def test_generation_needs_the_cycles_rates(app):
    from qa_app.audits.cycles.models import Cycle
    from qa_app.letters.operations import LetterError, check_rates_ready

    with app.app_context():
        cycle = Cycle(name="Spring term 2026", start_date=date(2026, 1, 5),
                      end_date=date(2026, 3, 27), academic_year="2025/26")
        db.session.add(cycle)
        db.session.flush()
        with pytest.raises(LetterError, match="ehcp-qa aggregate --cycle"):
            check_rates_ready(cycle)


@pytest.mark.parametrize("note", [
    "Sam's views are missing from section A.",
    "Seen by Mrs Jones at the clinic.",
    "Reviewed on 12/03/2025 with the family.",
    "Assessment dated 3 March 2025 is out of date.",
    "NHS number 943 476 5919 recorded on the front page.",
    "Family contact: parent@example.org.",
    "Lives near SW1A 1AA so travel was a barrier.",
    "The child (born in 2015) was not seen.",
])
def test_notes_that_could_identify_a_child_are_never_quoted(note):
    from qa_app.letters.evidence import known_terms, usable_excerpt

    assert usable_excerpt(note, known_terms(["Community Paediatrics"])) is None


def test_plain_notes_are_quoted_and_long_ones_shortened():
    from qa_app.letters.evidence import MAX_EXCERPT, known_terms, usable_excerpt

    terms = known_terms(["Community Paediatrics", "Outcomes are specific"])
    assert usable_excerpt("Outcomes rely on the EHCP Section F wording.", terms) == \
        "Outcomes rely on the EHCP Section F wording."
    assert usable_excerpt("Advice from Community Paediatrics is clear. Needs met.", terms)
    long = usable_excerpt("outcomes " * 600, terms)
    assert long is not None and len(long) <= MAX_EXCERPT and long.endswith("…")


def test_working_days_skip_weekends_and_english_bank_holidays():
    from qa_app.letters.working_days import add_working_days, working_days_between

    assert add_working_days(date(2025, 12, 15), 20) == date(2026, 1, 15)
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Good Friday, Easter Monday
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert working_days_between(date(2025, 12, 15), date(2026, 1, 15)) == 20
    assert working_days_between(date(2026, 1, 15), date(2025, 12, 15)) == -20


def test_cli_generates_lists_issues_and_verifies(app, runner):
    data = make.on(app).letter_partnership()
    result = runner.invoke(["letters", "generate", "--cycle", "Autumn term 2025"])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output and "Community Paediatrics" in result.output
    again = runner.invoke(["letters", "generate", "--cycle", "Autumn term 2025"])
    assert "3 unchanged" in again.output
    from qa_app.letters.operations import latest_version

    with app.app_context():
        letter_id = latest_version(data.health_id, data.cycle_id).id
    declined = runner.invoke(["letters", "issue", str(letter_id), "--chair", data.chair_email],
                             input="n\n")
    assert declined.exit_code != 0 and "makes it permanent" in declined.output
    assert "not issued" in declined.output
    from qa_app.letters.models import Letter

    with app.app_context():
        assert db.session.get(Letter, letter_id).status == "draft"
    issued = runner.invoke(["letters", "issue", str(letter_id), "--chair", data.chair_email],
                           input="y\n")
    assert issued.exit_code == 0, issued.output
    assert "Issued QA/" in issued.output and "response due" in issued.output
    listing = runner.invoke(["letters", "list", "--cycle", "Autumn term 2025"])
    assert "Issued: response not yet due" in listing.output or "Response" in listing.output
    assert runner.invoke(["letters", "verify"]).output.startswith("All 1 issued letters")
    with app.app_context():
        db.session.execute(text("UPDATE letters SET pdf = :pdf WHERE id = :id"),
                           {"pdf": b"%PDF-tampered", "id": letter_id})
        db.session.commit()
    broken = runner.invoke(["letters", "verify"])
    assert broken.exit_code != 0 and "fail their integrity check" in broken.output


def test_cli_refuses_clearly_without_rates_or_cycle(app, runner):
    result = runner.invoke(["letters", "generate", "--cycle", "No such cycle"])
    assert result.exit_code != 0 and "no audit cycle called 'No such cycle'" in result.output
    with app.app_context():
        from qa_app.audits.cycles.models import Cycle

        db.session.add(Cycle(name="Spring term 2026", start_date=date(2026, 1, 5),
                             end_date=date(2026, 3, 27), academic_year="2025/26"))
        db.session.commit()
    result = runner.invoke(["letters", "generate", "--cycle", "Spring term 2026"])
    assert result.exit_code != 0 and "have not been computed yet" in result.output
    assert "Traceback" not in result.output
