"""The letter layout: every PDF the letters feature writes is laid out here, with ReportLab.

Documents are built in ReportLab's invariant mode, so the same content always gives the
same bytes. Fonts are TrueType and embedded (DejaVu Sans where the system has it, else the
Bitstream Vera that ships with ReportLab). All text supplied by people is escaped before it
reaches Paragraph markup. ReportLab cannot write tagged PDF, so each letter names the
accessible web page that carries the same content.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from qa_app.letters.document import (
    BoardPack,
    Figure,
    Finding,
    LetterContent,
    ResponseSheet,
    long_date,
)
from qa_app.text import clean_text, unix_newlines

MARKING = "OFFICIAL-SENSITIVE"
AUTHOR_SUFFIX = "multi-agency audit panel"
FONT, BOLD, ITALIC = "LetterSans", "LetterSans-Bold", "LetterSans-Italic"
_SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_FACES = {
    FONT: ("DejaVuSans.ttf", "Vera.ttf"),
    BOLD: ("DejaVuSans-Bold.ttf", "VeraBd.ttf"),
    ITALIC: ("DejaVuSans-Oblique.ttf", "VeraIt.ttf"),
    "LetterSans-BoldItalic": ("DejaVuSans-BoldOblique.ttf", "VeraBI.ttf"),
}
RAG_COLOURS = {
    "green": ("#cce2d8", "#005a30"),
    "amber": ("#fff7bf", "#594d00"),
    "red": ("#f4cdc6", "#942514"),
}
GRID = colors.HexColor("#b1b4b6")
HEAD_FILL = colors.HexColor("#f3f2f1")
rl_config.useA85 = 0  # binary streams: ASCII85 only makes files bigger and slower to write
_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """Register the letter fonts once; return the code points the regular face can draw."""
    use_system = all((_SYSTEM_FONTS / files[0]).exists() for files in _FACES.values())
    bundled = Path(reportlab.__file__).parent / "fonts"
    for name, (system, fallback) in _FACES.items():
        path = _SYSTEM_FONTS / system if use_system else bundled / fallback
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC,
                                  boldItalic="LetterSans-BoldItalic")
    return frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def drawable(text: str | None) -> str:
    """Text the embedded font can draw: CRLF and CR (stored before text was cleaned on the
    way in) become line breaks, other control characters spaces; characters the font lacks
    (emoji, most non-Latin scripts in Vera) become the replacement character, or "?" where
    the font has none; so do characters beyond the Basic Multilingual Plane, as ReportLab
    cannot map them back to text."""
    glyphs = _glyphs()
    fallback = "\ufffd" if 0xFFFD in glyphs else "?"
    cleaned = unicodedata.normalize("NFC", _INVALID.sub(" ", unix_newlines(text or "")))
    if cleaned.isascii() and cleaned.isprintable():
        return cleaned
    return "".join(
        ch if (ord(ch) in glyphs and ord(ch) <= 0xFFFF) or ch in "\n\t"
        else "" if unicodedata.category(ch) in {"Mn", "Cf"} and ord(ch) not in glyphs
        else fallback
        for ch in cleaned
    )


def safe(text: str | None) -> str:
    """Plain text made safe for Paragraph markup: drawable, escaped, line breaks kept.
    Nothing a person typed is ever interpreted as markup."""
    return escape(drawable(text)).replace("\n", "<br/>")


def _style(name: str, size: float = 10, **extra: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=extra.pop("font", FONT), bulletFontName=FONT,
                          fontSize=size,
                          leading=extra.pop("leading", size * 1.35), **extra)


_glyphs()
MIN_TEXT_SIZE = 10
"""No text a reader needs is smaller: notes, quotations and table cells included. Every
text colour has a contrast of at least 4.5:1 on its background (WCAG AA)."""
BODY = _style("body", 10.5, spaceAfter=7)
NOTE = _style("note", MIN_TEXT_SIZE, spaceAfter=4)
LEAD_IN = _style("leadin", MIN_TEXT_SIZE, spaceAfter=4, keepWithNext=1)
CELL = _style("cell", MIN_TEXT_SIZE, splitLongWords=0)
CELL_HEAD = _style("cellhead", MIN_TEXT_SIZE, font=BOLD, splitLongWords=0)
CELL_NUM = _style("cellnum", MIN_TEXT_SIZE, alignment=TA_RIGHT, splitLongWords=0)
QUOTE = _style("quote", MIN_TEXT_SIZE, leftIndent=8 * mm, spaceAfter=4,
               textColor=colors.HexColor("#383f43"))
BULLET = _style("bullet", 10.5, leftIndent=6 * mm, bulletIndent=1 * mm, spaceAfter=3)
H1 = _style("h1", 14, font=BOLD, spaceBefore=6, spaceAfter=8, keepWithNext=1)
H2 = _style("h2", 12, font=BOLD, spaceBefore=10, spaceAfter=6, keepWithNext=1)
HEAD_NAME = _style("letterhead", 16, font=BOLD, spaceAfter=2)
RIGHT = _style("right", 10, alignment=TA_RIGHT)


class Heading(Paragraph):
    """A heading that also becomes a bookmark in the PDF outline."""

    def __init__(self, text: str, style: ParagraphStyle, level: int = 0) -> None:
        super().__init__(safe(text), style)
        self.outline_title = text
        self.outline_level = level


class _Document(BaseDocTemplate):
    """A4, marked at top and bottom, with the reference and "Page X of Y" in the footer."""

    def __init__(self, buffer: io.BytesIO, *, title: str, subject: str, author: str,
                 reference: str, draft: bool = False) -> None:
        super().__init__(
            buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=22 * mm,
            bottomMargin=22 * mm, title=title, subject=subject, author=author,
            creator="EHCP quality assurance", lang="en-GB", invariant=1,
            initialFontName=FONT, displayDocTitle=True,
        )
        self.reference = reference
        self.draft = draft
        self._bookmarks = 0
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPage=self._decorate)])

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            self._bookmarks += 1
            key = f"section-{self._bookmarks}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title, key, flowable.outline_level)

    def _decorate(self, canv: Any, doc: BaseDocTemplate) -> None:
        width, height = self.pagesize
        canv.saveState()
        canv.setFont(BOLD, 9)
        canv.drawCentredString(width / 2, height - 12 * mm, MARKING)
        canv.setFont(FONT, 8)
        canv.drawString(self.leftMargin, 12 * mm, f"Reference {self.reference}")
        canv.drawCentredString(width / 2, 12 * mm, MARKING)
        label = f"Page {doc.page} of "
        total_width = canv.stringWidth("999", FONT, 8)
        right = width - self.rightMargin
        canv.drawRightString(right - total_width, 12 * mm, label)
        canv.translate(right - total_width, 12 * mm)
        canv.doForm("page-total")
        canv.restoreState()
        if self.draft:
            canv.saveState()
            canv.setFont(BOLD, 72)
            canv.setFillColor(colors.HexColor("#dddddd"))
            canv.translate(width / 2, height / 2)
            canv.rotate(45)
            canv.drawCentredString(0, 0, "DRAFT")
            canv.restoreState()

    def _endBuild(self) -> None:
        """The page total is a form drawn on every page, defined once the total is known."""
        canv = self.canv
        canv.beginForm("page-total")
        canv.setFont(FONT, 8)
        canv.drawString(0, 0, str(self.page))
        canv.endForm()
        canv.showOutline()
        super()._endBuild()


def _build(story: list[Flowable], **document: Any) -> bytes:
    buffer = io.BytesIO()
    _Document(buffer, **document).build(story)
    return buffer.getvalue()


def _paragraphs(text: str | None, style: ParagraphStyle = BODY) -> list[Flowable]:
    blocks = re.split(r"\n\s*\n", clean_text(text or "").strip())
    return [Paragraph(safe(block), style) for block in blocks if block.strip()]


CELL_PADDING = 6


def _cell(value: Any, width: float, style: ParagraphStyle) -> Any:
    """Short text is drawn as a plain string (no markup is parsed at all); text that needs
    wrapping becomes an escaped Paragraph."""
    if isinstance(value, Flowable):
        return value
    text = drawable(str(value))
    room = width - 2 * CELL_PADDING
    if "\n" not in text and pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= room:
        return text
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _narrowest(rows: list[list[Any]], column: int) -> float:
    """The width a column needs so that no word in it overflows (headings are bold)."""
    def longest(values: Iterable[Any], font: str) -> float:
        words = (w for v in values if not isinstance(v, Flowable)
                 for w in drawable(str(v)).split())
        return max((pdfmetrics.stringWidth(w, font, CELL.fontSize) for w in words), default=0)

    return 2 * CELL_PADDING + max(longest([rows[0][column]], BOLD),
                                  longest([row[column] for row in rows[1:]], FONT))


def _fit_whole(rows: list[list[Any]], widths: list[float],
               whole: set[int]) -> tuple[list[float], list[tuple[Any, ...]]]:
    """Columns of references are never wrapped: each is widened to its longest value, taking
    room from the other columns down to their longest word; a value still too long is set
    smaller, on one line, rather than split."""
    widths = list(widths)
    smaller: list[tuple[Any, ...]] = []
    for c in sorted(whole):
        texts = [drawable(str(row[c])).replace("\n", " ") for row in rows[1:]]
        longest = max((pdfmetrics.stringWidth(t, FONT, CELL.fontSize) for t in texts), default=0)
        slack = {i: max(0.0, widths[i] - _narrowest(rows, i))
                 for i in range(len(widths)) if i not in whole}
        extra = min(max(0.0, longest + 2 * CELL_PADDING - widths[c]), sum(slack.values()))
        if extra:
            total = sum(slack.values())
            for i, spare in slack.items():
                widths[i] -= extra * spare / total
            widths[c] += extra
        room = widths[c] - 2 * CELL_PADDING
        for r, text in enumerate(texts, start=1):
            drawn = pdfmetrics.stringWidth(text, FONT, CELL.fontSize)
            if drawn > room:
                size = CELL.fontSize * room / drawn
                smaller.append(("FONT", (c, r), (c, r), FONT, size, size * 1.35))
    return widths, smaller


def _table(rows: list[list[Any]], widths: list[float], *, numeric_from: int = 99,
           whole: Iterable[int] = (), extra: Iterable[tuple[Any, ...]] = ()) -> Table:
    """`whole` names the columns of references: each value is drawn whole, on one line."""
    columns = set(whole)
    widths, smaller = _fit_whole(rows, widths, columns)
    cells = [
        [drawable(str(v)).replace("\n", " ") if c in columns and r > 0 else
         _cell(v, widths[c], CELL_HEAD if r == 0 else CELL_NUM if c >= numeric_from else CELL)
         for c, v in enumerate(row)]
        for r, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, CELL.fontSize, CELL.leading),
        ("FONT", (0, 0), (-1, 0), BOLD, CELL.fontSize, CELL.leading),
        ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        *smaller,
        *extra,
    ]))
    return table


def _rate_cell(figure: Figure, previous: bool = False) -> str:
    rate = figure.previous if previous else figure.current
    if rate is None or not rate.n:
        return "Not audited"
    return f"{rate.percent_text} ({rate.good} of {rate.n})"


def figures_table(figures: Iterable[Figure], previous_name: str | None) -> Table:
    rows: list[list[Any]] = [["Measure", "Counted", "Met", "Rate", "Target", "Status",
                              f"Previous cycle ({previous_name})" if previous_name
                              else "Previous cycle"]]
    styles: list[tuple[Any, ...]] = []
    for index, figure in enumerate(figures, start=1):
        now = figure.current
        rows.append([
            figure.label, now.n if now else "–", now.good if now else "–",
            now.percent_text if now else "Not audited",
            now.target_text if now else "None", figure.rag_words,
            _rate_cell(figure, previous=True),
        ])
        rag = now.rag if now else None
        if rag in RAG_COLOURS:
            fill, ink = RAG_COLOURS[rag]
            styles.append(("BACKGROUND", (5, index), (5, index), colors.HexColor(fill)))
            rows[-1][5] = Paragraph(f'<font color="{ink}"><b>{safe(figure.rag_words)}</b></font>',
                                    CELL)
    widths = [w * mm for w in (36, 19, 12, 17, 17, 25, 40)]
    return _table(rows, widths, numeric_from=1, extra=styles)


def _findings(findings: Iterable[Finding]) -> list[Flowable]:
    """Each finding with its quotations, kept on one page where they fit."""
    story: list[Flowable] = []
    for finding in findings:
        rate = finding.rate
        story.append(KeepTogether([
            Paragraph(f"<b>{safe(finding.title)}</b>: {rate.good} of {rate.n} rated good or "
                      f"better ({rate.percent_text})", BULLET, bulletText="•"),
            *(Paragraph(f"“{safe(e.text)}”", QUOTE) for e in finding.evidence),
        ]))
    return story


def _letterhead(content: LetterContent) -> list[Flowable]:
    head = content.letterhead
    block: list[Flowable] = [Paragraph(safe(head.name), HEAD_NAME)]
    block += [Paragraph(safe(line), NOTE) for line in head.address]
    logo = _logo(head.logo_path)
    if logo is None:
        return block
    table = Table([[block, logo]], colWidths=[126 * mm, 40 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 10),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [table]


def _logo(path: str | None) -> Image | None:
    """The partnership's logo, scaled to fit 40 x 20 mm; a missing or unreadable file is
    left out rather than stopping the letter."""
    if not path or not Path(path).is_file():
        return None
    try:
        image = Image(path)
        scale = min(40 * mm / image.imageWidth, 20 * mm / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        image.hAlign = "RIGHT"
        return image
    except Exception:  # Pillow raises many kinds of error for a bad image
        return None


def salutation(addressee: str) -> str:
    return "Dear colleague," if addressee.startswith("The lead for ") else f"Dear {addressee},"


def letter_pdf(content: LetterContent) -> bytes:
    facts = content.shown_facts
    story: list[Flowable] = [*_letterhead(content), Spacer(1, 6 * mm)]
    story.append(Paragraph(safe(long_date(content.letter_date)), RIGHT))
    story.append(Paragraph(f"Our reference: {safe(content.reference)}", RIGHT))
    story += [Spacer(1, 4 * mm), Paragraph(safe(content.addressee), BODY),
              Paragraph(safe(facts.agency_name), BODY)]
    if content.draft:
        story.append(Paragraph("<b>Draft: not yet issued.</b> The chair may still change it.",
                               BODY))
    if content.correction_note:
        story += [Heading("Correction", H2), *_paragraphs(content.correction_note)]
    story += [Paragraph(safe(salutation(content.addressee)), BODY),
              Heading(content.subject, H1), *_paragraphs(content.opening)]
    story += [Heading("Your agency's figures", H2),
              Paragraph("Counted is the work audited (for timeliness, the advice that was "
                        "due); Met is the work rated good or better, or provided on time. "
                        "Status gives the colour rating in words.", LEAD_IN),
              figures_table(facts.figures, facts.previous_cycle_name)]
    if not facts.figures:
        story.append(Paragraph("No rates have been computed for your agency this cycle.", BODY))
    story += [Heading("Strengths", H2), *_paragraphs(content.strengths_text),
              *_findings(facts.strengths)]
    story += [Heading("Areas for development", H2), *_paragraphs(content.areas_text),
              *_findings(facts.areas)]
    if facts.strengths or facts.areas:
        story.append(Paragraph("Quotations are short extracts from auditors' notes, chosen so "
                               "that no child can be identified.", NOTE))
    story += [Heading("Your formal response", H2), Paragraph(safe(content.response_request), BODY),
              Paragraph("This PDF is not tagged for assistive technology. The same letter is "
                        f"available as an accessible web page: {safe(content.html_location)}.",
                        BODY)]
    story.append(KeepTogether([
        Paragraph("Yours sincerely,", BODY), Spacer(1, 8 * mm),
        Paragraph(f"<b>{safe(content.signatory)}</b>", BODY),
        Paragraph(safe(content.signatory_role), BODY),
        Paragraph(safe(content.letterhead.name), BODY),
    ]))
    story += [PageBreak(), Heading("Appendix: the audited work", H1),
              Paragraph("Each plan and piece of advice is listed by its pseudonymous "
                        "reference with the panel's final grade.", BODY)]
    rows: list[list[Any]] = [["Reference", "Work audited", "Practice standard", "Final grade",
                              "Good or better"]]
    rows += [[i.reference, i.kind, i.standard, i.grade, "Yes" if i.good_or_better else "No"]
             for i in facts.items]
    story.append(_table(rows, [w * mm for w in (28, 32, 56, 30, 20)], whole=(0,)))
    return _build(story, title=f"{content.subject}: {facts.agency_name}",
                  subject=f"Letter {content.reference} to {facts.agency_name}",
                  author=f"{content.letterhead.name} {AUTHOR_SUFFIX}",
                  reference=content.reference, draft=content.draft)


def _response_block(sheet: ResponseSheet) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(f"<b>Status:</b> {safe(sheet.status)}", BODY)]
    if sheet.submitted_on:
        late = " (after the due date)" if sheet.late else ""
        story.append(Paragraph(f"<b>Received:</b> {long_date(sheet.submitted_on)}{late}", BODY))
    story.append(Paragraph(f"<b>Due:</b> {long_date(sheet.due_date)}", BODY)
                 if sheet.due_date else Spacer(1, 0))
    if sheet.planned:
        rows: list[list[Any]] = [["What will change", "Who owns it", "Done by"]]
        rows += [[Paragraph(safe(p.change), CELL), p.owner,
                  long_date(p.complete_by) if p.complete_by else "–"] for p in sheet.planned]
        story += [Paragraph("<b>What the agency will change</b>", LEAD_IN),
                  _table(rows, [w * mm for w in (92, 42, 32)], whole=(2,))]
    elif sheet.changes:
        story += [Paragraph("<b>What the agency will change</b>", BODY),
                  *_paragraphs(sheet.changes)]
        story.append(Paragraph(f"<b>Who owns the changes:</b> {safe(sheet.owner)}", BODY))
        if sheet.complete_by:
            story.append(Paragraph(f"<b>To be done by:</b> {long_date(sheet.complete_by)}", BODY))
    if sheet.presented_on:
        story.append(Paragraph("<b>Presented to the partnership board:</b> "
                               f"{long_date(sheet.presented_on)}", BODY))
    return story


def response_pdf(sheet: ResponseSheet, partnership: str) -> bytes:
    story: list[Flowable] = [
        Heading(f"Formal response from {sheet.agency_name}", H1),
        Paragraph(f"To letter {safe(sheet.reference)} about the {safe(sheet.cycle_name)} "
                  "multi-agency audit.", BODY),
        *_response_block(sheet),
    ]
    return _build(story, title=f"Formal response from {sheet.agency_name}",
                  subject=f"Response to letter {sheet.reference}",
                  author=f"{sheet.agency_name} for {partnership}", reference=sheet.reference)


def board_pack_pdf(pack: BoardPack) -> bytes:
    story: list[Flowable] = [
        Heading(f"Board pack: {pack.cycle_name} feedback letters and responses", H1),
        Paragraph(f"Prepared on {long_date(pack.prepared_on)} for {safe(pack.partnership)}. "
                  "Each agency's headline figures from its latest issued letter, and its "
                  "formal response.", BODY),
    ]
    rows: list[list[Any]] = [["Agency", "Letter", "Status", "Response due", "Received",
                              "Presented"]]
    for entry in pack.entries:
        sheet = entry.response
        received = long_date(sheet.submitted_on) if sheet.submitted_on else "–"
        rows.append([entry.agency_name, sheet.reference or "Not issued", sheet.status,
                     long_date(sheet.due_date) if sheet.due_date else "–",
                     received + (" (late)" if sheet.late else ""),
                     long_date(sheet.presented_on) if sheet.presented_on else "–"])
    story += [Heading("Summary", H2),
              _table(rows, [w * mm for w in (40, 26, 26, 26, 24, 24)], whole=(1,))]
    for entry in pack.entries:
        story += [PageBreak(), Heading(entry.agency_name, H2, level=0),
                  Paragraph(f"Letter {safe(entry.response.reference or 'not issued')}", BODY),
                  figures_table(entry.figures, pack.previous_cycle_name),
                  Spacer(1, 4 * mm), *_response_block(entry.response)]
    return _build(story, title=f"Board pack: {pack.cycle_name}",
                  subject=f"Feedback letters and responses for {pack.cycle_name}",
                  author=f"{pack.partnership} {AUTHOR_SUFFIX}",
                  reference=f"QA/{pack.cycle_id}/board-pack")

