"""Email reminders: each kind goes once, on the day it becomes due (not before, not again),
to active people who have not turned it off (required kinds always go), as one digest per
person and kind; a dry run writes nothing; the weekly summary's figures match a recount."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.letters.models import Letter, LetterResponse
from qa_app.mail.models import OutboxMessage
from qa_app.register.models import Advice, Plan
from qa_app.reminders.models import ReminderOptOut, ReminderSent
from qa_app.reporting.models import ImprovementAction
from tests import factories as make

MEETING = date(2027, 1, 20)
RESPONSE_DUE = date(2027, 2, 12)  # a Friday; no bank holiday in the week before


def send(app: Flask, runner, day: date, *extra: str) -> Counter[tuple[str, str]]:
    """Run `reminders send --today day` and return the emails it wrote, by (to, kind)."""
    with app.app_context():
        before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    result = runner.invoke(["reminders", "send", "--today", day.isoformat(), *extra])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.to, OutboxMessage.kind).where(OutboxMessage.id > before)).all()
    return Counter((to, kind.removeprefix("reminder_")) for to, kind in rows)


def of_kind(sent: Counter[tuple[str, str]], kind: str) -> Counter[str]:
    return Counter({to: n for (to, k), n in sent.items() if k == kind})


def bodies(app: Flask, kind: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.body)
                                       .where(OutboxMessage.kind == f"reminder_{kind}")
                                       .order_by(OutboxMessage.id)))


# --- scenes ------------------------------------------------------------------------------


def _panel_scene(meeting: date | None = MEETING, assigned_on: date = date(2027, 1, 5)):
    """A world with its panel assigned (two auditors per subject) and a meeting date."""
    world = make.panel_world(plans=2, advice=False)
    panel = make.panel(world, members=["ep1", "health1", "social1"])
    panel.meeting_date = meeting
    db.session.execute(update(Audit).where(Audit.panel_id == panel.id).values(
        created_at=datetime.combine(assigned_on, datetime.min.time())))
    db.session.flush()
    return world, panel.id


def _without_weekly_summaries() -> None:
    """The world's managers turn the weekly summary off (it is due on any day of a week whose
    summary has not gone), so that a scene's runs send only the kinds under test."""
    managers = db.session.scalars(select(User.id).where(User.role == "qi_manager"))
    db.session.add_all(ReminderOptOut(user_id=uid, kind="weekly_summary") for uid in managers)
    db.session.flush()


@pytest.fixture()
def scene(app: Flask):
    with app.app_context():
        world, panel_id = _panel_scene()
        _without_weekly_summaries()
        db.session.commit()
        audits = db.session.execute(select(Audit.auditor_id, func.count())
                                    .where(Audit.panel_id == panel_id)
                                    .group_by(Audit.auditor_id)).all()
        emails = {db.session.get(User, uid).email: n for uid, n in audits}
    return world, panel_id, emails


def _letter(agency_id: int, cycle_id: int, issued_on: date, due: date) -> int:
    letter = Letter(agency_id=agency_id, cycle_id=cycle_id, version=1, status="issued",
                    reference="QA-LETTER-1", pdf=b"%PDF-1.4", sha256="0" * 64,
                    issued_at=datetime.combine(issued_on, datetime.min.time()))
    db.session.add(letter)
    db.session.flush()
    db.session.add(LetterResponse(letter_id=letter.id, due_date=due))
    db.session.flush()
    return letter.id


@pytest.fixture()
def letter_scene(app: Flask):
    """An open cycle's letter to Community Paediatrics, issued on 11 January, response due on
    RESPONSE_DUE; the agency has two leads."""
    with app.app_context():
        world = make.panel_world(plans=1, advice=False)
        agency_id = world.agencies["Community Paediatrics"]
        leads = [make.person("agency_lead", agency_id) for _ in range(2)]
        letter_id = _letter(agency_id, world.cycle_id, date(2027, 1, 11), RESPONSE_DUE)
        _without_weekly_summaries()
        db.session.commit()
        return world, letter_id, [lead.email for lead in leads]


