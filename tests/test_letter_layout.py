"""The letter layout: references are never split across lines, headings stay with what
follows them, no text is smaller than 10 pt or fainter than 4.5:1, and the letter greets the
agency's lead by name, or as a colleague when no lead has a name of their own."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle

from qa_app.letters import pdf as layout
from qa_app.letters.document import (
    AuditedItem,
    BoardEntry,
    BoardPack,
    Excerpt,
    Facts,
    Figure,
    Finding,
    LetterContent,
    Letterhead,
    Rate,
    ResponseSheet,
)
from tests import factories as make
from tests.services import need

SUBJECT = "Feedback from the Autumn term 2025 multi-agency audit"
HEADINGS = {SUBJECT, "Correction", "Your agency's figures", "Strengths", "Areas for development",
            "Your formal response", "Appendix: the audited work"}
REFERENCES = (
    *(f"EHCP-2025-{n:06d}" for n in range(40)),
    *(f"ADV-EP-2024-{n:05d}-R" for n in range(5)),
    "EHCP-NORTHGATE-2025-000123-REVIEW",
    "EHCP-" + "X" * 59,  # as long as the register allows
)


def _content(opening: str = "Opening.", references: tuple[str, ...] = REFERENCES[:3],
             correction: str | None = None) -> LetterContent:
    finding = Finding("outcomes", "Outcomes are specific", Rate(4, 1, 80.0, "red"),
                      (Excerpt("s1", "Outcomes describe services rather than change."),))
    facts = Facts(
        agency_id=1, agency_name="Community Paediatrics", cycle_id=1,
        cycle_name="Autumn term 2025", academic_year="2025/26",
        previous_cycle_name="Summer term 2025", plans=len(references), advice=0,
        figures=(Figure("EHC plans rated good or better", Rate(10, 7, 80.0, "amber"),
                        Rate(8, 4, 80.0, "red")),),
        strengths=(finding,), areas=(finding,),
        items=tuple(AuditedItem(ref, "EHC plan", "EHC plan practice standard",
                                "Requires improvement", False) for ref in references),
        response_working_days=20)
    return LetterContent(
        Letterhead("Example SEND Partnership", ("1 High Street", "Northgate")), facts,
        "QA/1/1/v1", 1, False, date(2026, 1, 5), date(2026, 2, 2), opening, "Strengths.",
        "Areas.", "A chair", "Chair of the panel", "/letters/1", "Priya Shah",
        correction_note=correction)


def _pages(pdf: bytes, tmp_path: Path, *, keep_layout: bool = False) -> list[str]:
    need("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    command = ["pdftotext", *(["-layout"] if keep_layout else []), str(source), "-"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.split("\f")[:-1]


def _body_lines(page: str) -> list[str]:
    """A page's lines without the marking, reference and page number at its top and foot."""
    return [line.strip() for line in page.splitlines()
            if line.strip() and "OFFICIAL-SENSITIVE" not in line
            and not line.strip().startswith("Reference QA/")
            and not re.fullmatch(r"(Page \d+ of)?\s*\d*", line.strip())]


def test_references_are_never_split_across_lines(tmp_path: Path) -> None:
    pages = _pages(layout.letter_pdf(_content(references=REFERENCES)), tmp_path,
                   keep_layout=True)
    appendix = "\n".join(pages[next(i for i, p in enumerate(pages) if "Appendix" in p):])
    lines = appendix.splitlines()
    for reference in REFERENCES:
        assert sum(reference in line for line in lines) == 1, reference


def test_letter_references_in_the_board_pack_are_never_split(tmp_path: Path) -> None:
    sheets = [ResponseSheet(f"Agency {n}", "Autumn term 2025", f"QA/{n}2345/67/v{n}1",
                            "Response received (late)", date(2026, 1, 15)) for n in range(1, 4)]
    pack = BoardPack(1, "Autumn term 2025", None, "Example SEND Partnership", date(2026, 2, 1),
                     tuple(BoardEntry(s.agency_name, (), s) for s in sheets))
    summary = _pages(layout.board_pack_pdf(pack), tmp_path, keep_layout=True)[0]
    for sheet in sheets:
        assert sheet.reference in summary


