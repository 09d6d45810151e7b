"""The learning brief: its criteria below good by agency type equal a plain recount of the
cycle's final grades by criterion; what improved follows the small-number rule; a brief of an
open cycle is provisional, its PDF refused and it cannot be published; publishing goes
through a check page, stores the brief as it was and shows it to every signed-in partner."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from fractions import Fraction

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.learning.document import Share
from tests import factories as make
from tests.factories.learning import learning_world


def _world(app: Flask, **options):
    with app.app_context():
        return learning_world(**options)


def _content(app: Flask, cycle_id: int):
    from qa_app.audits.cycles.models import Cycle
    from qa_app.learning.content import assemble

    with app.app_context():
        return assemble(db.session.get(Cycle, cycle_id), date.today())


def _recount_below(app: Flask, cycle_id: int) -> dict[str, dict[str, tuple[int, int]]]:
    """Per agency type and criterion: (below good, graded), straight from the final grades."""
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.register.models import Agency

    with app.app_context():
        counts: dict[str, dict[str, list[int]]] = {}
        for grade in db.session.execute(
                select(FinalGrade).where(FinalGrade.cycle_id == cycle_id)).scalars():
            kind = db.session.get(Agency, grade.agency_id).type
            for c in grade.criteria:
                pair = counts.setdefault(kind, {}).setdefault(c.criterion_id, [0, 0])
                pair[0] += not c.good_or_better
                pair[1] += 1
        return {k: {c: (b, n) for c, (b, n) in v.items()} for k, v in counts.items()}


def _recount_shares(app: Flask, cycle_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (plans or advice, criterion): (good or better, graded)."""
    from qa_app.audits.moderation.models import FinalGrade

    with app.app_context():
        shares: dict[tuple[str, str], list[int]] = {}
        for grade in db.session.execute(
                select(FinalGrade).where(FinalGrade.cycle_id == cycle_id)).scalars():
            scope = "plan" if grade.plan_id is not None else "advice"
            for c in grade.criteria:
                pair = shares.setdefault((scope, c.criterion_id), [0, 0])
                pair[0] += c.good_or_better
                pair[1] += 1
        return {c: (good, n) for c, (good, n) in shares.items()}


def test_criteria_below_good_by_agency_type_equal_a_recount(app: Flask) -> None:
    world = _world(app)
    content = _content(app, world.cycle_id)
    recount = _recount_below(app, world.cycle_id)
    assert {g.agency_type for g in content.by_type} == set(recount)
    for group in content.by_type:
        expected = sorted(((b, n, c) for c, (b, n) in recount[group.agency_type].items() if b),
                          key=lambda t: (-t[0], -Fraction(t[0], t[1]), t[2]))[:5]
        shown = [(row.below.met, row.below.n, row.criterion_id) for row in group.criteria]
        assert sorted(shown) == sorted(expected), group.agency_type
        assert [s[0] for s in shown] == sorted((s[0] for s in shown), reverse=True)
    groups = {g.agency_type: g for g in content.by_type}
    plans = [(r.criterion_id, r.below.met, r.below.n) for r in groups["local_authority"].criteria]
    assert plans == [("child_voice", 3, 6), ("outcomes", 2, 6), ("provision", 1, 6)]
    assert groups["local_authority"].criteria[0].title == "Child or young person's voice"
    assert groups["local_authority"].type_words == "Local authority"
    assert [(r.criterion_id, r.below.met) for r in groups["health"].criteria] == [
        ("outcomes", 4), ("timeliness", 1)]
    assert content.graded == 6 + 6 + 3