# --- each kind: once, on its day ------------------------------------------------------------


def test_audits_assigned_goes_once_to_each_auditor_as_one_digest(app, runner, scene):
    _, _, emails = scene
    assert not of_kind(send(app, runner, date(2027, 1, 4)), "audits_assigned")
    sent = of_kind(send(app, runner, date(2027, 1, 5)), "audits_assigned")
    assert sent == Counter({email: 1 for email in emails})  # one email however many audits
    assert not of_kind(send(app, runner, date(2027, 1, 6)), "audits_assigned")
    body = next(b for b in bodies(app, "audits_assigned"))
    assert "Autumn panel" in body and "meeting on 20 January 2027" in body


def test_audit_digest_counts_the_auditors_audits(app, runner, scene):
    _, _, emails = scene
    send(app, runner, date(2027, 1, 5))
    with app.app_context():
        for email, count in emails.items():
            body = db.session.scalar(select(OutboxMessage.body).where(
                OutboxMessage.to == email, OutboxMessage.kind == "reminder_audits_assigned"))
            noun = "audit" if count == 1 else "audits"
            assert f"- {count} {noun}: Autumn panel" in body


def test_audits_due_soon_goes_seven_days_before_the_meeting(app, runner, scene):
    _, _, emails = scene
    send(app, runner, date(2027, 1, 5))  # the assignment emails, out of the way
    assert not of_kind(send(app, runner, date(2027, 1, 12)), "audits_due")
    assert of_kind(send(app, runner, date(2027, 1, 13)), "audits_due") == Counter(
        {email: 1 for email in emails})
    assert not of_kind(send(app, runner, date(2027, 1, 14)), "audits_due")
    assert not of_kind(send(app, runner, MEETING), "audits_due")


def test_audits_overdue_goes_the_day_after_the_meeting_for_unsubmitted_audits(
        app, runner, scene):
    _, panel_id, emails = scene
    with app.app_context():  # one auditor submits everything before the meeting
        done_by = db.session.scalar(select(Audit.auditor_id).where(Audit.panel_id == panel_id)
                                    .order_by(Audit.id).limit(1))
        done_email = db.session.get(User, done_by).email
        db.session.execute(update(Audit).where(Audit.auditor_id == done_by)
                           .values(status="submitted", submitted_at=datetime(2027, 1, 19)))
        db.session.commit()
    assert not of_kind(send(app, runner, MEETING), "audits_overdue")
    sent = of_kind(send(app, runner, date(2027, 1, 21)), "audits_overdue")
    assert sent == Counter({email: 1 for email in emails if email != done_email})
    assert not of_kind(send(app, runner, date(2027, 1, 22)), "audits_overdue")


def test_moderation_waiting_goes_to_the_chair_when_a_subjects_audits_are_all_in(
        app, runner, scene):
    from qa_app.main.queries import moderation_queues

    world, panel_id, _ = scene
    with app.app_context():
        subject = db.session.scalar(select(Audit.plan_id).where(Audit.panel_id == panel_id)
                                    .order_by(Audit.id).limit(1))
        db.session.execute(update(Audit).where(Audit.panel_id == panel_id,
                                               Audit.plan_id == subject)
                           .values(status="submitted", submitted_at=datetime(2027, 1, 10, 15)))
        db.session.commit()
        ready = sum(q.ready for q in moderation_queues(world.users["chair"]))
    assert ready == 1
    chair = world.emails["chair"]
    assert not of_kind(send(app, runner, date(2027, 1, 9)), "moderation_waiting")
    assert of_kind(send(app, runner, date(2027, 1, 10)), "moderation_waiting") == Counter(
        {chair: 1})
    assert not of_kind(send(app, runner, date(2027, 1, 11)), "moderation_waiting")
    (body,) = bodies(app, "moderation_waiting")
    assert "1 subject: Autumn panel" in body


