"""Role home pages: each lists the work waiting for that person, with due dates and overdue or
late markers that equal a plain recount of the data, never another auditor's audits or
another agency's letters, in a fixed number of SQL statements however much data there is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.panels.models import Panel
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.jobs.models import JobRun
from qa_app.letters.models import Letter, LetterResponse
from qa_app.main import views as home_views
from qa_app.register.models import Agency
from qa_app.reporting.models import RecalculationRequest
from qa_app.timeutil import academic_year
from tests import factories as make

TODAY = date(2026, 3, 10)
STATEMENT_BOUND = 15


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(home_views, "today", lambda: TODAY)


# --- reading the page ----------------------------------------------------------------------


@dataclass
class Row:
    key: str = ""
    value: str = ""
    hrefs: list[str] = field(default_factory=list)


@dataclass
class Block:
    """One summary list or card on the page, found by its data-testid."""

    testid: str
    title: str = ""
    hrefs: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)


ROLES_BY_CLASS = {
    "govuk-summary-card__title": "title",
    "govuk-summary-card__actions": "card_actions",
    "govuk-summary-list__key": "key",
    "govuk-summary-list__value": "value",
    "govuk-summary-list__actions": "actions",
}
VOID = {"input", "br", "img", "meta", "link", "hr"}


class Blocks(HTMLParser):
    """Summary lists and cards marked with data-testid, as (title, rows, links) in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[Block] = []
        self._stack: list[tuple[str, str | None, bool]] = []
        self.feed(html)

    def _role(self) -> str | None:
        return next((role for _, role, _ in reversed(self._stack) if role), None)

    def _inside(self) -> bool:
        return any(opens for _, _, opens in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        role = next((ROLES_BY_CLASS[c] for c in classes if c in ROLES_BY_CLASS), None)
        opens = "data-testid" in found
        if opens:
            self.found.append(Block(found["data-testid"] or ""))
        if self._inside() or opens:
            if role == "key":
                self.found[-1].rows.append(Row())
            if tag == "a" and found.get("href"):
                where = self._role()
                target = self.found[-1].hrefs if where == "card_actions" else (
                    self.found[-1].rows[-1].hrefs if where == "actions" else None)
                if target is not None:
                    target.append(found["href"] or "")
        if tag not in VOID:
            self._stack.append((tag, role, opens))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._inside():
            return
        role, block = self._role(), self.found[-1]
        if role == "title":
            block.title = _words(block.title + " " + data)
        elif role in {"key", "value"} and block.rows:
            setattr(block.rows[-1], role, _words(getattr(block.rows[-1], role) + " " + data))


def _words(text: str) -> str:
    return " ".join(text.split())


def blocks(client: FlaskClient, testid: str) -> list[Block]:
    response = client.get("/")
    assert response.status_code == 200
    return [b for b in Blocks(response.get_data(as_text=True)).found if b.testid == testid]


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- the data ------------------------------------------------------------------------------


@dataclass
class Scene:
    emails: dict[str, str]
    users: dict[str, int]
    agencies: dict[str, int]
    open_cycle: int


def build(app: Flask, size: int, scene: Scene | None = None, start: int = 0) -> Scene:
    """A partnership with `size` of each kind of work: audits for two auditors at panels due
    before and after today and in a closed cycle, chaired panels, issued letters with
    responses late, due and sent, superseded versions, drafts and failed jobs. Called again
    with the scene, it adds `size` more of each (numbered from `start`)."""
    with app.app_context():
        if scene is None:
            scene = _people()
        version = make.rubric(f"rubric-{start}").id
        users, agencies = scene.users, scene.agencies
        current = db.session.get(Cycle, scene.open_cycle)
        sample_id = db.session.execute(
            select(Sample.id).where(Sample.cycle_id == current.id)).scalar_one()
        panels = [
            _panel(current.id, f"Past panel {start}", users["chair"], TODAY - timedelta(days=7)),
            _panel(current.id, f"Future panel {start}", users["chair"], TODAY + timedelta(14)),
            _panel(current.id, f"Undated panel {start}", users["other_chair"], None),
        ]
        for i in range(start, start + size):
            old = _cycle(f"Cycle {i}", date(2020, 1, 1) + timedelta(days=30 * i),
                         "open" if i % 5 == 1 else "closed")
            old_panel = _panel(old.id, f"Panel of cycle {i}", users["chair"], date(2024, 6, 1))
            plan = make.plan(agencies["casework"], ref=f"EHCP-H-{i:04d}")
            db.session.add(SampleItem(sample_id=sample_id, plan_id=plan.id, stratum="plan"))
            status = ("assigned", "draft", "submitted")[i % 3]
            where = panels[i % 3]
            _audit(version, current.id, where.id, plan.id, users["auditor"], status)
            _audit(version, current.id, where.id, plan.id, users["other_auditor"], "submitted")
            _audit(version, old.id, old_panel.id, plan.id, users["auditor"], "assigned")
            if i % 4 == 0:
                make.final_grade(version, 3, cycle_id=current.id, plan_id=plan.id)
            _letter(agencies["health"], old.id, 1, due=TODAY + timedelta(days=3 * (i % 7) - 9),
                    sent=i % 3 == 0)
            _letter(agencies["education"], old.id, 1, due=TODAY - timedelta(days=2))
            if i % 4 == 2:
                _letter(agencies["health"], old.id, 2, due=TODAY + timedelta(days=20))
            _letter(agencies["casework"], old.id, 1, draft=True)
            if i % 5 == 0:
                db.session.add(JobRun(job="aggregate", status="failed", message="broker down"))
            db.session.add(JobRun(job="aggregate", status="done"))
        db.session.add(RecalculationRequest(period_kind="all", period_key="",
                                            reason="a grade changed",
                                            requested_at=datetime(2026, 3, 9, 9, 30)))
        db.session.commit()
    return scene


def _people() -> Scene:
    agencies = {
        "casework": make.agency("SEND Casework Team", "local_authority").id,
        "health": make.agency("Community Paediatrics", "health").id,
        "education": make.agency("Educational Psychology Service", "education").id,
    }
    people = {
        "auditor": make.person("auditor", agencies["education"], name="Auditor One"),
        "other_auditor": make.person("auditor", agencies["health"], name="Auditor Two"),
        "chair": make.person("panel_chair", name="Chair One"),
        "other_chair": make.person("panel_chair", name="Chair Two"),
        "lead": make.person("agency_lead", agencies["health"], name="Health lead"),
        "other_lead": make.person("agency_lead", agencies["education"], name="EP lead"),
        "manager": make.person("qi_manager", name="Manager"),
        "admin": make.person("admin", name="Admin"),
    }
    current = _cycle("Spring term 2026", date(2026, 1, 5), "open", end=date(2026, 3, 27))
    db.session.add(Sample(cycle_id=current.id, seed=1, size=0))
    return Scene({k: u.email for k, u in people.items()}, {k: u.id for k, u in people.items()},
                 agencies, current.id)


def _cycle(name: str, start: date, status: str, end: date | None = None) -> Cycle:
    row = Cycle(name=name, start_date=start, end_date=end or start + timedelta(days=20),
                academic_year=academic_year(start), status=status)
    db.session.add(row)
    db.session.flush()
    return row


def _panel(cycle_id: int, name: str, chair_id: int, meeting: date | None) -> Panel:
    row = Panel(cycle_id=cycle_id, name=name, chair_id=chair_id, meeting_date=meeting)
    db.session.add(row)
    db.session.flush()
    return row


def _audit(version: int, cycle_id: int, panel_id: int, plan_id: int, auditor_id: int,
           status: str) -> None:
    db.session.add(Audit(cycle_id=cycle_id, panel_id=panel_id, plan_id=plan_id,
                         auditor_id=auditor_id, rubric_version_id=version, status=status))


def _letter(agency_id: int, cycle_id: int, version: int, *, due: date | None = None,
            sent: bool = False, draft: bool = False) -> None:
    reference = f"QA-{cycle_id}-{agency_id}-{version}"
    if draft:
        db.session.add(Letter(agency_id=agency_id, cycle_id=cycle_id, version=version,
                              status="draft", reference=reference))
        return
    assert due is not None
    letter = Letter(agency_id=agency_id, cycle_id=cycle_id, version=version, status="issued",
                    reference=reference, pdf=b"%PDF-1.4", sha256="0" * 64,
                    letter_date=due - timedelta(days=28), issued_at=datetime(2026, 1, 1))
    db.session.add(letter)
    db.session.flush()
    db.session.add(LetterResponse(
        letter_id=letter.id, due_date=due,
        submitted_at=datetime.combine(due - timedelta(days=1), datetime.min.time())
        if sent else None))


# --- plain recounts ------------------------------------------------------------------------


def expected_audits(app: Flask, auditor_id: int) -> dict[str, tuple[str, bool, set[str]]]:
    """Panel name -> (due date words, overdue, the audit links) for the auditor's unsubmitted
    audits in open cycles."""
    with app.app_context():
        found: dict[str, tuple[str, bool, set[str]]] = {}
        for audit in db.session.execute(select(Audit)).scalars():
            cycle = db.session.get(Cycle, audit.cycle_id)
            if audit.auditor_id != auditor_id or audit.status == "submitted" \
                    or cycle.status != "open":
                continue
            panel = db.session.get(Panel, audit.panel_id)
            due = long_date(panel.meeting_date) if panel.meeting_date else "No meeting date set yet"
            overdue = panel.meeting_date is not None and panel.meeting_date < TODAY
            found.setdefault(panel.name, (due, overdue, set()))[2].add(f"/my-audits/{audit.id}")
        return found


def expected_queues(app: Flask, chair_id: int) -> dict[str, tuple[int, int, int]]:
    """Panel name -> (subjects, waiting for a decision, finalised) in open cycles."""
    with app.app_context():
        finals = {(f.cycle_id, f.plan_id) for f in db.session.execute(select(FinalGrade)).scalars()}
        found = {}
        for panel in db.session.execute(select(Panel)).scalars():
            if panel.chair_id != chair_id or panel.cycle.status != "open":
                continue
            by_plan: dict[int, list[str]] = {}
            for audit in db.session.execute(select(Audit)).scalars():
                if audit.panel_id == panel.id:
                    by_plan.setdefault(audit.plan_id, []).append(audit.status)
            done = [p for p in by_plan if (panel.cycle_id, p) in finals]
            ready = [p for p, s in by_plan.items() if p not in done and len(s) >= 2
                     and set(s) == {"submitted"}]
            found[panel.name] = (len(by_plan), len(ready), len(done))
        return found


def current_issued(app: Flask) -> list[tuple[str, int, date, bool, bool]]:
    """(reference, agency id, due date, sent, late) of each agency's newest issued letter per
    cycle."""
    with app.app_context():
        newest: dict[tuple[int, int], Letter] = {}
        for letter in db.session.execute(select(Letter).where(Letter.status == "issued")):
            letter = letter[0]
            key = (letter.agency_id, letter.cycle_id)
            if key not in newest or newest[key].version < letter.version:
                newest[key] = letter
        return [(x.reference, x.agency_id, x.response.due_date, x.response.submitted_at is not None,
                 x.response.submitted_at is None and x.response.due_date < TODAY)
                for x in newest.values()]


# --- the tests -----------------------------------------------------------------------------


def test_an_auditor_sees_her_own_unsubmitted_audits_by_panel_with_due_dates(app, client):
    scene = build(app, 9)
    make.sign_in(client, scene.emails["auditor"])
    shown = {b.title: b for b in blocks(client, "panel-audits")}
    expected = expected_audits(app, scene.users["auditor"])
    assert set(shown) == set(expected) and expected
    for name, (due, overdue, links) in expected.items():
        due_row = shown[name].row("Due by the panel meeting").value
        assert due_row.startswith(due)
        assert ("Overdue" in due_row) is overdue
        assert {h for r in shown[name].rows for h in r.hrefs} == links
    assert shown["Past panel 0"].row("Due by the panel meeting").value.endswith("Overdue")

    other = expected_audits(app, scene.users["other_auditor"])
    assert other == {}  # every audit of hers is submitted
    with app.app_context():
        closed = [p.name for p in db.session.execute(select(Panel)).scalars()
                  if p.cycle.status == "closed"]
    assert closed and not set(closed) & set(shown), "audits in closed cycles are not to do"


def test_an_auditor_never_sees_another_auditors_audits(app, client):
    scene = build(app, 6)
    with app.app_context():
        theirs = {f"/my-audits/{a.id}" for a in db.session.execute(
            select(Audit).where(Audit.auditor_id == scene.users["other_auditor"])).scalars()}
        db.session.execute(Audit.__table__.update().where(
            Audit.auditor_id == scene.users["other_auditor"]).values(status="draft"))
        db.session.commit()
    make.sign_in(client, scene.emails["auditor"])
    shown = {h for b in blocks(client, "panel-audits") for r in b.rows for h in r.hrefs}
    assert shown and not shown & theirs
    client = make.signed_in(app, scene.emails["other_auditor"])
    shown = {h for b in blocks(client, "panel-audits") for r in b.rows for h in r.hrefs}
    assert shown and shown <= theirs


def test_a_chair_sees_her_moderation_queue_and_the_letters_to_issue(app, client):
    scene = build(app, 10)
    for who in ("chair", "other_chair"):
        client = make.signed_in(app, scene.emails[who])
        shown = {b.title: b for b in blocks(client, "moderation-queue")}
        expected = expected_queues(app, scene.users[who])
        assert set(shown) == set(expected) and expected
        for name, (subjects, ready, finalised) in expected.items():
            card = shown[name]
            assert card.row("Waiting for your decision").value == f"{ready} of {subjects} subjects"
            assert card.row("Finalised").value == f"{finalised} of {subjects} subjects"
            assert card.row("Still with the auditors").value == (
                f"{subjects - ready - finalised} of {subjects} subjects")
        with app.app_context():
            chaired = set(db.session.execute(select(Panel.cycle_id).where(
                Panel.chair_id == scene.users[who])).scalars())
            drafts = {f"/letters/{x.id}" for x in db.session.execute(
                select(Letter).where(Letter.status == "draft")).scalars()
                if x.cycle_id in chaired}
        letters = blocks(client, "letters-to-issue")
        assert {h for b in letters for r in b.rows for h in r.hrefs} == drafts
        assert bool(drafts) is (who == "chair")


def test_a_lead_sees_her_agencys_letters_awaiting_a_response_and_those_sent(app, client):
    scene = build(app, 12)
    issued = current_issued(app)
    for who, agency in (("lead", "health"), ("other_lead", "education")):
        own = [x for x in issued if x[1] == scene.agencies[agency]]
        assert any(x[4] for x in own) and any(not x[3] and not x[4] for x in own) or \
            agency == "education"
        assert any(x[3] for x in own) or agency == "education"
        client = make.signed_in(app, scene.emails[who])
        awaiting = {b.title.removeprefix("Letter "): b for b in blocks(client, "awaiting-response")}
        assert set(awaiting) == {ref for ref, _, _, sent, _ in own if not sent}
        for ref, _, due, sent, late in own:
            if sent:
                continue
            value = awaiting[ref].row("Response due").value
            assert value.startswith(long_date(due))
            assert ("Response late" in value) is late
        sent_rows = [r for b in blocks(client, "responses-sent") for r in b.rows]
        assert {r.key for r in sent_rows} == {ref for ref, _, _, sent, _ in own if sent}
        page = client.get("/").get_data(as_text=True)
        others = {ref for ref, agency_id, *_ in issued if agency_id != scene.agencies[agency]}
        assert not any(ref in page for ref in others), "another agency's letter is shown"
    with app.app_context():
        superseded = db.session.execute(select(Letter.reference).where(
            Letter.version == 1, Letter.agency_id == scene.agencies["health"],
            Letter.cycle_id.in_(select(Letter.cycle_id).where(Letter.version == 2)))
        ).scalars().all()
    assert superseded and not any(ref in page for ref in superseded)


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_the_manager_sees_each_open_cycles_stage_late_responses_and_failed_jobs(app, client,
                                                                                who):
    scene = build(app, 11)
    make.sign_in(client, scene.emails[who])
    with app.app_context():
        open_cycles = {c.name: c.id for c in db.session.execute(
            select(Cycle).where(Cycle.status == "open")).scalars()}
        audits = [a for a in db.session.execute(select(Audit).where(
            Audit.cycle_id == scene.open_cycle)).scalars()]
        failed = len(db.session.execute(
            select(JobRun).where(JobRun.status == "failed")).scalars().all())
        agencies = {a.id: a.name for a in db.session.execute(select(Agency)).scalars()}
    cards = {b.title: b for b in blocks(client, "cycle-stage")}
    assert set(cards) == set(open_cycles)
    for name, cycle_id in open_cycles.items():
        assert cards[name].hrefs == [f"/cycles/{cycle_id}"]
    submitted = sum(1 for a in audits if a.status == "submitted")
    assert cards["Spring term 2026"].row("Where it stands").value == (
        f"Scoring: {submitted} of {len(audits)} audits submitted.")
    assert cards["Spring term 2026"].row("Who acts next").value == "Auditors"

    late = [x for x in current_issued(app) if x[4]]
    assert late
    rows = [r for b in blocks(client, "late-responses") for r in b.rows]
    assert sorted((r.key, r.value.split(",")[0]) for r in rows) == sorted(
        (agencies[agency_id], ref) for ref, agency_id, *_ in late)
    assert all(r.value.endswith("Late") for r in rows)

    jobs = blocks(client, "jobs-and-figures")[0]
    assert jobs.row("Background jobs").value == f"{failed} failed jobs"
    assert jobs.row("Figures").value.startswith("Being recalculated: changes since 09:30 on "
                                                "9 March 2026")


def test_the_stage_moves_with_the_cycle(app):
    from qa_app.main.stages import CycleCounts

    with app.app_context():
        cycle = Cycle(name="x", start_date=TODAY, end_date=TODAY, academic_year="2025/26")
    steps = [
        (CycleCounts(cycle, None, 0, 0, 0, 0, 0, 0, 0), "No sample drawn yet."),
        (CycleCounts(cycle, (8, 0), 0, 0, 0, 0, 0, 0, 0), "no panels set up yet"),
        (CycleCounts(cycle, (8, 0), 2, 0, 0, 0, 0, 0, 0), "no audits assigned yet"),
        (CycleCounts(cycle, (8, 0), 2, 16, 5, 0, 0, 0, 0), "Scoring: 5 of 16"),
        (CycleCounts(cycle, (8, 3), 2, 16, 16, 0, 0, 0, 0), "Moderation: 3 of 8"),
        (CycleCounts(cycle, (8, 8), 2, 16, 16, 0, 0, 0, 0), "no letters drafted yet"),
        (CycleCounts(cycle, (8, 8), 2, 16, 16, 4, 1, 0, 0), "Letters: 1 of 4 issued"),
        (CycleCounts(cycle, (8, 8), 2, 16, 16, 4, 4, 2, 0), "Responses: 2 of 4 received"),
        (CycleCounts(cycle, (8, 8), 2, 16, 16, 4, 4, 4, 1), "Board: 1 of 4"),
        (CycleCounts(cycle, (8, 8), 2, 16, 16, 4, 4, 4, 4), "Every response has been"),
    ]
    for counts, words in steps:
        assert words in counts.stage.words


def test_nothing_to_do_is_said_plainly(app, client):
    with app.app_context():
        scene = _people()
        db.session.commit()
    expected = {"auditor": "Nothing to do", "chair": "You do not chair a panel",
                "lead": "No letter is waiting", "manager": "No response is late"}
    for who, words in expected.items():
        assert words in make.signed_in(app, scene.emails[who]).get("/").get_data(as_text=True)


def statements_for_home(app: Flask, client: FlaskClient) -> int:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("who", ["auditor", "chair", "lead", "manager"])
def test_the_home_page_reads_a_fixed_number_of_statements(app, client, who):
    scene = build(app, 5)
    make.sign_in(client, scene.emails[who])
    few = statements_for_home(app, client)
    build(app, 45, scene, start=5)
    many = statements_for_home(app, client)
    assert many == few <= STATEMENT_BOUND, (few, many)
