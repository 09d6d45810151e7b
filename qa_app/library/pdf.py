"""A booklet of one criterion's approved examples of good practice (the criterion of one
practice standard: "outcomes" of the plan standard is not "outcomes" of health advice).
Its look (fonts, styles, letterhead, page footer) is the letters' (qa_app/letters/pdf.py).
It names each example's agency and advice type, never the plan or advice it came from."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from qa_app.letters.pdf import (
    AUTHOR_SUFFIX,
    BODY,
    H1,
    H2,
    HEAD_NAME,
    NOTE,
    QUOTE,
    Heading,
    _build,
    _paragraphs,
    safe,
)
from qa_app.library.queries import GoodPracticeExample


def booklet_pdf(heading: str, standard_title: str, examples: Sequence[GoodPracticeExample],
                partnership: str) -> bytes:
    """Deterministic bytes for the same examples: no dates or times are printed."""
    title = f"Examples of good practice: {heading}"
    story: list[Flowable] = [Paragraph(safe(partnership), HEAD_NAME), Spacer(1, 4 * mm),
                             Heading(title, H1)]
    story.append(Paragraph(
        "Short excerpts from audited EHC plans and advice that the multi-agency audit panel "
        f"judged an example of good practice for this criterion of the {safe(standard_title)}. "
        "Each was checked by the panel chair so that it identifies no child or family.", BODY))
    for example in examples:
        lead_in = f"{example.reference}: {example.subject_text}, {example.agency_name}"
        story.append(KeepTogether([Heading(lead_in, H2, level=1),
                                   *_paragraphs(example.excerpt, QUOTE)]))
    story.append(Paragraph("This PDF is not tagged for assistive technology; the same "
                           "examples are accessible web pages in the good-practice library "
                           "of the service.", NOTE))
    return _build(story, title=title, subject=title,
                  author=f"{partnership} {AUTHOR_SUFFIX}", reference="good-practice library")
