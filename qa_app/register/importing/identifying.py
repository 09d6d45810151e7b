"""Refusing data that identifies a child, by column name and by value.

The register keeps pseudonymous references only. A column is refused when its name, once
normalised (case folded, CamelCase and digits split off, separators dropped), reads as a
name, a date of birth, an address, a postcode or an NHS number: `ChildName`, `YPName`,
`BirthDt`, `NHSRef`, `Address1` and `Post_Code_Home` are all caught. The word lists below
are the maintained part: add a word when an export is found that slips past them.

Names in a header are not enough, since a mapping file can route any column into a
free-text field, so every free-text value is also checked: a valid NHS number (ten digits
whose last is the modulus 11 check digit of the first nine, spaced or not) or a UK postcode
anywhere in a value is refused with its row and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from qa_app.register.importing.report import ImportFileError, ImportReport, RowError
from qa_app.register.importing.values import Cell

NOT_STORED = (
    "the product does not store children's names, dates of birth, addresses, postcodes "
    "or NHS numbers: delete this column from the file and import again"
)

NAME_WORDS = frozenset({
    "name", "names", "fullname", "firstname", "forename", "forenames", "surname", "surnames",
    "lastname", "familyname", "givenname", "middlename", "preferredname", "knownas",
    "nickname", "maidenname",
})
"""Words that name a person on their own (`Surname`), or with a person word (`ChildName`)."""

PERSON_WORDS = frozenset({
    "child", "childs", "children", "pupil", "pupils", "young", "person", "persons",
    "student", "learner", "cyp", "yp", "first", "last", "full", "given", "family", "middle",
    "preferred", "legal", "known", "chosen", "fore", "sur", "baby", "infant",
})
BIRTH_WORDS = frozenset({
    "dob", "birth", "birthday", "birthdate", "born", "bday", "dateofbirth", "birthdt",
})
NHS_ID_WORDS = frozenset({
    "number", "no", "num", "nbr", "id", "ident", "identifier", "ref", "reference",
})
ADDRESS_WORDS = frozenset({
    "address", "addresses", "addr", "street", "streetname", "road", "housenumber",
    "housename", "houseno", "addressline", "residence", "homeaddress", "town", "city",
})
NOT_AN_ADDRESS = frozenset({"email", "e", "mail", "ip", "web", "url", "ipaddress"})
POSTCODE_WORDS = frozenset({"postcode", "postcodes", "zip", "zipcode", "postalcode"})

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def header_words(column: str) -> list[str]:
    """A header as lower-case words: `Post_Code_Home` -> post, code, home; `YPName` -> yp,
    name; `Address1` -> address, 1."""
    return [w.casefold() for w in _WORD.findall(column)]


def identifying_kind(column: str) -> str | None:
    """What a column that could identify a child seems to hold, or None if it looks safe."""
    words = [w for w in header_words(column) if not w.isdigit()]
    tokens, compact = set(words), "".join(words)
    if tokens & BIRTH_WORDS or "birth" in compact or compact in BIRTH_WORDS:
        return "a date of birth"
    if "nhs" in compact and (tokens & NHS_ID_WORDS or compact in {"nhs", "nhsno", "nhsnumber"}):
        return "an NHS number"
    if tokens & POSTCODE_WORDS or "postcode" in compact or "postalcode" in compact:
        return "a postcode"
    if (tokens & ADDRESS_WORDS or compact in ADDRESS_WORDS or "address" in compact) and not (
        tokens & NOT_AN_ADDRESS or "email" in compact
    ):
        return "an address"
    if compact in NAME_WORDS or (tokens & NAME_WORDS and tokens & PERSON_WORDS):
        return "a child's name"
    if tokens & (NAME_WORDS - {"name", "names"}):
        return "a child's name"
    return None


def refuse_identifying_columns(header: Iterable[str]) -> None:
    """Checked on the raw header before any row is read, mapped or not."""
    problems = [
        RowError(None, column, f"this column looks like {kind}; {NOT_STORED}")
        for column in header
        if column and (kind := identifying_kind(column))
    ]
    if problems:
        raise ImportFileError(*problems)


_NHS = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)


def valid_nhs_number(digits: str) -> bool:
    """The modulus 11 check: weights 10 down to 2 on the first nine digits; 11 minus the
    remainder is the check digit (11 reads as 0, and 10 means no valid number)."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def identifying_value(value: str) -> str | None:
    """What identifying data a free-text value holds, or None."""
    if not any(ch.isdigit() for ch in value):
        return None
    for match in _NHS.finditer(value):
        if valid_nhs_number("".join(match.groups())):
            return "an NHS number"
    if any(_looks_like_postcode(match.group(0)) for match in _POSTCODE.finditer(value)):
        return "a postcode"
    return None


ORDINALS = ("st", "nd", "rd", "th")


def _looks_like_postcode(text: str) -> bool:
    """A postcode written in capitals counts whatever it spells; in lower or mixed case,
    an inward part that reads as an ordinal ("Y10 2nd site", "Room B12 3rd floor") does not."""
    if text.isupper():
        return True
    return text[-2:].lower() not in ORDINALS


def checked_rows(rows: Iterable[tuple[int, list[Cell]]], columns: dict[str, int],
                 report: ImportReport) -> Iterator[tuple[int, list[Cell]]]:
    """Pass rows through, reporting every free-text cell (file column name -> position)
    that holds an NHS number or a postcode; the import then writes nothing."""
    watched = list(columns.items())
    for number, cells in rows:
        for name, position in watched:
            cell = cells[position] if position < len(cells) else None
            if isinstance(cell, str) and (kind := identifying_value(cell)):
                report.add(number, name, f"this looks like {kind}; {NOT_STORED_VALUE}")
        yield number, cells


NOT_STORED_VALUE = (
    "the product does not store NHS numbers, postcodes or other details that identify a "
    "child: remove them from the file and import again"
)
