"""The letter PDF: the database's figures in real, extractable text; embedded fonts, metadata,
bookmarks and page numbers; the same bytes for the same content; awkward notes are safe."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader

from qa_app.extensions import db
from tests import factories as make
from tests.services import need


def _generate(app, data, agency_id: int):
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import generate_letter

    with app.app_context():
        outcome = generate_letter(agency_id, data.cycle_id)
        db.session.commit()
        letter = db.session.get(Letter, outcome.letter_id)
        return letter.pdf, letter.content, letter.reference


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_extracted_text_shows_the_agencys_figures_from_the_database(app):
    data = make.on(app).letter_partnership()
    pdf, _content, reference = _generate(app, data, data.health_id)
    with app.app_context():
        from sqlalchemy import select

        from qa_app.reporting.models import AggregationRun, RateSnapshot

        run_id = db.session.execute(select(AggregationRun.id).where(
            AggregationRun.period_key == str(data.cycle_id))).scalar_one()
        def stored(measure: str) -> RateSnapshot:
            return db.session.execute(select(RateSnapshot).where(
                RateSnapshot.run_id == run_id, RateSnapshot.agency_id == data.health_id,
                RateSnapshot.measure == measure, RateSnapshot.scope == "all",
                RateSnapshot.breakdown == "")).scalar_one()

        def row(s: RateSnapshot) -> str:
            words = {"green": "On target", "amber": "Near target", "red": "Below target"}
            status = words.get(s.rag) or ("No target set" if s.target is None
                                          else "Too few to judge")
            return f"{s.n} {s.good} {100 * s.good / s.n:.1f}% {s.target:.1f}% {status}"

        expected_advice = row(stored("advice_good_or_better"))
        expected_on_time = row(stored("advice_on_time"))
        expected_voice = row(stored("child_voice_good_or_better"))
        from qa_app.register.models import Advice

        refs = db.session.execute(select(Advice.ref).where(
            Advice.agency_id == data.health_id)).scalars().all()
    text = _squash(_text(pdf))
    assert f"Advice rated good or better {expected_advice}" in text
    assert "40.0% (2 of 5)" in text  # the previous cycle beside it
    assert f"Advice provided on time {expected_on_time}" in text
    assert f"Child's voice rated good or better {expected_voice}" in text
    assert "Health outcomes are specific: 1 of 4 rated good or better (25.0%)" in text
    assert "Outcomes describe services rather than what will change." in text
    assert f"Reference {reference}" in text and "OFFICIAL-SENSITIVE" in text
    assert "Dear colleague," in text  # the test lead has no name of its own
    assert "Feedback from the Autumn term 2025 multi-agency audit" in text
    assert re.search(r"Page 1 of\s*3", text)
    appendix = text.split("Appendix: the audited work")[1]
    assert len(refs) == 4 and all(ref in appendix for ref in refs)
    assert "EHCP-L-" not in appendix  # the casework team's plans are in its own letter


def test_pdf_has_metadata_bookmarks_embedded_fonts_and_no_base14_fonts(app):
    data = make.on(app).letter_partnership()
    pdf, _content, reference = _generate(app, data, data.health_id)
    reader = PdfReader(io.BytesIO(pdf))
    info = reader.metadata
    assert info.title == ("Feedback from the Autumn term 2025 multi-agency audit: "
                          "Community Paediatrics")
    assert info.author == "Example SEND Partnership multi-agency audit panel"
    assert info.subject == f"Letter {reference} to Community Paediatrics"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    titles = [entry.title for entry in reader.outline]
    assert titles == ["Feedback from the Autumn term 2025 multi-agency audit",
                      "Your agency's figures", "Strengths", "Areas for development",
                      "Your formal response", "Appendix: the audited work"]
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts
    for name, font in fonts.items():
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{name} is not embedded"
        assert "Helvetica" not in name and "Times" not in name


def test_the_same_content_gives_the_same_bytes(app):
    from qa_app.letters.document import LetterContent
    from qa_app.letters.pdf import letter_pdf

    data = make.on(app).letter_partnership()
    pdf, content, _reference = _generate(app, data, data.health_id)
    again = letter_pdf(LetterContent.from_json(content))
    assert again == pdf
    assert letter_pdf(LetterContent.from_json(content)) == again


def test_a_page_renders_to_an_image_with_pdftoppm(app, tmp_path: Path):
    need("pdftoppm (poppler-utils)", shutil.which("pdftoppm") is not None)
    data = make.on(app).letter_partnership()
    pdf, _content, _reference = _generate(app, data, data.health_id)
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(source),
                             str(tmp_path / "page")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr
    image = next(tmp_path.glob("page*.png"))
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 2000


def test_hostile_and_awkward_notes_render_safely(app):
    from qa_app.letters.document import LetterContent
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import edit_draft, generate_letter
    from qa_app.letters.pdf import letter_pdf

    data = make.on(app).letter_partnership(notes=make.HOSTILE_NOTES)
    pdf, content, _reference = _generate(app, data, data.health_id)
    quoted = [e["text"] for f in content["facts"]["areas"] for e in f["evidence"]]
    assert any("<script>" in q for q in quoted) and any("<para>" in q for q in quoted)
    with app.app_context():
        from qa_app.auth.operations import find_user_by_email

        chair = find_user_by_email(data.chair_email)
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        edit_draft(letter_id, actor_id=chair.id, opening="<para>Opening</para> " + "x" * 5000,
                   strengths="<script>alert(1)</script> &amp; 😀 emoji",
                   areas="שלום עולם — مرحبا بالعالم\n\nSecond <b>paragraph</b>")
        db.session.commit()
        letter = db.session.get(Letter, letter_id)
        pdf = letter.pdf
        content = LetterContent.from_json(letter.content)
    text = _text(pdf)
    assert "<script>alert(1)</script> &amp;" in text
    assert "<para>Opening</para>" in text
    assert "Second <b>paragraph</b>" in text
    assert "\x00" not in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 4
    assert letter_pdf(content) == pdf


def test_safe_text_escapes_markup_and_replaces_what_the_font_cannot_draw():
    from qa_app.letters.pdf import safe

    assert safe("<b>x</b> & <para>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;para&gt;"
    assert safe("a\x00b\x0bc") == "a b c"
    assert "😀" not in safe("😀") and safe("😀") in {"\ufffd", "?"}
    assert safe("line one\nline two") == "line one<br/>line two"


def test_board_pack_and_response_pdfs_carry_their_text(app):
    from datetime import date

    from qa_app.letters.document import BoardEntry, BoardPack, Figure, Rate, ResponseSheet
    from qa_app.letters.pdf import board_pack_pdf, response_pdf

    sheet = ResponseSheet("Community Paediatrics", "Autumn term 2025", "QA/1/2/v1",
                          "Response received (late)", date(2026, 1, 15), date(2026, 1, 20),
                          True, "We will <rewrite> outcomes.", "Head of Service",
                          date(2026, 6, 30), None)
    pack = BoardPack(1, "Autumn term 2025", "Summer term 2025", "Example SEND Partnership",
                     date(2026, 2, 1), (BoardEntry("Community Paediatrics", (
                         Figure("Advice rated good or better", Rate(4, 3, 80.0, "amber"),
                                Rate(5, 2, 80.0, "red")),), sheet),))
    text = _squash(_text(board_pack_pdf(pack)))
    assert "Board pack: Autumn term 2025 feedback letters and responses" in text
    assert "Advice rated good or better 4 3 75.0% 80.0% Near target 40.0% (2 of 5)" in text
    assert "We will <rewrite> outcomes." in text and "(late)" in text
    text = _squash(_text(response_pdf(sheet, "Example SEND Partnership")))
    assert "Formal response from Community Paediatrics" in text
    assert "Head of Service" in text and "30 June 2026" in text
