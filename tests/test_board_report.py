"""The board's exceptions report: the partnership headline equals a plain recount of the
final grades, the exceptions are exactly the agencies' figures below target or worse than
last cycle, commentary is shown (or "No commentary received"), the PDF says the same, and
stale or unfinished figures refuse the PDF and the final report."""

from __future__ import annotations

import io
import re
from datetime import date

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from qa_app.extensions import db
from tests import factories as make
from tests.factories.board import board_report, board_world


def _world(app: Flask, **options):
    with app.app_context():
        return board_world(**options)


def _content(app: Flask, report_id: int):
    from qa_app.board.content import assemble
    from qa_app.board.models import BoardReport

    with app.app_context():
        return assemble(db.session.get(BoardReport, report_id), date.today())


def _recount(app: Flask, cycle_id: int) -> dict[str, tuple[int, int]]:
    """Plans, advice and child's voice good or better, counted straight from the final
    grades: a plan or advice is good only if its grade and its child's voice both are."""
    from qa_app.audits.moderation.models import FinalGrade

    with app.app_context():
        grades = db.session.execute(
            select(FinalGrade).where(FinalGrade.cycle_id == cycle_id)).scalars().all()
        counts = {"plans": [0, 0], "advice": [0, 0], "voice": [0, 0]}
        for grade in grades:
            voice = [c.grade >= 3 for c in grade.criteria if c.criterion_id == "child_voice"]
            good = grade.grade >= 3 and all(voice)
            kind = "plans" if grade.plan_id else "advice"
            counts[kind][0] += 1
            counts[kind][1] += good
            if voice:
                counts["voice"][0] += 1
                counts["voice"][1] += all(voice)
        return {key: (n, met) for key, (n, met) in counts.items()}


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_headline_equals_a_recount_of_the_final_grades(app: Flask) -> None:
    world = _world(app)
    content = _content(app, world.report_id)
    counted = _recount(app, world.cycle_id)
    rows = {row.title: row for row in content.headline}
    for title, key in (("EHC plans good or better", "plans"),
                       ("Advice good or better", "advice"),
                       ("Child's voice good or better", "voice")):
        n, met = counted[key]
        assert (rows[title].counted, rows[title].met) == (n, met), title
        assert rows[title].rate_text == f"{100 * met / n:.1f}%"
    assert counted["plans"] == (6, 5)
    plans = rows["EHC plans good or better"]
    assert (plans.target_text, plans.status_text) == ("80.0%", "On target")
    assert plans.trend_text == "Up 16.7 points from 66.7% in Summer term 2025"
    assert rows["Advice good or better"].trend_text == \
        "Down 16.7 points from 75.0% in Summer term 2025"
    assert all(row.status_text for row in content.headline)
    assert not content.stale and not content.provisional


def test_exceptions_are_exactly_the_agencies_below_target_or_worse(app: Flask) -> None:
    from qa_app.reporting.models import AggregationRun, RateSnapshot

    world = _world(app)
    content = _content(app, world.report_id)
    with app.app_context():
        def rows(cycle_id: int) -> dict[tuple, RateSnapshot]:
            run = db.session.execute(
                select(AggregationRun).where(AggregationRun.period_key == str(cycle_id))
                .order_by(AggregationRun.computed_at.desc()).limit(1)).scalar_one()
            return {(r.agency_id, r.measure, r.scope): r for r in run.rates
                    if r.agency_id is not None and not r.breakdown
                    and r.measure != "criterion_good_or_better"}

        now, before = rows(world.cycle_id), rows(world.previous_id)
        expected = set()
        for key, rate in now.items():
            if rate.target is None:
                continue
            earlier = before.get(key)
            fell = (earlier is not None and rate.n >= 5 and earlier.n >= 5
                    and 100 * rate.good / rate.n <= 100 * earlier.good / earlier.n - 5)
            if rate.rag == "red" or fell:
                expected.add(key)
    found = {(row.agency_id, row.measure, row.scope) for row in content.exceptions}
    assert found == expected
    assert found == {(world.health_id, "advice_good_or_better", "all"),
                     (world.psychology_id, "advice_good_or_better", "all")}
    why = {row.agency_name: row.why for row in content.exceptions}
    assert why == {"Community Paediatrics": "Below target; worse than Summer term 2025",
                   "Educational Psychology Service": "Worse than Summer term 2025"}
    assert all(row.request_id for row in content.exceptions), "each agency was asked"