def test_letter_issued_goes_to_every_lead_of_the_agency_once(app, runner, letter_scene):
    _, _, leads = letter_scene
    assert not of_kind(send(app, runner, date(2027, 1, 10)), "letter_issued")
    assert of_kind(send(app, runner, date(2027, 1, 11)), "letter_issued") == Counter(
        {lead: 1 for lead in leads})
    assert not of_kind(send(app, runner, date(2027, 1, 12)), "letter_issued")
    assert "response due by 12 February 2027" in bodies(app, "letter_issued")[0]


def test_response_due_soon_goes_five_working_days_before_the_due_date(app, runner,
                                                                      letter_scene):
    from qa_app.letters.queries import status_of

    _, letter_id, leads = letter_scene
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert status_of(letter, date(2027, 2, 4)).key == "issued"
        assert status_of(letter, date(2027, 2, 5)).key == "due"
    send(app, runner, date(2027, 1, 11))
    assert not of_kind(send(app, runner, date(2027, 2, 4)), "response_due")
    assert of_kind(send(app, runner, date(2027, 2, 5)), "response_due") == Counter(
        {lead: 1 for lead in leads})
    assert not of_kind(send(app, runner, date(2027, 2, 8)), "response_due")


def test_response_overdue_goes_the_day_after_the_due_date_and_not_once_sent(
        app, runner, letter_scene):
    _, letter_id, leads = letter_scene
    assert not of_kind(send(app, runner, RESPONSE_DUE), "response_overdue")
    assert of_kind(send(app, runner, date(2027, 2, 13)), "response_overdue") == Counter(
        {lead: 1 for lead in leads})
    assert not of_kind(send(app, runner, date(2027, 2, 14)), "response_overdue")
    with app.app_context():  # the response arrives: nothing more, even for a new threshold
        db.session.execute(update(LetterResponse).where(LetterResponse.letter_id == letter_id)
                           .values(submitted_at=datetime(2027, 2, 15, 9)))
        db.session.commit()
    assert not send(app, runner, date(2027, 2, 16))


def test_a_letter_first_seen_when_late_gets_only_the_overdue_reminder(app, runner,
                                                                     letter_scene):
    """The milder "issued" reminder is folded into the overdue one and never follows."""
    _, _, leads = letter_scene
    sent = send(app, runner, date(2027, 2, 16))
    assert sent == Counter({(lead, "response_overdue"): 1 for lead in leads})
    assert not send(app, runner, date(2027, 2, 17))
    with app.app_context():
        recorded = Counter(db.session.scalars(select(ReminderSent.kind)))
    assert recorded == Counter({"response_overdue": 2, "letter_issued": 2})


def _action(agency_id: int, owner_id: int | None, due: date | None) -> int:
    row = ImprovementAction(agency_id=agency_id, measure="advice_on_time", scope="all",
                            academic_year="2026/27", status="open",
                            reason="Advice from this agency was late in two terms.")
    row.owner_id = owner_id
    row.due_date = due
    db.session.add(row)
    db.session.flush()
    return row.id


def test_action_assigned_goes_to_its_owner_once_it_has_one(app, runner):
    with app.app_context():
        health = make.agency("Community Paediatrics", "health")
        lead = make.person("agency_lead", health.id)
        action_id = _action(health.id, None, date(2027, 3, 1))
        db.session.commit()
        email, lead_id = lead.email, lead.id
    assert not of_kind(send(app, runner, date(2027, 1, 5)), "action_assigned")
    with app.app_context():
        db.session.get(ImprovementAction, action_id).owner_id = lead_id
        db.session.commit()
    assert of_kind(send(app, runner, date(2027, 1, 6)), "action_assigned") == Counter(
        {email: 1})
    assert not of_kind(send(app, runner, date(2027, 1, 7)), "action_assigned")
    (body,) = bodies(app, "action_assigned")
    assert "Advice received on time (All), Community Paediatrics, 2026/27" in body
    assert "due by 1 March 2027" in body


