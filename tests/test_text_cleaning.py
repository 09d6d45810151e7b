"""Free text is cleaned on the way in: one kind of line break, no control characters, so a
browser's carriage return can never print as "�" in an issued letter."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.text import clean_text
from tests import factories as make
from tests.services import need

AWKWARD = st.text(alphabet=st.one_of(
    st.sampled_from("\r\n\t \x00\x07\x0b\x0c\x1b\x7f\x85\x9f\u2028\u2029\ufeff\ufffd\ufffe"
                    "\u0301\u00a0\u2003e"),
    st.characters(codec="utf-8"),
))


@given(AWKWARD)
def test_clean_text_leaves_only_line_feeds_and_is_idempotent(value: str) -> None:
    cleaned = clean_text(value)
    assert "\r" not in cleaned and "\t" not in cleaned and "\ufffd" not in cleaned
    assert all(ch == "\n" or unicodedata.category(ch) not in {"Cc", "Cs"} for ch in cleaned)
    assert all(line == line.rstrip() for line in cleaned.split("\n"))
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize(("typed", "kept"), [
    ("line one\r\nline two\r", "line one\nline two"),
    ("one\rtwo\r\n\r\nthree", "one\ntwo\n\nthree"),
    ("a\tb  \nc \t", "a b\nc"),
    ("bell\x07 and escape\x1b[0m", "bell and escape[0m"),
    ("Word line\x0bbreak\x0cpage", "Word line\nbreak\npage"),
    ("cafe\u0301", "café"),
    ("  indented stays", "  indented stays"),
    ("", ""),
])
def test_clean_text_examples(typed: str, kept: str) -> None:
    assert clean_text(typed) == kept


def test_every_text_box_is_cleaned_but_passwords_and_hidden_values_are_not(app) -> None:
    from flask_wtf import FlaskForm
    from wtforms import HiddenField, PasswordField, StringField, TextAreaField

    class Example(FlaskForm):
        class Meta:
            csrf = False

        name = StringField()
        note = TextAreaField(filters=[str.upper])
        password = PasswordField()
        token = HiddenField()

    built_at_run_time = type("BuiltAtRunTime", (FlaskForm,), {"evidence": TextAreaField()})
    posted = {"name": " Jane\r\n", "note": "one\r\ntwo\t", "password": "pass word\r\n\t",
              "token": "t \r", "evidence": "seen\r\n\r\nsaid\x07"}
    with app.test_request_context(method="POST", data=posted):
        form = Example()
        assert form.name.data == " Jane"
        assert form.note.data == "ONE\nTWO"  # cleaned first, then the field's own filters
        assert form.password.data == "pass word\r\n\t"
        assert form.token.data == "t \r"
        assert built_at_run_time(meta={"csrf": False}).evidence.data == "seen\n\nsaid"


def _pdf_text(pdf: bytes, tmp_path) -> str:
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True,
                            text=True, timeout=60, check=True)
    return result.stdout


def test_a_chairs_crlf_edit_reaches_the_issued_pdf_as_two_lines(app, client, tmp_path) -> None:
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import generate_letter

    need("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    data = make.on(app).letter_partnership()
    with app.app_context():
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        db.session.commit()
    make.sign_in(client, data.chair_email)
    token = make.csrf_token(client, f"/letters/{letter_id}/edit")
    saved = client.post(f"/letters/{letter_id}/edit", data={
        "csrf_token": token, "opening": "line one\r\nline two\r", "strengths": "Strong\r\n",
        "areas": "Areas\r\n\r\nto work on\r"})
    assert saved.status_code == 302
    with app.app_context():
        stored = db.session.execute(select(Letter.opening, Letter.areas_for_development)
                                    .where(Letter.id == letter_id)).one()
    assert tuple(stored) == ("line one\nline two", "Areas\n\nto work on")
    check = client.get(f"/letters/{letter_id}/issue").get_data(as_text=True)
    issued = client.post(f"/letters/{letter_id}/issue", data={
        "csrf_token": make.csrf_token(client, f"/letters/{letter_id}/issue"),
        "checked": re.search(r'name="checked"[^>]*value="([^"]*)"', check).group(1)})
    assert issued.status_code == 302
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.status == "issued"
        pdf = letter.pdf
    text = _pdf_text(pdf, tmp_path)
    lines = [line.strip() for line in text.splitlines()]
    assert "\ufffd" not in text and "\r" not in text
    assert lines.index("line two") == lines.index("line one") + 1


def test_text_stored_with_carriage_returns_still_prints_cleanly(app, tmp_path) -> None:
    """Letters drafted before text was cleaned on the way in still render without "�"."""
    from qa_app.letters.document import LetterContent
    from qa_app.letters.models import Letter
    from qa_app.letters.operations import edit_draft, generate_letter
    from qa_app.letters.pdf import letter_pdf

    need("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    data = make.on(app).letter_partnership()
    with app.app_context():
        from qa_app.auth.operations import find_user_by_email

        chair = find_user_by_email(data.chair_email)
        letter_id = generate_letter(data.health_id, data.cycle_id).letter_id
        edit_draft(letter_id, actor_id=chair.id, opening="old one\r\nold two\r\n\r\nold three\r",
                   strengths="s\x85t", areas="a\rb")
        db.session.commit()
        content = LetterContent.from_json(db.session.get(Letter, letter_id).content)
    text = _pdf_text(letter_pdf(replace(content, draft=False)), tmp_path)  # no watermark
    assert "\ufffd" not in text
    lines = [line.strip() for line in text.splitlines()]
    assert lines.index("old two") == lines.index("old one") + 1
    assert re.search(r"^\s*old three\s*$", text, re.MULTILINE)
