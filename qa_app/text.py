"""Free text as the service keeps it: one form of line break, no invisible control characters.

Browsers send a text box's line breaks as CRLF, and pasted text brings tabs, vertical tabs
and stray control characters; stored as sent, these print as "�" in a permanent PDF.
"""

from __future__ import annotations

import re
import unicodedata

LINE_BREAK = re.compile(r"\r\n?")
OTHER_LINE_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
"""What Python's str.splitlines() also treats as the end of a line (Word's manual line break
is a vertical tab, its page break a form feed)."""
UNWANTED = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff"
    r"\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    r"\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    r"\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    r"\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)
"""C0 and C1 control characters (bar line breaks and tabs, handled above), lone surrogates,
Unicode noncharacters, and the replacement character itself: none is text a person meant."""


def unix_newlines(value: str) -> str:
    """CRLF and a lone CR become LF."""
    return LINE_BREAK.sub("\n", value)


def clean_text(value: str) -> str:
    """Text as typed, kept the one way: LF line breaks, tabs as spaces, no control characters,
    composed (NFC), and no whitespace at the end of a line or of the text."""
    text = OTHER_LINE_BREAKS.sub("\n", unix_newlines(value))
    text = UNWANTED.sub("", text.replace("\t", " "))
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()
