"""The cycle's task list, counted again here row by row at each stage of a cycle; the check
pages before closing a cycle and drawing its sample again; a forged post refused; a size
above the eligible plans refused with their number; the sample table in pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.letters.models import Letter, LetterResponse
from qa_app.reporting.freshness import stale_reason
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import csrf_token, sign_in

KEYS = ("sample", "panels", "assigned", "scoring", "moderation", "figures", "drafted",
        "issued", "responses", "board")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@dataclass(frozen=True)
class Row:
    detail: str
    status: str
    linked: bool

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", self.detail))


def task_rows(client: FlaskClient, cycle_id: int) -> tuple[dict[str, Row], str]:
    response = client.get(f"/cycles/{cycle_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = {}
    for key in KEYS:
        match = re.search(rf'app-cycle-task--{key}">(.*?)</li>', html, re.S)
        assert match, key
        item = match.group(1)
        hint = re.search(r'class="govuk-task-list__hint">(.*?)</div>', item, re.S)
        status = re.search(r'class="govuk-task-list__status[^"]*"[^>]*>(.*?)</div>', item, re.S)
        assert hint and status, key
        detail, who = _text(hint.group(1)).split(" Who acts: ")
        assert who in {"QI manager", "Auditors", "Panel chair", "Agency leads"}
        rows[key] = Row(detail, _text(status.group(1)), "govuk-task-list__link" in item)
    return rows, _text(html)


@dataclass(frozen=True)
class Recount:
    plans: int
    advice: int
    panels: int
    auditors: int
    two_auditors: int
    audits: int
    submitted: int
    finalised: int
    graded: int
    with_letter: int
    issued: int
    received: int
    presented: int


def recount(app: Flask, cycle_id: int) -> Recount:
    """Every figure counted again from the rows, one by one, without the app's queries."""
    with app.app_context():
        sample = db.session.scalars(select(Sample).where(Sample.cycle_id == cycle_id)).first()
        items = list(sample.items) if sample else []
        audits = list(db.session.scalars(select(Audit).where(Audit.cycle_id == cycle_id)))
        finals = list(db.session.scalars(select(FinalGrade)
                                         .where(FinalGrade.cycle_id == cycle_id)))
        panels = list(db.session.scalars(select(Panel).where(Panel.cycle_id == cycle_id)))
        letters = list(db.session.scalars(select(Letter).where(Letter.cycle_id == cycle_id)))

        def same(row: Audit | FinalGrade, item: SampleItem) -> bool:
            return (item.plan_id is not None and row.plan_id == item.plan_id) or (
                item.advice_id is not None and row.advice_id == item.advice_id)

        graded = {f.agency_id for f in finals}
        newest: dict[int, Letter] = {}
        for letter in letters:
            if letter.status == "issued" and (letter.agency_id not in newest or
                                              letter.version > newest[letter.agency_id].version):
                newest[letter.agency_id] = letter
        responses = [letter.response for letter in newest.values() if letter.response]
        return Recount(
            plans=sum(1 for i in items if i.plan_id is not None),
            advice=sum(1 for i in items if i.advice_id is not None),
            panels=len(panels),
            auditors=len({m.user_id for p in panels for m in p.members}),
            two_auditors=sum(1 for i in items if sum(
                1 for a in audits if a.source == "panel" and same(a, i)) >= 2),
            audits=len(audits),
            submitted=sum(1 for a in audits if a.status == "submitted"),
            finalised=sum(1 for i in items if any(same(f, i) for f in finals)),
            graded=len(graded),
            with_letter=len({letter.agency_id for letter in letters} & graded),
            issued=len({letter.agency_id for letter in letters if letter.status == "issued"}
                       & graded),
            received=sum(1 for r in responses if r.submitted_at is not None),
            presented=sum(1 for r in responses if r.presented_on is not None),
        )