def test_action_overdue_goes_the_day_after_its_due_date_while_open(app, runner):
    with app.app_context():
        health = make.agency("Community Paediatrics", "health")
        lead = make.person("agency_lead", health.id)
        _action(health.id, lead.id, date(2027, 3, 1))
        closing = _action(make.agency("Other", "education").id, lead.id, date(2027, 3, 1))
        db.session.get(ImprovementAction, closing).status = "closing"
        db.session.commit()
        email = lead.email
    assert not of_kind(send(app, runner, date(2027, 3, 1)), "action_overdue")
    assert of_kind(send(app, runner, date(2027, 3, 2)), "action_overdue") == Counter({email: 1})
    assert not of_kind(send(app, runner, date(2027, 3, 3)), "action_overdue")
    (body,) = bodies(app, "action_overdue")
    assert "1 improvement action " in body


@pytest.fixture()
def managers(app: Flask) -> list[str]:
    with app.app_context():
        emails = [make.person("qi_manager").email for _ in range(2)]
        make.person("admin")
        db.session.commit()
    return emails


def test_weekly_summary_goes_to_each_manager_on_monday_once_a_week(app, runner, managers):
    assert of_kind(send(app, runner, date(2027, 1, 11)), "weekly_summary") == Counter(
        {m: 1 for m in managers})
    assert not send(app, runner, date(2027, 1, 12))
    assert not send(app, runner, date(2027, 1, 11))  # the same Monday again
    assert not send(app, runner, date(2027, 1, 17))  # Sunday: still the same week
    assert of_kind(send(app, runner, date(2027, 1, 18)), "weekly_summary") == Counter(
        {m: 1 for m in managers})
    with app.app_context():
        subjects = set(db.session.scalars(select(OutboxMessage.subject)))
    assert subjects == {"Weekly summary for 11 January 2027", "Weekly summary for 18 January 2027"}


def test_a_missed_monday_summary_goes_on_the_next_run_of_the_week(app, runner, managers):
    """No run on Monday 11 January (a worker down): Tuesday's run sends that week's summary,
    Wednesday's sends nothing more, and the next Monday sends the next week's."""
    assert of_kind(send(app, runner, date(2027, 1, 12)), "weekly_summary") == Counter(
        {m: 1 for m in managers})
    assert not send(app, runner, date(2027, 1, 13))
    assert of_kind(send(app, runner, date(2027, 1, 18)), "weekly_summary") == Counter(
        {m: 1 for m in managers})
    with app.app_context():
        weeks = Counter(db.session.execute(select(ReminderSent.item_key, ReminderSent.for_day)))
    assert weeks == Counter({("week:2027-W02", date(2027, 1, 12)): 2,
                             ("week:2027-W03", date(2027, 1, 18)): 2})
    assert "Where the partnership's quality assurance stands on 12 January 2027" in bodies(
        app, "weekly_summary")[0]


def test_a_dry_run_after_a_missed_monday_sends_and_records_nothing(app, runner, managers):
    result = runner.invoke(["reminders", "send", "--today", "2027-01-12", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "weekly_summary" in result.output and "nothing was sent or recorded" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 0
    assert of_kind(send(app, runner, date(2027, 1, 13)), "weekly_summary") == Counter(
        {m: 1 for m in managers})


# --- who gets what ----------------------------------------------------------------------


def test_turned_off_kinds_are_not_sent_and_required_ones_still_are(app, runner, client,
                                                                   letter_scene):
    _, _, (lead, other_lead) = letter_scene
    make.sign_in(client, lead)
    page = client.get("/account/reminders/").get_data(as_text=True)
    assert "Formal response overdue" in page  # listed as always sent
    response = client.post("/account/reminders/", data={
        "csrf_token": make.csrf_token(client, "/account/reminders/"),
        "wanted": ["response_due", "action_assigned"],  # letter_issued left unticked
    }, follow_redirects=True)
    assert "Your reminder choices are saved." in response.get_data(as_text=True)
    # A forged post cannot turn a required kind off.
    client.post("/account/reminders/", data={
        "csrf_token": make.csrf_token(client, "/account/reminders/"),
        "wanted": ["response_due", "action_assigned", "response_overdue"]})
    with app.app_context():
        assert set(db.session.scalars(select(ReminderOptOut.kind).where(
            ReminderOptOut.kind != "weekly_summary"))) == {"letter_issued"}

    assert of_kind(send(app, runner, date(2027, 1, 11)), "letter_issued") == Counter(
        {other_lead: 1})
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == lead))
        db.session.add(ReminderOptOut(user_id=user_id, kind="response_overdue"))
        db.session.commit()
    assert of_kind(send(app, runner, date(2027, 2, 13)), "response_overdue") == Counter(
        {lead: 1, other_lead: 1})