def test_an_agency_type_with_plans_and_advice_keeps_them_apart(app: Flask) -> None:
    """The casework team (a local authority) also writes social care advice here: its plans'
    outcomes and its advice's outcomes are two rows, each named, each its own recount."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.register.models import Agency, Plan
    from tests.factories.audits import agreed_grade, shipped_rubrics
    from tests.factories.register import advice

    world = _world(app)
    with app.app_context():
        casework_id = db.session.execute(select(Agency.id).where(
            Agency.type == "local_authority")).scalar_one()
        plans = db.session.execute(select(Plan.id).where(Plan.agency_id == casework_id)
                                   .order_by(Plan.id)).scalars().all()
        version = shipped_rubrics()["advice-social-care"]
        autumn = db.session.get(Cycle, world.cycle_id)
        for plan_id, outcome in zip(plans[:5], (1, 1, 1, 2, 3), strict=True):
            written = advice(plan_id, casework_id, advice_type="social_care",
                             received=date(2025, 10, 1))
            agreed_grade(autumn, version, advice_id=written.id, grade=outcome,
                         criteria={"outcomes": outcome}, notes={}, auditor_id=None)
        db.session.commit()
    content = _content(app, world.cycle_id)
    recount = {}
    with app.app_context():
        from qa_app.audits.moderation.models import FinalGrade

        for grade in db.session.execute(select(FinalGrade).where(
                FinalGrade.cycle_id == world.cycle_id,
                FinalGrade.agency_id == casework_id)).scalars():
            scope = "plan" if grade.plan_id is not None else "advice"
            for c in grade.criteria:
                pair = recount.setdefault((scope, c.criterion_id), [0, 0])
                pair[0] += not c.good_or_better
                pair[1] += 1
    group = next(g for g in content.by_type if g.agency_type == "local_authority")
    rows = {(r.scope, r.criterion_id): (r.title, r.below.met, r.below.n) for r in group.criteria}
    assert rows[("advice", "outcomes")] == ("Outcomes are specific (advice)",
                                            *recount[("advice", "outcomes")])
    assert rows[("plan", "outcomes")][1:] == tuple(recount[("plan", "outcomes")])
    assert rows[("plan", "outcomes")][0].endswith("(EHC plans)")
    assert recount[("advice", "outcomes")] == [4, 5] and recount[("plan", "outcomes")] == [2, 6]


def test_what_improved_follows_the_small_number_rule(app: Flask) -> None:
    world = _world(app)
    content = _content(app, world.cycle_id)
    now, before = _recount_shares(app, world.cycle_id), _recount_shares(app, world.previous_id)
    min_n = content.min_n
    assert min_n == 5
    both = now.keys() & before.keys()
    rose = {c for c in both if now[c][1] >= min_n and before[c][1] >= min_n
            and Fraction(*now[c]) > Fraction(*before[c])}
    few = {c for c in both if now[c][1] < min_n or before[c][1] < min_n}
    assert {(c.scope, c.criterion_id) for c in content.improved} == rose == {
        ("plan", "child_voice"), ("advice", "child_voice"), ("plan", "outcomes"),
        ("plan", "needs")}
    assert {(c.scope, c.criterion_id) for c in content.too_few} == few == {
        ("advice", "aspirations")}
    assert content.not_improved == len(both) - len(rose) - len(few) == 2
    for change in content.improved + content.too_few:
        key = (change.scope, change.criterion_id)
        assert (change.now.met, change.now.n) == now[key]
        assert (change.before.met, change.before.n) == before[key]
    voice = next(c for c in content.improved
                 if (c.scope, c.criterion_id) == ("advice", "child_voice"))
    assert voice.now.text == "100.0% (6 of 6)" and voice.before.text == "66.7% (4 of 6)"
    assert voice.points_text == "Up 33.3 points"
    assert voice.title == "Child or young person's voice (advice)"
    # A plan's outcomes rose while the advice's fell: counted together they hid it.
    outcomes = next(c for c in content.improved
                    if (c.scope, c.criterion_id) == ("plan", "outcomes"))
    assert outcomes.title.endswith("(EHC plans)") and outcomes.now.text == "66.7% (4 of 6)"
    assert content.previous_cycle_name == "Summer term 2025"
    assert not content.provisional


def test_the_page_shows_the_counts_and_too_few_to_compare(app: Flask, client) -> None:
    world = _world(app)
    make.sign_in(client, world.manager_email)
    page = client.get(f"/learning/cycles/{world.cycle_id}").get_data(as_text=True)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Child or young person's voice 3 6 50.0%" in text
    assert ("Child or young person's voice (advice) 100.0% (6 of 6) 66.7% (4 of 6) "
            "Up 33.3 points") in text
    assert "Too few to compare" in text and "3 grades in Autumn term 2025, 3 in Summer" in text
    assert "Provisional" not in text and "Check and publish the brief" in text


def test_an_open_cycle_is_provisional_and_its_pdf_refused(app: Flask, client) -> None:
    world = _world(app, open_cycle=True)
    content = _content(app, world.cycle_id)
    assert content.provisional and not content.may_publish
    make.sign_in(client, world.manager_email)
    page = client.get(f"/learning/cycles/{world.cycle_id}").get_data(as_text=True)
    assert "Provisional" in page and "still open" in page
    assert "Check and publish the brief" not in page and "brief.pdf" not in page
    refused = client.get(f"/learning/cycles/{world.cycle_id}/brief.pdf")
    assert refused.status_code == 409
    assert refused.mimetype == "text/html" and "cannot be printed yet" in refused.get_data(
        as_text=True)
    check = client.get(f"/learning/cycles/{world.cycle_id}/publish").get_data(as_text=True)
    assert "cannot be published yet" in check and 'name="checked"' not in check
    token = make.csrf_token(client, f"/learning/cycles/{world.cycle_id}")
    posted = client.post(f"/learning/cycles/{world.cycle_id}/publish",
                         data={"csrf_token": token, "checked": "anything"})
    assert posted.status_code == 409
    assert "cannot be published until the cycle's grades are final" in html.unescape(
        posted.get_data(as_text=True))
    assert _stored(app, world.cycle_id) is None


def _stored(app: Flask, cycle_id: int):
    from qa_app.learning.models import LearningBrief

    with app.app_context():
        return db.session.execute(select(LearningBrief).where(
            LearningBrief.cycle_id == cycle_id)).scalar_one_or_none()


def _checked(page: str) -> str:
    match = re.search(r'name="checked" type="hidden" value="([0-9a-f]{64})"', page) or \
        re.search(r'value="([0-9a-f]{64})"', page)
    assert match, "no fingerprint on the check page"
    return match.group(1)


def test_publishing_needs_the_check_page_and_stores_the_brief(app: Flask, client) -> None:
    world = _world(app)
    lead = app.test_client()
    make.sign_in(lead, world.lead_email)
    assert lead.get(f"/learning/cycles/{world.cycle_id}").status_code == 404
    assert "Autumn term 2025" not in lead.get("/learning/").get_data(as_text=True)

    make.sign_in(client, world.manager_email)
    check = client.get(f"/learning/cycles/{world.cycle_id}/publish").get_data(as_text=True)
    assert "Check before publishing the learning brief" in check
    token = make.csrf_token(client, f"/learning/cycles/{world.cycle_id}/publish")
    stale = client.post(f"/learning/cycles/{world.cycle_id}/publish",
                        data={"csrf_token": token, "checked": "0" * 64})
    assert stale.status_code == 409 and "changed since you checked it" in stale.get_data(
        as_text=True)
    assert _stored(app, world.cycle_id) is None

    done = client.post(f"/learning/cycles/{world.cycle_id}/publish",
                       data={"csrf_token": token, "checked": _checked(check)})
    assert done.status_code == 302
    stored = _stored(app, world.cycle_id)
    assert stored is not None and stored.published_by_id == world.manager_id
    assert stored.content["published"] is True

    # The published brief is stored as it was: a later regrade changes the draft, not it.
    from qa_app.audits.moderation.models import FinalCriterionGrade

    with app.app_context():
        for row in db.session.execute(select(FinalCriterionGrade)).scalars():
            row.grade, row.good_or_better = 1, False
        db.session.commit()
    for who in (client, lead):
        page = who.get(f"/learning/cycles/{world.cycle_id}").get_data(as_text=True)
        assert "Published" in page and "100.0% (6 of 6)" in page
    assert "Autumn term 2025" in lead.get("/learning/").get_data(as_text=True)
    again = client.post(f"/learning/cycles/{world.cycle_id}/publish",
                        data={"csrf_token": token, "checked": _checked(check)})
    assert again.status_code == 302 and _stored(app, world.cycle_id).id == stored.id

    pdf = lead.get(f"/learning/cycles/{world.cycle_id}/brief.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(pdf.data)).pages).split())
    assert "Learning brief: Autumn term 2025" in text
    assert "Child or young person's voice (advice)" in text and "100.0% (6 of 6)" in text
    assert "DRAFT" not in text


def test_publishing_is_in_the_audit_log_in_words(app: Flask, client) -> None:
    from qa_app.audit_log import AuditLogEntry
    from qa_app.history.words import event_words, record_words

    world = _world(app)
    make.sign_in(client, world.manager_email)
    check = client.get(f"/learning/cycles/{world.cycle_id}/publish").get_data(as_text=True)
    token = make.csrf_token(client, f"/learning/cycles/{world.cycle_id}/publish")
    client.post(f"/learning/cycles/{world.cycle_id}/publish",
                data={"csrf_token": token, "checked": _checked(check)})
    with app.app_context():
        entries = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "learning_brief.publish")).scalars().all()
        assert len(entries) == 1 and entries[0].user_id == world.manager_id
    assert event_words("learning_brief.publish") == "Learning brief published"
    assert record_words("learning_brief") == "Learning brief"


def test_a_draft_pdf_of_a_final_cycle_is_marked_draft(app: Flask, client) -> None:
    world = _world(app)
    make.sign_in(client, world.manager_email)
    pdf = client.get(f"/learning/cycles/{world.cycle_id}/brief.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Draft for checking" in text


def test_an_unknown_cycle_is_not_found(app: Flask, client) -> None:
    world = _world(app)
    make.sign_in(client, world.manager_email)
    assert client.get("/learning/cycles/99999").status_code == 404
    assert client.get("/learning/cycles/99999/brief.pdf").status_code == 404
    auditor = app.test_client()
    make.sign_in(auditor, world.auditor_email)
    assert auditor.get(f"/learning/cycles/{world.cycle_id}/publish").status_code == 404


def _add_outcomes(world) -> None:
    """An approved example for a criterion the brief lists (outcomes), a pending one and one
    for a criterion nobody fell short on; a summer plan re-audited in autumn and now good;
    two challenges of autumn grades, one decided by a change and one waiting."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.panels.models import Panel
    from qa_app.challenges.models import GradeChallenge
    from qa_app.library.models import PracticeExample
    from qa_app.reaudit.models import ReauditMark
    from qa_app.register.models import Plan
    from tests.factories.audits import agreed_grade

    summer_plan = db.session.execute(
        select(FinalGrade).where(FinalGrade.cycle_id == world.previous_id,
                                 FinalGrade.plan_id.is_not(None),
                                 FinalGrade.good_or_better.is_(False))
        .order_by(FinalGrade.id)).scalars().first()
    plan = db.session.get(Plan, summer_plan.plan_id)
    autumn = db.session.get(FinalGrade, db.session.execute(
        select(FinalGrade.id).where(FinalGrade.cycle_id == world.cycle_id)
        .order_by(FinalGrade.id)).scalars().first())
    for criterion, status in (("outcomes", "approved"), ("outcomes", "pending"),
                              ("needs", "approved")):
        db.session.add(PracticeExample(
            rubric_id="ehcp-plan", criterion_id=criterion, subject_kind="plan",
            agency_id=plan.agency_id, excerpt=f"Outcomes are specific ({status}, {criterion})",
            typed_excerpt="typed", status=status))
    db.session.add(ReauditMark(final_grade_id=summer_plan.id, plan_id=plan.id,
                               agency_id=plan.agency_id, from_cycle_id=world.previous_id,
                               included_cycle_id=world.cycle_id))
    agreed_grade(db.session.get(Cycle, world.cycle_id), summer_plan.rubric_version_id,
                 plan_id=plan.id, grade=3, criteria={"outcomes": 3}, notes={},
                 auditor_id=world.manager_id)
    panel = Panel(cycle_id=world.cycle_id, name="Autumn panel", chair_id=world.manager_id)
    db.session.add(panel)
    db.session.flush()
    for status in ("changed", "open"):
        db.session.add(GradeChallenge(
            final_grade_id=autumn.id, agency_id=autumn.agency_id, panel_id=panel.id,
            status=status, reason="The panel missed the annex", raised_by_id=world.manager_id,
            grade_before=autumn.grade, criteria_before={}))
    db.session.commit()