def assert_rows_equal_recount(app: Flask, client: FlaskClient, cycle_id: int
                              ) -> dict[str, Row]:
    rows, page = task_rows(client, cycle_id)
    n = recount(app, cycle_id)
    sampled = n.plans + n.advice
    assert rows["sample"].numbers == ((n.plans, n.advice) if sampled else ())
    assert rows["panels"].numbers == ((n.panels, n.auditors) if n.panels else ())
    assert rows["assigned"].numbers == (n.two_auditors, sampled)
    assert rows["scoring"].numbers == (n.submitted, n.audits)
    assert rows["moderation"].numbers == (n.finalised, sampled)
    assert rows["drafted"].numbers == (n.with_letter, n.graded)
    assert rows["issued"].numbers == (n.issued, n.graded)
    assert rows["responses"].numbers == (n.received, n.issued)
    assert rows["board"].numbers == (n.presented, n.issued)
    done = sum(1 for row in rows.values() if row.status == "Completed")
    assert f"{done} of {len(KEYS)} tasks completed" in page
    for row in rows.values():
        assert row.linked == (row.status != "Cannot start yet")
    return rows


def statuses(rows: dict[str, Row]) -> list[str]:
    return [rows[key].status for key in KEYS]


NOT, PART, DONE, CANNOT = "Not yet started", "In progress", "Completed", "Cannot start yet"


@pytest.fixture()
def world(app: Flask) -> make.World:
    with app.app_context():
        made = make.panel_world(plans=3)
        db.session.commit()
        return made


@pytest.fixture()
def manager(app: Flask, client: FlaskClient, world: make.World) -> FlaskClient:
    sign_in(client, world.emails["manager"])
    return client


def _version(rubric_id: str) -> int:
    return db.session.scalar(select(RubricVersion.id).where(RubricVersion.rubric_id == rubric_id)
                             .order_by(RubricVersion.id.desc()).limit(1))


def _letter(agency_id: int, cycle_id: int, version: int, *, issued: bool,
            received: bool = False, presented: bool = False) -> None:
    letter = Letter(agency_id=agency_id, cycle_id=cycle_id, version=version,
                    status="issued" if issued else "draft",
                    reference=f"QA/{cycle_id}/{agency_id}/v{version}",
                    pdf=b"%PDF-1.4" if issued else None, sha256="0" * 64 if issued else None)
    db.session.add(letter)
    db.session.flush()
    if issued:
        db.session.add(LetterResponse(
            letter_id=letter.id, due_date=date(2026, 2, 1),
            submitted_at=datetime(2026, 1, 20) if received else None,
            presented_on=date(2026, 1, 28) if presented else None))
    db.session.flush()


def test_every_number_on_the_task_list_equals_a_recount_at_each_stage(app, manager, world):
    cycle_id = world.cycle_id
    rows = assert_rows_equal_recount(app, manager, cycle_id)
    assert statuses(rows) == [DONE, NOT, CANNOT, CANNOT, CANNOT, CANNOT, CANNOT, CANNOT,
                              CANNOT, CANNOT]
    assert rows["sample"].numbers == (3, 6)

    with app.app_context():
        make.panel(world)
        db.session.commit()
    rows = assert_rows_equal_recount(app, manager, cycle_id)
    assert statuses(rows)[:5] == [DONE, DONE, DONE, NOT, CANNOT]
    assert rows["assigned"].numbers == (9, 9) and rows["scoring"].numbers == (0, 18)

    with app.app_context():
        audits = list(db.session.scalars(select(Audit).order_by(Audit.id)))
        for audit in audits[:5]:
            audit.status = "submitted"
        audits[5].status = "draft"
        plan_version, health_version = _version("ehcp-plan"), _version("advice-health")
        make.final_grade(plan_version, 3, cycle_id=cycle_id, plan_id=world.plan_ids[0])
        make.final_grade(health_version, 2, cycle_id=cycle_id, advice_id=world.advice_ids[0])
        db.session.commit()
    rows = assert_rows_equal_recount(app, manager, cycle_id)
    assert statuses(rows)[3:7] == [PART, PART, NOT, NOT]
    assert rows["scoring"].numbers == (5, 18) and rows["moderation"].numbers == (2, 9)

    with app.app_context():
        make.aggregate(cycle_id)
        assert stale_reason(cycle_id) is None
    rows = assert_rows_equal_recount(app, manager, cycle_id)
    assert rows["figures"].status == DONE

    with app.app_context():
        grade = db.session.scalars(select(FinalGrade).where(
            FinalGrade.plan_id == world.plan_ids[0])).one()
        make.regrade(grade.id, 1)
        reason = stale_reason(cycle_id)
        casework = world.agencies["SEND Casework Team"]
        health = world.agencies["Community Paediatrics"]
        _letter(casework, cycle_id, 1, issued=False)
        _letter(health, cycle_id, 1, issued=True, received=True, presented=True)
        _letter(health, cycle_id, 2, issued=True, received=True)
        db.session.commit()
    rows = assert_rows_equal_recount(app, manager, cycle_id)
    assert reason and rows["figures"].status == PART and rows["figures"].detail == reason
    assert rows["drafted"].numbers == (2, 2) and rows["issued"].numbers == (1, 2)
    assert rows["responses"].numbers == (1, 1) and rows["board"].numbers == (0, 1)
    assert statuses(rows)[6:] == [DONE, PART, DONE, NOT]