def test_turning_a_reminder_back_on_sends_it_from_then_and_logs_the_change(
        app, runner, client, letter_scene):
    _, _, (lead, _) = letter_scene
    make.sign_in(client, lead)
    token = make.csrf_token(client, "/account/reminders/")
    client.post("/account/reminders/", data={"csrf_token": token, "wanted": []})
    assert (lead, "letter_issued") not in send(app, runner, date(2027, 1, 11))
    client.post("/account/reminders/", data={"csrf_token": token, "wanted": [
        "letter_issued", "response_due", "action_assigned"]})
    assert (lead, "letter_issued") in send(app, runner, date(2027, 1, 12))
    entries = make.log_entries(app, "reminders.choose")
    assert [e.changes for e in entries] == [
        {"turned_on": [], "turned_off": ["Feedback letter issued to your agency",
                                         "Formal response due soon",
                                         "Improvement action given to you"]},
        {"turned_on": ["Feedback letter issued to your agency", "Formal response due soon",
                       "Improvement action given to you"], "turned_off": []},
    ]


def test_inactive_people_get_nothing(app, runner, letter_scene):
    _, _, (lead, other_lead) = letter_scene
    with app.app_context():
        db.session.execute(update(User).where(User.email == lead).values(active=False))
        db.session.commit()
    sent = send(app, runner, date(2027, 2, 13))
    assert {to for to, _ in sent} == {other_lead}


def test_dry_run_prints_who_would_get_what_and_writes_nothing(app, runner, scene):
    _, _, emails = scene
    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(OutboxMessage)),
                  db.session.scalar(select(func.count()).select_from(ReminderSent)))
    result = runner.invoke(["reminders", "send", "--today", "2027-01-13", "--dry-run"])
    assert result.exit_code == 0, result.output
    for email in emails:
        assert email in result.output
    assert "audits_due" in result.output and "nothing was sent or recorded" in result.output
    with app.app_context():
        after = (db.session.scalar(select(func.count()).select_from(OutboxMessage)),
                 db.session.scalar(select(func.count()).select_from(ReminderSent)))
    assert after == before == (0, 0)
    assert of_kind(send(app, runner, date(2027, 1, 13)), "audits_due") == Counter(
        {email: 1 for email in emails})


def test_a_bad_date_is_refused_with_a_message(runner, app):
    result = runner.invoke(["reminders", "send", "--today", "12/01/2027"])
    assert result.exit_code != 0
    assert "is not a date: use YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output


def test_each_reminder_is_recorded_with_its_outbox_message(app, runner, scene):
    send(app, runner, date(2027, 1, 5))
    with app.app_context():
        rows = db.session.execute(select(ReminderSent.kind, ReminderSent.outbox_message_id,
                                         OutboxMessage.user_id, ReminderSent.user_id)
                                  .join(OutboxMessage,
                                        OutboxMessage.id == ReminderSent.outbox_message_id)
                                  ).all()
        audits = db.session.scalar(select(func.count()).select_from(Audit))
    assert len(rows) == audits  # one row per audit, several rows per email
    assert all(kind == "audits_assigned" and a == b for kind, _, a, b in rows)


# --- the weekly summary's figures ----------------------------------------------------------


