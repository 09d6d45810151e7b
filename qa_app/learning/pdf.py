"""The learning brief's PDF layout. Letterhead, fonts, styles and tables are the letters'
(qa_app/letters/pdf.py), imported so every document of the partnership looks alike."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from qa_app.learning.document import BriefContent
from qa_app.letters.pdf import (
    AUTHOR_SUFFIX,
    BODY,
    CELL,
    H1,
    H2,
    HEAD_NAME,
    LEAD_IN,
    NOTE,
    QUOTE,
    Heading,
    _build,
    _table,
    safe,
)


def _words(text: str) -> Paragraph:
    return Paragraph(safe(text), CELL)


def _by_type(content: BriefContent) -> list[Flowable]:
    if not content.by_type:
        return [Paragraph("No final grades were recorded in this cycle.", BODY)]
    story: list[Flowable] = []
    for group in content.by_type:
        head = Paragraph(f"<b>{safe(group.type_words)}</b> ({group.graded} final "
                         f"{'grade' if group.graded == 1 else 'grades'})", LEAD_IN)
        if not group.criteria:
            story += [head, Paragraph("No criterion was graded below good.", BODY)]
            continue
        rows: list[list[Any]] = [["Criterion", "Below good", "Graded", "Share below good"]]
        rows += [[_words(c.title), c.below.met, c.below.n, c.below.percent]
                 for c in group.criteria]
        story += [KeepTogether([head, _table(rows, [w * mm for w in (76, 26, 22, 42)],
                                             numeric_from=1)]), Spacer(1, 4 * mm)]
    return story


def _changes(content: BriefContent) -> list[Flowable]:
    if content.previous_cycle_name is None:
        return [Paragraph("There is no earlier cycle to compare with.", BODY)]
    story: list[Flowable] = []
    if content.improved:
        rows: list[list[Any]] = [["Criterion", content.cycle_name,
                                  content.previous_cycle_name, "Change"]]
        rows += [[_words(c.title), _words(c.now.text), _words(c.before.text),
                  _words(c.points_text)] for c in content.improved]
        story.append(_table(rows, [w * mm for w in (50, 40, 40, 36)], numeric_from=99))
    else:
        story.append(Paragraph("No criterion's share of good or better grades rose on enough "
                               "records to compare.", BODY))
    if content.not_improved:
        story.append(Paragraph(f"{content.not_improved} other "
                               f"{'criterion' if content.not_improved == 1 else 'criteria'} "
                               "did not improve.", NOTE))
    if content.too_few:
        story.append(Paragraph(
            f"Too few to compare (fewer than {content.min_n} grades in one of the cycles): "
            + safe("; ".join(f"{c.title} ({c.now.n} now, {c.before.n} before)"
                             for c in content.too_few)) + ".", NOTE))
    return story


def _examples(content: BriefContent) -> list[Flowable]:
    if not content.examples:
        return [Paragraph("No approved example is held yet for the criteria above.", BODY)]
    story: list[Flowable] = []
    for example in content.examples:
        story.append(KeepTogether([
            Paragraph(f"<b>{safe(example.criterion_title)}</b>: {safe(example.subject_text)}, "
                      f"{safe(example.agency_name)}", LEAD_IN),
            Paragraph(safe(example.excerpt), QUOTE)]))
    return story


def _reaudits(content: BriefContent) -> list[Flowable]:
    if not content.reaudits:
        return [Paragraph("No plan or advice marked for re-audit was in this cycle's sample.",
                          BODY)]
    rows: list[list[Any]] = [["Agency", "What", "Before", "After", "Outcome"]]
    rows += [[_words(r.agency_name), _words(r.subject_text), _words(r.before_text),
              _words(r.after_text or "–"), _words(r.outcome_text)] for r in content.reaudits]
    return [_table(rows, [w * mm for w in (40, 30, 32, 32, 32)])]


def _challenges(content: BriefContent) -> list[Flowable]:
    c = content.challenges
    assert c is not None
    if not c.raised:
        return [Paragraph("No final grade was challenged in this cycle.", BODY)]
    rows: list[list[Any]] = [["Raised", "Waiting", "Upheld", "Changed"],
                             [c.raised, c.waiting, c.upheld, c.changed]]
    return [_table(rows, [w * mm for w in (40, 40, 40, 40)], numeric_from=0)]


def brief_pdf(content: BriefContent) -> bytes:
    """Only a final brief is printed (the views refuse an unfinished cycle's)."""
    title = f"Learning brief: {content.cycle_name}"
    state = (f"Published on {content.published_on}" if content.published
             else "Draft for checking: not yet published")
    story: list[Flowable] = [
        Paragraph(safe(content.partnership), HEAD_NAME), Spacer(1, 4 * mm), Heading(title, H1),
        Paragraph(f"For the partnership board and the workforce. {safe(state)}. "
                  f"{content.graded} final grades counted.", BODY),
        Heading("Criteria most often below good, by agency type", H2),
        Paragraph("From the cycle's final grades, criterion by criterion.", LEAD_IN),
        *_by_type(content),
        Heading(f"What improved since {content.previous_cycle_name or 'the last cycle'}", H2),
        Paragraph(f"Criteria whose share of good or better grades rose, each counted on at "
                  f"least {content.min_n} grades in both cycles.", LEAD_IN),
        *_changes(content),
        Heading("Good-practice examples", H2),
        Paragraph("Approved short excerpts for the criteria above, checked by a panel chair "
                  "to hold nothing that identifies a child.", LEAD_IN),
        *_examples(content),
    ]
    if content.reaudits is not None:
        story += [Heading("Re-audits", H2), *_reaudits(content)]
    if content.challenges is not None:
        story += [Heading("Challenges to final grades", H2), *_challenges(content)]
    story.append(Paragraph("This PDF is not tagged for assistive technology; the same brief "
                           "is an accessible web page in the service.", NOTE))
    return _build(story, title=title, subject=f"Learning brief for {content.cycle_name}",
                  author=f"{content.partnership} {AUTHOR_SUFFIX}",
                  reference=f"QA/{content.cycle_id}/learning-brief",
                  draft=not content.published)