def test_a_cycle_with_nothing_done_starts_at_the_sample(app, manager, world):
    with app.app_context():
        empty = make.cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27)).id
        db.session.commit()
    rows = assert_rows_equal_recount(app, manager, empty)
    assert rows["sample"].detail == "Not drawn yet"
    assert statuses(rows) == [NOT, NOT] + [CANNOT] * 8


def _post(client: FlaskClient, path: str, data: dict, token_from: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def _logged(app: Flask, action: str) -> int:
    with app.app_context():
        entries = select(AuditLogEntry).where(AuditLogEntry.action == action)
        return len(list(db.session.scalars(entries)))


def test_closing_goes_through_a_check_page_that_says_what_is_unfinished(app, manager, world):
    with app.app_context():
        make.panel(world)
        for audit in list(db.session.scalars(select(Audit).order_by(Audit.id)))[:3]:
            audit.status = "submitted"
        make.final_grade(_version("ehcp-plan"), 3, cycle_id=world.cycle_id,
                         plan_id=world.plan_ids[0])
        db.session.commit()
    cycle_id = world.cycle_id
    show = manager.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "govuk-button--warning" not in show
    assert f'href="/cycles/{cycle_id}/close"' in show and f'href="/cycles/{cycle_id}/edit"' in show

    check = manager.get(f"/cycles/{cycle_id}/close")
    page = _text(check.get_data(as_text=True))
    assert check.status_code == 200
    assert "Auditors can no longer save drafts or submit audits in this cycle" in page
    assert "reopen the cycle" in page
    assert "15 of the 18 audits are not submitted" in page
    assert "8 of the 9 sampled plans and pieces of advice are not finalised" in page

    forged = _post(manager, f"/cycles/{cycle_id}/close", {}, f"/cycles/{cycle_id}/close")
    assert forged.status_code == 400
    assert "The cycle has not been closed" in _text(forged.get_data(as_text=True))
    wrong = _post(manager, f"/cycles/{cycle_id}/close", {"confirmed": "no"},
                  f"/cycles/{cycle_id}/close")
    assert wrong.status_code == 400
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).status == "open"
    assert _logged(app, "cycle.close") == 0

    closed = _post(manager, f"/cycles/{cycle_id}/close", {"confirmed": "yes"},
                   f"/cycles/{cycle_id}/close")
    assert closed.status_code == 302
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).status == "closed"
    assert _logged(app, "cycle.close") == 1
    page = _text(manager.get(f"/cycles/{cycle_id}").get_data(as_text=True))
    assert "auditors cannot save drafts or submit audits in it" in page
    assert "until it is reopened" in page
    assert "Close this cycle" not in page and "Reopen this cycle" in page
    assert f'href="/cycles/{cycle_id}/edit"' not in page


@pytest.fixture()
def register(app: Flask) -> None:
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    with app.app_context():
        for i in range(60):
            plan = make.plan(casework.id, ref=f"EHCP-{i:03d}", nc_year=(5, 9, 1, 4, 8)[i % 5])
            make.advice(plan.id, health.id, received=date(2025, 10, 1))
        db.session.commit()


@pytest.fixture()
def spring(app: Flask, client: FlaskClient, register: None) -> int:
    with app.app_context():
        cycle_id = make.cycle("Spring term 2026", date(2026, 1, 5), date(2026, 3, 27)).id
        manager = make.user("qi_manager")
        db.session.commit()
        email = manager.email
    sign_in(client, email)
    return cycle_id


DRAW = {"size": "10", "seed": "4242", "transition_share": "40", "include_advice": "yes",
        "min_advice_per_agency": "1", "exclude_days": "365", "issued_by_end": "no"}


def _seed(app: Flask) -> int | None:
    with app.app_context():
        return db.session.scalar(select(Sample.seed))