def test_commentary_is_shown_and_missing_commentary_is_said(app: Flask) -> None:
    from qa_app.board.models import CommentaryRequest
    from qa_app.board.operations import save_commentary

    world = _world(app)
    with app.app_context():
        asked = db.session.execute(select(CommentaryRequest).where(
            CommentaryRequest.agency_id == world.health_id)).scalar_one()
        save_commentary(asked.id, "Two advisers left in the autumn; posts now filled.",
                        actor_id=world.manager_id, today=date.today())
        db.session.commit()
    content = _content(app, world.report_id)
    said = {row.agency_name: row.commentary_text for row in content.exceptions}
    assert said == {"Community Paediatrics": "Two advisers left in the autumn; posts now filled.",
                    "Educational Psychology Service": "No commentary received"}
    client = make.signed_in(app, world.manager_email)
    page = client.get(f"/board/{world.report_id}").get_data(as_text=True)
    assert "Two advisers left in the autumn; posts now filled." in page
    assert "No commentary received" in page
    assert 'role="region" aria-label="The partnership against its targets"' in page


def test_the_pdf_holds_the_headline_and_the_commentary(app: Flask) -> None:
    from qa_app.board.models import CommentaryRequest
    from qa_app.board.operations import save_commentary

    world = _world(app)
    with app.app_context():
        asked = db.session.execute(select(CommentaryRequest).where(
            CommentaryRequest.agency_id == world.health_id)).scalar_one()
        save_commentary(asked.id, "Recruitment of two advisers is complete.",
                        actor_id=world.manager_id, today=date.today())
        db.session.commit()
    client = make.signed_in(app, world.manager_email)
    response = client.get(f"/board/{world.report_id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert "Exceptions report to the partnership board: Autumn term 2025" in text
    assert "EHC plans good or better 6 5 83.3% 80.0% On target" in text
    assert "Advice good or better 12 7 58.3% 80.0% Near target" in text
    assert "Recruitment of two advisers is complete." in text
    assert "Community Paediatrics: Advice good or better" in text
    assert "No commentary received" in text
    assert "Draft for checking" in text


def test_a_pending_recalculation_refuses_the_pdf_and_the_final_report(app: Flask) -> None:
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.board.models import BoardReport

    world = _world(app)
    with app.app_context():
        grade = db.session.execute(select(FinalGrade).where(
            FinalGrade.cycle_id == world.cycle_id, FinalGrade.plan_id.is_not(None))
            .order_by(FinalGrade.id).limit(1)).scalar_one()
        make.regrade(grade.id, 1)
    client = make.signed_in(app, world.manager_email)
    page = client.get(f"/board/{world.report_id}").get_data(as_text=True)
    assert "These figures are not final" in page
    assert "being recalculated" in page
    refused = client.get(f"/board/{world.report_id}/report.pdf")
    assert refused.status_code == 409
    assert refused.mimetype == "text/html"
    assert "cannot be printed yet" in refused.get_data(as_text=True)
    check = client.get(f"/board/{world.report_id}/finalise").get_data(as_text=True)
    assert "The report cannot be made final yet" in check
    posted = client.post(f"/board/{world.report_id}/finalise",
                         data={"csrf_token": make.csrf_token(client, f"/board/{world.report_id}"),
                               "checked": "anything"})
    assert posted.status_code == 409
    with app.app_context():
        assert db.session.get(BoardReport, world.report_id).status == "collecting"


def test_an_open_cycle_is_provisional_and_refuses_the_pdf(app: Flask) -> None:
    world = _world(app, open_cycle=True)
    content = _content(app, world.report_id)
    assert content.provisional == (
        "The Autumn term 2025 audit cycle is still open, so its figures may change.",)
    client = make.signed_in(app, world.manager_email)
    page = client.get(f"/board/{world.report_id}").get_data(as_text=True)
    assert "(provisional)" in page
    assert client.get(f"/board/{world.report_id}/report.pdf").status_code == 409


def test_making_the_report_final_freezes_it_and_is_logged(app: Flask) -> None:
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.board.models import BoardReport

    world = _world(app)
    client = make.signed_in(app, world.manager_email)
    check = client.get(f"/board/{world.report_id}/finalise")
    assert check.status_code == 200
    html = check.get_data(as_text=True)
    checked = re.search(r'<input[^>]*name="checked"[^>]*value="([0-9a-f]{64})"', html)[1]
    token = make.csrf_token(client, f"/board/{world.report_id}/finalise")
    done = client.post(f"/board/{world.report_id}/finalise",
                       data={"csrf_token": token, "checked": checked})
    assert done.status_code == 302
    with app.app_context():
        report = db.session.get(BoardReport, world.report_id)
        assert report.status == "final" and report.content["final"] is True
        grade = db.session.execute(select(FinalGrade).where(
            FinalGrade.cycle_id == world.cycle_id).limit(1)).scalar_one()
        make.regrade(grade.id, 1)
    pdf = client.get(f"/board/{world.report_id}/report.pdf")
    assert pdf.status_code == 200, "a final report prints as it was made final"
    text = _pdf_text(pdf.data)
    assert "Final: made final on" in text
    assert "EHC plans good or better 6 5 83.3%" in text
    entries = make.log_entries(app, "board_report.finalise")
    assert len(entries) == 1 and entries[0].changes["exceptions"] == 2


def test_a_changed_report_must_be_checked_again(app: Flask) -> None:
    from qa_app.board.models import BoardReport

    world = _world(app)
    client = make.signed_in(app, world.manager_email)
    token = make.csrf_token(client, f"/board/{world.report_id}/finalise")
    posted = client.post(f"/board/{world.report_id}/finalise",
                         data={"csrf_token": token, "checked": "0" * 64})
    assert posted.status_code == 409
    assert "changed since you checked it" in posted.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(BoardReport, world.report_id).status == "collecting"


def test_one_report_per_cycle_and_a_board_date_in_the_future(app: Flask) -> None:
    world = _world(app, start_report=False)
    client = make.signed_in(app, world.manager_email)
    token = make.csrf_token(client, "/board/")
    past = client.post("/board/start", data={
        "csrf_token": token, "cycle_id": str(world.cycle_id),
        "board_date": ["1", "1", "2020"]})
    assert "The board date must be after today" in past.get_data(as_text=True)
    with app.app_context():
        from qa_app.board.models import BoardReport

        assert db.session.execute(select(BoardReport)).first() is None
        board_report(world.cycle_id, world.manager_id)
        db.session.commit()
    page = client.get("/board/").get_data(as_text=True)
    assert "Autumn term 2025" in page and "0 of 2" in page


def test_a_figure_on_too_few_records_is_marked_and_never_judged(app: Flask) -> None:
    from qa_app.board.content import Rules, headline
    from qa_app.reporting.queries import Rate

    def rate(n: int, good: int, rag: str | None) -> Rate:
        return Rate(1, "plans_good_or_better", "all", "", None, None, n, good, 0,
                    100 * good / n, None, None, 80.0, rag)

    with app.app_context():
        rows = headline([rate(3, 1, None)], {("plans_good_or_better", "all", None):
                                             rate(10, 9, "green")}, "Summer term 2025",
                        Rules(min_n=5, worse_points=5))
    assert len(rows) == 1
    assert rows[0].too_few and rows[0].status_text == "Too few to judge"
    assert rows[0].trend_text.startswith("Not compared: too few records")


def test_improvement_actions_are_listed_by_status(app: Flask) -> None:
    from qa_app.reporting.models import ImprovementAction

    world = _world(app)
    with app.app_context():
        opened = db.session.execute(select(ImprovementAction).where(
            ImprovementAction.agency_id == world.health_id)).scalars().all()
        assert [(a.measure, a.status) for a in opened] == [("advice_good_or_better", "open")]
    content = _content(app, world.report_id)
    listed = {(group.heading, item.agency_name, item.measure_text)
              for group in content.actions for item in group.items}
    assert listed == {("Open", "Community Paediatrics", "Advice good or better")}
    client = make.signed_in(app, world.manager_email)
    page = client.get(f"/board/{world.report_id}").get_data(as_text=True)
    assert 'aria-label="Improvement actions: Open"' in page
    text = _pdf_text(client.get(f"/board/{world.report_id}/report.pdf").data)
    assert "Open (1)" in text and "Community Paediatrics Advice good or better 2025/26" in text
