"""The board report's PDF layout. The letterhead, fonts, styles and table builder are the
letters' (qa_app/letters/pdf.py), imported so both documents look alike."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from qa_app.board.document import ReportContent
from qa_app.letters.pdf import (
    AUTHOR_SUFFIX,
    BODY,
    CELL,
    H1,
    H2,
    HEAD_NAME,
    LEAD_IN,
    NOTE,
    RAG_COLOURS,
    Heading,
    _build,
    _paragraphs,
    _table,
    safe,
)

NOT_FINAL = "Not final: "


def _words(text: str) -> Paragraph:
    """Text in a figures table that reads left to right, not as a number."""
    return Paragraph(safe(text), CELL)


def _status_cell(key: str, words: str) -> Any:
    if key not in RAG_COLOURS:
        return _words(words)
    _fill, ink = RAG_COLOURS[key]
    return Paragraph(f'<font color="{ink}"><b>{safe(words)}</b></font>', CELL)


def _fills(rows: list[Any], column: int) -> list[tuple[Any, ...]]:
    """Status and trend columns read as words; each status cell is filled in its colour."""
    fills = [("BACKGROUND", (column, index), (column, index),
              colors.HexColor(RAG_COLOURS[key][0]))
             for index, key in enumerate(rows, start=1) if key in RAG_COLOURS]
    return [("ALIGN", (column, 0), (-1, -1), "LEFT"), *fills]


def _headline(content: ReportContent) -> list[Flowable]:
    rows: list[list[Any]] = [["Measure", "Counted", "Met", "Rate", "Target", "Status",
                              "Since last cycle"]]
    for row in content.headline:
        status = (f"{row.status_text} (fewer than {content.min_n} records)" if row.too_few
                  else row.status_text)
        rows.append([row.title, row.counted, row.met, row.rate_text, row.target_text,
                     _status_cell(row.status_key, status), _words(row.trend_text)])
    table = _table(rows, [w * mm for w in (38, 19, 13, 18, 16, 24, 38)], numeric_from=1,
                   extra=_fills([r.status_key for r in content.headline], 5))
    return [table] if content.headline else [
        Paragraph("No partnership figures have been calculated for this cycle.", BODY)]


def _shown(good: int | None) -> Any:
    return "Not shown" if good is None else good


def _voices(content: ReportContent) -> list[Flowable]:
    voices = content.voices
    if voices is None:
        return []
    family = voices.family
    status = (f"{family.status_text} (fewer than {content.min_n} answers)" if family.too_few
              else family.status_text)
    story: list[Flowable] = [
        Heading("What families and practitioners say", H2),
        Paragraph(f"From the surveys, for the whole partnership only. A share counted from "
                  f"fewer than {content.min_n} answers is too few to judge and is not shown. "
                  "No written answer is ever shown here.", LEAD_IN),
        _table([["Measure", "Answers", "Good or better", "Rate", "Target", "Status"],
                [family.title, family.counted, _shown(family.good), family.rate_text,
                 family.target_text, _status_cell(family.status_key, status)]],
               [w * mm for w in (52, 20, 24, 24, 18, 28)], numeric_from=1,
               extra=_fills([family.status_key], 5))]
    if voices.practitioner_run is None:
        return [*story, Paragraph(f"No practitioner survey closed during "
                                  f"{safe(content.cycle_name)}.", BODY)]
    rows: list[list[Any]] = [["Question", "Answers", "Confident or better", "Rate"]]
    rows += [[_words(row.title), row.counted, _shown(row.good), row.rate_text]
             for row in voices.practitioners]
    return [*story, Spacer(1, 3 * mm),
            Paragraph(f"Practitioners rating themselves confident or better: "
                      f"{safe(voices.practitioner_run)} (closed "
                      f"{safe(voices.practitioner_closed or '')}).", NOTE),
            _table(rows, [w * mm for w in (90, 22, 32, 22)], numeric_from=1)]


def _exceptions(content: ReportContent) -> list[Flowable]:
    if not content.exceptions:
        return [Paragraph("No agency's figure is below its target or worse than last cycle.",
                          BODY)]
    story: list[Flowable] = []
    for row in content.exceptions:
        table = _table(
            [["Counted", "Met", "Rate", "Target", "Status", "Since last cycle"],
             [row.counted, row.met, row.rate_text, row.target_text,
              _status_cell(row.status_key, row.status_text), _words(row.previous_text)]],
            [w * mm for w in (20, 14, 20, 17, 25, 70)], numeric_from=0,
            extra=_fills([row.status_key], 4))
        said = (f"<b>Commentary from {safe(row.agency_name)}</b>"
                + (f" (recorded {safe(row.commented_on)})" if row.commented_on else ""))
        story.append(KeepTogether([
            Paragraph(f"<b>{safe(row.agency_name)}: {safe(row.title)}</b>", LEAD_IN),
            Paragraph(f"Why it is here: {safe(row.why)}", NOTE),
            table, Spacer(1, 2 * mm), Paragraph(said, NOTE),
            *(_paragraphs(row.commentary) if row.commentary else
              [Paragraph(safe(row.commentary_text), BODY)]),
            Spacer(1, 4 * mm),
        ]))
    return story


def _actions(content: ReportContent) -> list[Flowable]:
    story: list[Flowable] = []
    if content.actions_note:
        story.append(Paragraph(safe(content.actions_note), NOTE))
    if not any(group.items for group in content.actions):
        return [*story, Paragraph("There are no improvement actions.", BODY)]
    for group in content.actions:
        if not group.items:
            continue
        rows: list[list[Any]] = [["Agency", "Measure", "Year", "Owner", "Due", "Status"]]
        rows += [[i.agency_name, i.measure_text, i.academic_year, i.owner_name,
                  i.due_text + (" (overdue)" if i.overdue else ""), i.status_text]
                 for i in group.items]
        story += [Heading(f"{group.heading} ({len(group.items)})", H2, level=1),
                  _table(rows, [w * mm for w in (34, 40, 17, 27, 25, 23)], whole=(2,))]
    return story


def report_pdf(content: ReportContent) -> bytes:
    title = f"Exceptions report to the partnership board: {content.cycle_name}"
    story: list[Flowable] = [Paragraph(safe(content.partnership), HEAD_NAME),
                             Spacer(1, 4 * mm), Heading(title, H1)]
    state = (f"Final: made final on {content.finalised_on}" if content.final
             else "Draft for checking: not yet final")
    story += [Paragraph(f"For the board meeting on {safe(content.board_date)}. {safe(state)}.",
                        BODY),
              Paragraph(f"Figures calculated at {safe(content.computed_at or 'no time')}; "
                        f"previous cycle: {safe(content.previous_cycle_name or 'none')}.", NOTE)]
    for reason in (*content.stale, *content.provisional):
        story.append(Paragraph(f"<b>{NOT_FINAL}</b>{safe(reason)}", BODY))
    story += [Heading("The partnership against its targets", H2),
              Paragraph(f"Every measure with a figure for the whole partnership. A rate counted "
                        f"on fewer than {content.min_n} records is too few to judge and is "
                        "never given a status.", LEAD_IN),
              *_headline(content), *_voices(content)]
    story += [Heading("Exceptions, with each agency's commentary", H2),
              Paragraph(f"Only agencies' figures below target, or down at least "
                        f"{content.worse_points:g} points since the previous cycle (both "
                        f"counted on at least {content.min_n} records).", LEAD_IN),
              *_exceptions(content)]
    story += [Heading("Improvement actions", H2), *_actions(content)]
    story.append(Paragraph("This PDF is not tagged for assistive technology; the same report "
                           "is an accessible web page in the service.", NOTE))
    return _build(story, title=title, subject=f"Board report for {content.cycle_name}",
                  author=f"{content.partnership} {AUTHOR_SUFFIX}",
                  reference=f"QA/{content.cycle_id}/board-report", draft=not content.final)