def test_a_size_above_the_eligible_plans_is_refused_with_their_number(app, client, spring,
                                                                        runner):
    response = _post(client, f"/cycles/{spring}/sample", DRAW | {"size": "1000"},
                     f"/cycles/{spring}")
    page = _text(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "You asked for 1,000 plans but only 60 are eligible for Spring term 2026" in page
    assert "enter a number from 1 to 60" in page
    assert _seed(app) is None
    result = runner.invoke(["sample", "draw", "--cycle", "Spring term 2026", "--size", "61"])
    assert result.exit_code != 0 and "only 60 are eligible" in result.output
    assert _seed(app) is None


def test_drawing_again_goes_through_a_check_page(app, client, spring):
    first = _post(client, f"/cycles/{spring}/sample", DRAW, f"/cycles/{spring}")
    assert first.status_code == 302
    page = client.get(f"/cycles/{spring}").get_data(as_text=True)
    assert re.search(r'<details[^>]*id="draw-again"(?![^>]*open)', page)
    assert "Draw the sample again" in page
    assert f'action="/cycles/{spring}/sample/check"' in page

    check = _post(client, f"/cycles/{spring}/sample/check", DRAW | {"seed": "99"},
                  f"/cycles/{spring}")
    text = _text(check.get_data(as_text=True))
    assert check.status_code == 200
    assert "The current sample will be replaced" in text
    assert "Plans 10 Pieces of advice 10" in text
    assert "Nothing has been assigned or scored from the current sample" in text
    assert "Plans asked for 10 (of 60 eligible)" in text
    assert _seed(app) == 4242

    forged = _post(client, f"/cycles/{spring}/sample", DRAW | {"seed": "99"},
                   f"/cycles/{spring}")
    assert forged.status_code == 400
    assert "The sample has not been drawn again" in _text(forged.get_data(as_text=True))
    assert _seed(app) == 4242 and _logged(app, "sample.redraw") == 0

    again = _post(client, f"/cycles/{spring}/sample", DRAW | {"seed": "99", "confirmed": "yes"},
                  f"/cycles/{spring}")
    assert again.status_code == 302
    assert _seed(app) == 99 and _logged(app, "sample.redraw") == 1


def test_drawing_again_is_refused_once_work_would_be_lost(app, client, spring):
    _post(client, f"/cycles/{spring}/sample", DRAW, f"/cycles/{spring}")
    with app.app_context():
        version = make.rubric().id
        plan_id = db.session.scalar(select(SampleItem.plan_id).where(
            SampleItem.plan_id.is_not(None)).limit(1))
        make.panel_audit(version, spring, {"child_voice": 3}, plan_id=plan_id)
        db.session.commit()
    page = _text(client.get(f"/cycles/{spring}").get_data(as_text=True))
    assert "its sample is fixed and cannot be drawn again" in page
    assert 'id="draw-again"' not in page
    for path in (f"/cycles/{spring}/sample/check", f"/cycles/{spring}/sample"):
        refused = _post(client, path, DRAW | {"seed": "7", "confirmed": "yes"},
                        f"/cycles/{spring}")
        text = _text(refused.get_data(as_text=True))
        assert refused.status_code == 400
        assert "can no longer be redrawn" in text and "throw away the audits" in text
    assert _seed(app) == 4242


def test_the_sample_table_comes_in_pages_of_whole_plans(app, client, spring):
    _post(client, f"/cycles/{spring}/sample", DRAW | {"size": "60"}, f"/cycles/{spring}")
    seen: list[str] = []
    for number, (first, last) in enumerate([(1, 25), (26, 50), (51, 60)], start=1):
        html = client.get(f"/cycles/{spring}?page={number}").get_data(as_text=True)
        assert f"Plans {first} to {last} of 60, each followed by its advice" in _text(html)
        table = html[html.index('id="sample-items"'):html.index("</table>",
                                                                 html.index('id="sample-items"'))]
        refs = re.findall(r'<td class="govuk-table__cell">(EHCP-\d+)</td>', table)
        assert len(refs) == 2 * (last - first + 1)
        seen += sorted(set(refs))
        assert (f"page={number + 1}" in html) == (number < 3)
        assert (f"page={number - 1}" in html) == (number > 1)
    assert sorted(seen) == [f"EHCP-{i:03d}" for i in range(60)]
    beyond = _text(client.get(f"/cycles/{spring}?page=9").get_data(as_text=True))
    assert "Plans 51 to 60 of 60" in beyond