def test_a_reference_column_takes_room_from_the_others_but_never_splits_their_words() -> None:
    rows = [["Reference", "Final grade"], ["EHCP-NORTHGATE-2025-000123-REVIEW", "Requires "
                                           "improvement"]]
    widths = [60.0, 120.0]
    table = layout._table(rows, widths, whole=(0,))
    reference, grade = table._colWidths
    assert reference + grade == pytest.approx(sum(widths))
    assert table._cellvalues[1][0] == rows[1][0]  # drawn as one string: never wrapped
    assert grade >= layout._narrowest(rows, 1)


@pytest.mark.parametrize("correction", [None, "This letter replaces QA/1/1/v1."])
def test_no_page_ends_with_a_heading(tmp_path: Path, correction: str | None) -> None:
    """Openings of growing length move every heading through the foot of a page."""
    line = "A paragraph of the chair's own words that fills one line of the letter."
    for paragraphs in range(0, 40):
        content = _content("\n\n".join([line] * paragraphs) or "Opening.",
                           correction=correction)
        for number, page in enumerate(_pages(layout.letter_pdf(content), tmp_path), start=1):
            body = _body_lines(page)
            assert body and body[-1] not in HEADINGS, (paragraphs, number, body[-3:])


def _luminance(colour: colors.Color) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.red) + 0.7152 * channel(colour.green)
            + 0.0722 * channel(colour.blue))


def _contrast(ink: colors.Color, paper: colors.Color) -> float:
    light, dark = sorted((_luminance(ink), _luminance(paper)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_style_is_at_least_10_pt_and_4_5_to_1_on_white() -> None:
    styles = [s for s in vars(layout).values() if isinstance(s, ParagraphStyle)]
    assert {"body", "note", "quote", "cell"} <= {s.name for s in styles}
    for style in styles:
        assert style.fontSize >= 10, style.name
        assert _contrast(style.textColor, colors.white) >= 4.5, style.name
    assert _contrast(layout.CELL_HEAD.textColor, layout.HEAD_FILL) >= 4.5


def test_status_colours_pass_contrast_on_their_fills() -> None:
    for rag, (fill, ink) in layout.RAG_COLOURS.items():
        assert _contrast(colors.HexColor(ink), colors.HexColor(fill)) >= 4.5, rag


def test_the_letter_greets_the_lead_by_name(tmp_path: Path) -> None:
    text = " ".join(" ".join(_pages(layout.letter_pdf(_content()), tmp_path)).split())
    assert "Priya Shah Community Paediatrics Dear Priya Shah," in text


def test_salutation_for_a_named_lead_and_for_the_post() -> None:
    assert layout.salutation("Priya Shah") == "Dear Priya Shah,"
    assert layout.salutation("The lead for Community Paediatrics") == "Dear colleague,"


def test_the_addressee_is_the_agencys_lead_with_a_name_of_their_own(app) -> None:
    from qa_app.extensions import db
    from qa_app.letters.content import addressee
    from qa_app.register.models import Agency

    with app.app_context():
        health = make.agency("Community Paediatrics", "health")
        other = make.agency("Educational Psychology Service", "education")
        make.person("agency_lead", health.id, name="Demo lead, paediatrics")
        make.person("agency_lead", health.id)  # named after the email address by default
        make.person("agency_lead", health.id, name="Former Lead").active = False
        make.person("agency_lead", other.id, name="Sam Jones")
        make.person("auditor", health.id, name="Alex Auditor")
        db.session.flush()
        assert addressee(db.session.get(Agency, health.id)) == "The lead for Community Paediatrics"
        make.person("agency_lead", health.id, name="  Priya\tShah ")
        db.session.flush()
        assert addressee(db.session.get(Agency, health.id)) == "Priya Shah"
        assert addressee(db.session.get(Agency, other.id)) == "Sam Jones"
        db.session.rollback()


def test_no_demo_lead_is_greeted_by_a_description_of_the_post() -> None:
    from qa_app.auth.models import Role, User
    from qa_app.demo.people import DEMO_USERS
    from qa_app.letters.content import personal_name

    leads = [u for u in DEMO_USERS if u.role == Role.AGENCY_LEAD.value]
    assert leads
    for lead in leads:
        name = personal_name(User(email=lead.email, display_name=lead.display_name))
        assert name is None or "lead" not in name.lower(), lead.display_name