def test_weekly_summary_figures_match_a_plain_recount(app, runner):
    from qa_app.jobs.models import JobRun
    from qa_app.letters.queries import status_of
    from qa_app.main.queries import moderation_queues

    monday = date(2027, 2, 15)
    with app.app_context():
        world, panel_id = _panel_scene()
        first = db.session.scalar(select(Audit.plan_id).where(Audit.panel_id == panel_id)
                                  .order_by(Audit.id).limit(1))
        db.session.execute(update(Audit).where(Audit.plan_id == first).values(
            status="submitted", submitted_at=datetime(2027, 1, 10)))
        agency_id = world.agencies["Community Paediatrics"]
        lead = make.person("agency_lead", agency_id)
        _letter(agency_id, world.cycle_id, date(2027, 1, 11), date(2027, 2, 12))  # late
        _letter(world.agencies["Children's Social Care"], world.cycle_id, date(2027, 2, 1),
                date(2027, 3, 1))
        _action(agency_id, lead.id, date(2027, 2, 1))
        _action(world.agencies["SEND Casework Team"], lead.id, date(2027, 3, 1))
        db.session.add_all([JobRun(job="aggregate", status="failed", params={}),
                            JobRun(job="aggregate", status="done", params={})])
        db.session.commit()

        audits = db.session.scalars(select(Audit)).all()
        outstanding = sum(1 for a in audits if a.source == "panel" and a.status != "submitted")
        waiting = sum(q.ready for q in moderation_queues(world.users["chair"]))
        letters = db.session.scalars(select(Letter)).all()
        statuses = [status_of(letter, monday).key for letter in letters]
        awaiting = sum(1 for s in statuses if s in {"issued", "due", "late"})
        late = statuses.count("late")
        actions = db.session.scalars(select(ImprovementAction)).all()
        overdue = sum(1 for a in actions if a.status == "open" and a.due_date < monday)
        failed = sum(1 for j in db.session.scalars(select(JobRun)) if j.status == "failed")

    assert (outstanding, waiting, awaiting, late, overdue, failed) == (2, 1, 2, 1, 1, 1)
    send(app, runner, monday)
    (body,) = bodies(app, "weekly_summary")
    assert f"Audits not yet submitted in open cycles: {outstanding}\n" in body
    assert f"Subjects waiting for moderation: {waiting}\n" in body
    assert f"Feedback letters waiting for a response: {awaiting}\n" in body
    assert f"Of those, responses late: {late}\n" in body
    assert f"Improvement actions overdue: {overdue}\n" in body
    assert f"Background jobs that failed: {failed}\n" in body


# --- what an email may say ---------------------------------------------------------------


def test_no_reminder_names_a_plan_or_advice_or_gives_a_grade(app, runner):
    with app.app_context():
        world, panel_id = _panel_scene(meeting=date(2027, 1, 20))
        make.advice(world.plan_ids[0], world.agencies["Community Paediatrics"])
        first = db.session.scalar(select(Audit.plan_id).where(Audit.panel_id == panel_id)
                                  .order_by(Audit.id).limit(1))
        db.session.execute(update(Audit).where(Audit.plan_id == first).values(
            status="submitted", submitted_at=datetime(2027, 1, 10), computed_grade=3))
        agency_id = world.agencies["Community Paediatrics"]
        lead = make.person("agency_lead", agency_id)
        _letter(agency_id, world.cycle_id, date(2027, 1, 11), date(2027, 2, 12))
        _action(agency_id, lead.id, date(2027, 2, 1))
        db.session.commit()
    for day in (date(2027, 1, 11), date(2027, 1, 13), date(2027, 2, 8), date(2027, 2, 15)):
        send(app, runner, day)
    with app.app_context():
        messages = db.session.execute(select(OutboxMessage.kind, OutboxMessage.subject,
                                             OutboxMessage.body)).all()
        refs = set(db.session.scalars(select(Plan.ref))) | set(
            db.session.scalars(select(Advice.ref)))
    kinds = {kind for kind, _, _ in messages}
    assert {"reminder_audits_assigned", "reminder_audits_due", "reminder_audits_overdue",
            "reminder_moderation_waiting", "reminder_letter_issued", "reminder_response_due",
            "reminder_response_overdue", "reminder_action_assigned",
            "reminder_action_overdue", "reminder_weekly_summary"} <= kinds
    assert refs
    for _, subject, body in messages:
        text = f"{subject}\n{body}"
        assert not [ref for ref in refs if ref in text]
        for word in ("Good", "Outstanding", "Inadequate", "Requires improvement", "grade"):
            assert word not in text