def test_the_brief_carries_examples_reaudits_and_challenges(app: Flask, client) -> None:
    world = _world(app)
    with app.app_context():
        _add_outcomes(world)
    content = _content(app, world.cycle_id)
    assert [(e.criterion_id, e.excerpt) for e in content.examples] == [
        ("outcomes", "Outcomes are specific (approved, outcomes)")]
    assert content.reaudits is not None and len(content.reaudits) == 1
    reaudit = content.reaudits[0]
    assert reaudit.improved is True and reaudit.outcome_text == "Improved"
    assert reaudit.agency_name == "SEND Casework Team"
    assert content.challenges is not None
    assert (content.challenges.raised, content.challenges.waiting, content.challenges.upheld,
            content.challenges.changed) == (2, 1, 0, 1)
    make.sign_in(client, world.manager_email)
    page = html.unescape(client.get(f"/learning/cycles/{world.cycle_id}").get_data(
        as_text=True))
    assert "Outcomes are specific (approved, outcomes)" in page
    assert "Outcomes are specific (pending" not in page and "(approved, needs)" not in page
    assert "Re-audits" in page and "Improved" in page
    assert "Challenges to final grades" in page
    pdf = client.get(f"/learning/cycles/{world.cycle_id}/brief.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(pdf.data)).pages).split())
    assert "Outcomes are specific (approved, outcomes)" in text
    assert "Re-audits" in text and "Challenges to final grades" in text


def test_a_brief_published_before_rows_had_a_scope_still_reads(app: Flask) -> None:
    """A stored brief whose rows carry no scope loads with every figure and title as stored."""
    from qa_app.learning.document import BriefContent

    world = _world(app)
    raw = _content(app, world.cycle_id).to_json()
    for group in raw["by_type"]:
        for row in group["criteria"]:
            del row["scope"]
    for row in raw["improved"] + raw["too_few"]:
        del row["scope"]
    loaded = BriefContent.from_json(raw)
    assert [(c.title, c.now, c.before, c.scope) for c in loaded.improved] == [
        (c["title"], Share(**c["now"]), Share(**c["before"]), "") for c in raw["improved"]]
    assert [(r.title, r.below) for g in loaded.by_type for r in g.criteria] == [
        (r["title"], Share(**r["below"])) for g in raw["by_type"] for r in g["criteria"]]
