"""Letters for 150 agencies on one worker: total time, median ms per letter and peak memory,
beside a bare ReportLab document of the same length and tables built in the same run.

    python benchmarks/letters.py [--agencies 150] [--items 8] [--database-url URL]

Each letter is generated through the `generate_letter` task, run in this process as one
worker would run it (read the rates and grades, assemble, lay out, store, commit). The
baseline lays out the same paragraphs and tables with ReportLab's plain SimpleDocTemplate
and built-in Helvetica: no embedded fonts, outline, footer or database. Goals: within 2x
the baseline per letter, and under 60 seconds for all letters.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOTES = ("Outcomes describe services rather than what will change for the child.",
         "Provision uses 'access to' without hours or staffing.",
         "Views gathered directly and quoted in the child's words.")


def seed(agencies: int, items: int) -> tuple[int, list[int]]:
    """Two cycles; per agency `items` graded pieces of advice with notes, and its rates."""
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
    from qa_app.audits.scoring.models import Audit, AuditScore
    from qa_app.extensions import db
    from qa_app.register.models import Advice, Agency, Plan
    from qa_app.reporting.models import AggregationRun, RateSnapshot
    from qa_app.standards.operations import load_rubric_files

    version = load_rubric_files().current["advice-health"]
    previous = Cycle(name="Summer term 2025", start_date=date(2025, 4, 22),
                     end_date=date(2025, 7, 18), academic_year="2024/25", status="closed")
    cycle = Cycle(name="Autumn term 2025", start_date=date(2025, 9, 1),
                  end_date=date(2025, 12, 19), academic_year="2025/26", status="closed")
    casework = Agency(name="SEND Casework Team", type="local_authority")
    db.session.add_all([previous, cycle, casework])
    db.session.flush()
    runs = {previous.id: AggregationRun(period_kind="cycle", period_key=str(previous.id),
                                        inputs_hash="bench", computed_at=datetime(2025, 12, 20))}
    db.session.add_all(runs.values())
    db.session.flush()
    ids = []
    for a in range(agencies):
        agency = Agency(name=f"Health provider {a + 1:03d}", type="health")
        db.session.add(agency)
        db.session.flush()
        ids.append(agency.id)
        for i in range(items):
            plan = Plan(ref=f"EHCP-B-{a:03d}-{i:02d}", agency_id=casework.id, nc_year=5,
                        plan_kind="new")
            db.session.add(plan)
            db.session.flush()
            advice = Advice(ref=f"ADV-B-{a:03d}-{i:02d}", plan_id=plan.id, agency_id=agency.id,
                            advice_type="health", requested_date=date(2025, 9, 1),
                            due_date=date(2025, 10, 13), received_date=date(2025, 10, 10))
            db.session.add(advice)
            db.session.flush()
            grades = {"child_voice": 3 + (i % 2), "outcomes": 2 + (i % 3 == 0),
                      "provision": 2 + (i % 2), "needs": 3}
            overall = min(grades.values())
            db.session.add(FinalGrade(
                cycle_id=cycle.id, advice_id=advice.id, rubric_version_id=version.id,
                academic_year="2025/26", audit_date=date(2025, 12, 12), grade=overall,
                good_or_better=overall >= 3, method="agreed",
                criteria=[FinalCriterionGrade(criterion_id=c, grade=g, good_or_better=g >= 3)
                          for c, g in grades.items()]))
            db.session.add(Audit(
                cycle_id=cycle.id, advice_id=advice.id, rubric_version_id=version.id,
                status="submitted", computed_grade=overall,
                scores=[AuditScore(criterion_id=c, grade=g, evidence=NOTES[(i + k) % 3])
                        for k, (c, g) in enumerate(grades.items())]))
        good = (items + 1) // 2
        for run_cycle, n, met in ((previous.id, items, good - 1),):
            run = runs[run_cycle]
            for measure, scope, breakdown, count in (
                    ("advice_good_or_better", "all", "", met),
                    ("advice_on_time", "all", "", n),
                    ("child_voice_good_or_better", "all", "", n),
                    ("criterion_good_or_better", "advice", "child_voice", n),
                    ("criterion_good_or_better", "advice", "outcomes", met // 2),
                    ("criterion_good_or_better", "advice", "provision", met),
                    ("criterion_good_or_better", "advice", "needs", n)):
                db.session.add(RateSnapshot(
                    run_id=run.id, measure=measure, scope=scope, breakdown=breakdown,
                    agency_id=agency.id, n=n, good=count, rate=100 * count / n,
                    target=None if breakdown else 80.0,
                    rag=None if breakdown else ("green" if count / n >= 0.8 else "red")))
    db.session.commit()
    # The current cycle's figures come from the real aggregation, so they equal a recount
    # and the letters may be written from them.
    from qa_app.reporting.operations import run_aggregation

    run_aggregation("cycle", str(cycle.id))
    db.session.commit()
    return cycle.id, ids


def bare_document(content: dict) -> bytes:
    """The same paragraphs and tables as the letter, laid out the plainest way ReportLab
    offers: SimpleDocTemplate, the sample styles, built-in Helvetica, plain table cells."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table

    from qa_app.letters.document import LetterContent, long_date

    letter = LetterContent.from_json(content)
    facts = letter.shown_facts
    styles = getSampleStyleSheet()

    def para(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story = [para(letter.letterhead.name, "Title"), *map(para, letter.letterhead.address),
             para(long_date(letter.letter_date)), para(f"Our reference: {letter.reference}"),
             para(letter.addressee), para(facts.agency_name), para(f"Dear {letter.addressee},"),
             para(letter.subject, "Heading1"), para(letter.opening),
             para("Your agency's figures", "Heading2"), para("Counted is the work audited."),
             Table([["Measure", "Counted", "Met", "Rate", "Target", "Status", "Previous"]] + [
                 [f.label, f.current.n, f.current.good, f"{f.current.percent:.0f}%",
                  f.current.target, f.rag_words, f.previous.n if f.previous else "-"]
                 for f in facts.figures if f.current])]
    for heading, text, findings in (("Strengths", letter.strengths_text, facts.strengths),
                                    ("Areas for development", letter.areas_text, facts.areas)):
        story += [para(heading, "Heading2"), para(text)]
        for finding in findings:
            story.append(para(f"{finding.title}: {finding.rate.good} of {finding.rate.n}"))
            story += [para(e.text, "Italic") for e in finding.evidence]
    story += [para("Your formal response", "Heading2"), para(letter.response_request),
              para(f"Accessible web page: {letter.html_location}"), para("Yours sincerely,"),
              para(letter.signatory), para(letter.signatory_role),
              para(letter.letterhead.name), PageBreak(),
              para("Appendix: the audited work", "Heading1"), para("Each plan is listed."),
              Table([["Reference", "Work audited", "Practice standard", "Final grade", "Good"]] +
                    [[i.reference, i.kind, i.standard, i.grade, i.good_or_better]
                     for i in facts.items], repeatRows=1)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def peak_kib(action) -> float:
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=150)
    parser.add_argument("--items", type=int, default=8, help="audited items per agency")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from qa_app import create_app
    from qa_app.extensions import db
    from qa_app.letters.document import LetterContent
    from qa_app.letters.models import Letter
    from qa_app.letters.pdf import letter_pdf

    workdir = Path(tempfile.mkdtemp(prefix="letters-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"ENV_NAME": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(workdir)})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        cycle_id, agency_ids = seed(args.agencies, args.items)
        print(f"Seeded {len(agency_ids)} agencies x {args.items} audited items "
              f"in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        task = app.extensions["celery"].tasks["workers.tasks.generate_letter"]
        # As the cycle's job does: check the figures and the sample once, then one task per
        # agency (told the figures were just checked).
        from qa_app.audits.cycles.models import Cycle
        from qa_app.letters.readiness import check_can_write

        check_can_write(db.session.get(Cycle, cycle_id), partial=False)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        per_letter = []
        started = time.perf_counter()
        for agency_id in agency_ids:
            one = time.perf_counter()
            outcome = task.apply(args=(agency_id, cycle_id, None, False, True)).get()
            per_letter.append(time.perf_counter() - one)
            assert outcome["outcome"] == "new", outcome
        total = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        letters = db.session.execute(select(Letter).order_by(Letter.id)).scalars().all()
        contents = [letter.content for letter in letters]
        pages = [page_count(letter.pdf) for letter in letters]

    bare_times = []
    bare_pages = []
    bare_started = time.perf_counter()
    for content in contents:
        one = time.perf_counter()
        bare = bare_document(content)
        bare_times.append(time.perf_counter() - one)
        bare_pages.append(page_count(bare))
    bare_total = time.perf_counter() - bare_started
    layout_times = []
    for content in contents:
        one = time.perf_counter()
        letter_pdf(LetterContent.from_json(content))
        layout_times.append(time.perf_counter() - one)
    sample = contents[0]
    letter_peak = peak_kib(lambda: letter_pdf(LetterContent.from_json(sample)))
    bare_peak = peak_kib(lambda: bare_document(sample))

    median = statistics.median(per_letter) * 1000
    median_bare = statistics.median(bare_times) * 1000
    median_layout = statistics.median(layout_times) * 1000
    print(f"Letters: {len(per_letter)} in {total:.2f} s on one worker "
          f"(goal: under 60 s) - {'met' if total < 60 else 'MISSED'}")
    print(f"  median per letter (task: read, assemble, lay out, store, commit): {median:.1f} ms")
    print(f"  median layout only (pdf.letter_pdf): {median_layout:.1f} ms; "
          f"pages per letter: {min(pages)}-{max(pages)}")
    print(f"Bare ReportLab documents: {len(bare_times)} in {bare_total:.2f} s, "
          f"median {median_bare:.1f} ms; pages per document: {min(bare_pages)}-{max(bare_pages)}")
    print(f"Ratio per letter, task / bare: {median / median_bare:.2f}x "
          f"(goal: within 2x) - {'met' if median / median_bare <= 2 else 'MISSED'}")
    print(f"Ratio per letter, layout only / bare: {median_layout / median_bare:.2f}x")
    print(f"Peak memory: process max RSS {rss_after / 1024:.0f} MiB (grew "
          f"{(rss_after - rss_before) / 1024:.0f} MiB while generating); one letter "
          f"{letter_peak:.0f} KiB traced vs bare {bare_peak:.0f} KiB "
          f"({letter_peak / bare_peak:.2f}x)")


if __name__ == "__main__":
    main()
