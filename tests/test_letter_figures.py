"""A letter writes its rates the one way every figure is written (reporting.labels): on the
page and in the PDF, never rounded onto the other side of the target."""

from __future__ import annotations

import io
from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from qa_app.letters.document import Facts, Figure, Finding, Rate
from qa_app.reporting.labels import percent_text


@given(n=st.integers(1, 5000), share=st.fractions(0, 1),
       target=st.one_of(st.none(), st.integers(0, 1000).map(lambda t: t / 10)))
def test_a_letter_rate_reads_as_every_rate_does(n: int, share: Fraction,
                                                target: float | None) -> None:
    good = int(share * n)
    assert Rate(n=n, good=good, target=target).percent_text == \
        percent_text(Fraction(100 * good, n), target)


def test_a_rate_just_short_of_its_target_is_not_rounded_up_to_it() -> None:
    short = Rate(n=10_000, good=7_996, target=80.0, rag="amber")
    assert short.percent_text == "79.9%"
    assert Rate(n=10_000, good=7_996).percent_text == "80.0%"
    assert Rate(n=0, good=0, target=80.0).percent_text == "Not audited"


def test_the_letter_pdf_and_page_show_the_same_words(app) -> None:
    from flask import render_template_string
    from pypdf import PdfReader

    from qa_app.letters.document import LetterContent, Letterhead, long_date
    from qa_app.letters.pdf import letter_pdf, salutation

    short = Rate(n=10_000, good=7_996, target=80.0, rag="amber")
    facts = Facts(
        agency_id=1, agency_name="SEND Casework Team", cycle_id=1, cycle_name="Autumn 2025",
        academic_year="2025/26", previous_cycle_name=None, plans=10_000, advice=0,
        figures=(Figure("EHC plans rated good or better", short, None),),
        strengths=(), areas=(Finding("outcomes", "Outcomes", short, ()),), items=(),
        response_working_days=20)
    content = LetterContent(
        Letterhead("Example SEND Partnership"), facts, "QA/1/1/v1", 1, True, date(2026, 1, 5),
        None, "Opening.", "Strengths.", "Areas.", "A chair", "Chair", "/letters/1",
        "The lead for SEND Casework Team")
    pdf = PdfReader(io.BytesIO(letter_pdf(content)))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "10000 7996 79.9% 80.0% Near target" in text.replace(",", "")
    assert "Outcomes: 7996 of 10000 rated good or better (79.9%)" in text.replace(",", "")
    with app.test_request_context():
        html = render_template_string(
            '{% from "letters/_letter.html" import letter_body with context %}'
            "{{ letter_body(content, content.shown_facts) }}",
            content=content, long_date=long_date, salutation=salutation)
    assert "79.9%" in html and "80.0%" in html and "Near target" in html