# --- a real mail server ------------------------------------------------------------------


def test_a_reminder_arrives_at_a_real_smtp_server(app, runner, letter_scene, mail_to_smtp):
    _, _, leads = letter_scene
    sent = send(app, runner, date(2027, 1, 11))
    assert of_kind(sent, "letter_issued") == Counter({lead: 1 for lead in leads})
    messages = mail_to_smtp.wait_for(2)
    assert sorted(m["To"] for m in messages) == sorted(leads)
    message = messages[0]
    assert message["Subject"] == "A feedback letter has been issued to your agency"
    body = message.get_content()
    assert "Community Paediatrics: response due by 12 February 2027" in body
    assert "/letters/" in body and "/account/reminders/" in body
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}


# --- the schedule ------------------------------------------------------------------------


def test_the_daily_run_is_on_the_schedule_and_sends_like_the_command(app, scene):
    from qa_app.jobs.schedule import beat_schedule
    from qa_app.reminders.tasks import send_reminders

    entry = beat_schedule(app)["send-reminders"]
    assert entry["task"] == "workers.tasks.send_reminders"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}
    _, _, emails = scene
    with app.app_context():
        result = send_reminders.apply(args=("2027-01-05",)).get()
    assert result == {"as_of": "2027-01-05", "sent": len(emails), "not_sent": 0}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == len(emails)
        with_panel = db.session.scalar(select(func.count()).select_from(Panel))
    assert with_panel == 1


# --- two runs at once --------------------------------------------------------------------


def test_a_reminder_another_run_sent_meanwhile_is_left_out_and_the_rest_still_go(
        app, letter_scene):
    """Another run records one lead's reminder between this run's planning and sending: the
    unique key refuses it, only that email is left out, and nothing is sent twice."""
    from qa_app import transactions
    from qa_app.reminders.operations import plan, send_planned

    _, letter_id, (lead, other_lead) = letter_scene
    day = date(2027, 1, 12)
    with app.app_context():
        digests = plan(day)
        assert sorted(d.user.email for d in digests) == sorted([lead, other_lead])
        lead_id = next(d.user.id for d in digests if d.user.email == lead)
        with db.engine.begin() as other_run:
            other_run.execute(ReminderSent.__table__.insert().values(
                user_id=lead_id, kind="letter_issued", item_key=f"letter:{letter_id}",
                threshold="issued", for_day=day, sent_at=datetime(2027, 1, 11, 7)))
        outcomes = send_planned(digests, day)
        transactions.commit_point()
        assert {(o.to, o.sent) for o in outcomes} == {(lead, False), (other_lead, True)}
        assert [o.problem for o in outcomes if not o.sent] == ["already sent by another run"]
        assert list(db.session.scalars(select(OutboxMessage.to))) == [other_lead]
        assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 2


# --- the page ----------------------------------------------------------------------------


def test_each_role_sees_its_own_reminders(app, client):
    with app.app_context():
        agency = make.agency("Educational Psychology Service", "education")
        auditor = make.person("auditor", agency.id).email
        admin = make.person("admin").email
        db.session.commit()
    make.sign_in(client, auditor)
    page = client.get("/account/reminders/").get_data(as_text=True)
    assert "Audits overdue: after the panel has met" in page  # required: a list item
    assert 'value="audits_assigned"' in page and 'value="audits_due"' in page
    assert 'value="audits_overdue"' not in page and "letter_issued" not in page
    assert "Your email reminders" in client.get("/account/").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": make.csrf_token(client, "/account/")})
    make.sign_in(client, admin)
    page = client.get("/account/reminders/").get_data(as_text=True)
    assert "Your role does not get email reminders." in page and "<form" not in page.split(
        "<main")[1].split("Sign out")[0]


def test_the_page_needs_signing_in(client, app):
    response = client.get("/account/reminders/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
