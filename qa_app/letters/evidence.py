"""Which auditors' notes a letter may quote, so that no letter can identify a child.

Auditors' evidence notes are free text. A letter quotes a note only when all of these hold:

1. It contains nothing shaped like personal data: no email address or web address, no run
   of six or more digits (even with spaces or hyphens: NHS and phone numbers), no date
   written in figures or with a month name, no UK postcode, no honorific followed by a word
   (Mr, Mrs, Ms, Miss, Mx, Dr), and no mention of a birth date or an NHS number.
2. Every capitalised word is a known term: words from the practice standards' criterion
   titles and grade labels, the partnership's agency names, and a fixed list of SEND terms
   (EHCP, SENCo, CAMHS, Section, ...). The first word of a sentence may also be a common
   English or audit word (`COMMON_WORDS`: "The", "Outcomes", "No", ...). Any other
   capitalised word may be a name, so the whole note is left out rather than edited.
3. It is then shortened to at most `MAX_EXCERPT` characters at a word boundary.

A letter quotes at most `PER_CRITERION` notes per criterion. The chair sees every quote in
the draft and can leave any of them out before issuing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_EXCERPT = 200
PER_CRITERION = 2

_TERMS = """
    I A B C D E F G H J K EHCP EHCPs EHC SEND SEN SENCo SENCO SENDCo SENDCO LA ICB NHS CAMHS
    SALT SaLT OT OTs EP EPs GP GPs PfA PFA KS1 KS2 KS3 KS4 KS5 EYFS Section Sections Year Years
    Key Stage Early Foundation English Maths Good Outstanding Inadequate Requires Improvement
    Child Children Young Person People Parent Parents Carer Carers Council Education Health
    Care Social Advice School Setting Panel Annual Review Outcomes Provision Placement Needs
    Views Voice Plan Plans Team Service Services Therapy Therapist Speech Language
    Occupational Educational Psychology Psychologist Paediatrics Paediatrician Casework
    Preparation Adulthood Personal Budget Next Steps Short Breaks
"""
DOMAIN_TERMS = frozenset(_TERMS.split())
_COMMON = """
a an the this that these those there here it its they their them we our he she his her one
two both each every all some most many few several no none nothing not only also but and or
so because although though while when where what which who how why if as at in on of for
from by with without to into after before during since until overall generally however yet
still again further other more less much little very well clear clearly good strong weak
limited partial excellent thorough detailed some is are was were has have had does do did
please consider ensure shows uses lacks includes links gives sets describes records missing
views voice aspirations aspiration interests strengths strength needs need outcomes outcome
provision recommendations recommendation placement section sections assessment assessments
advice evidence health social care education educational short breaks preparation adulthood
personal budget next steps step child children young person people parent parents family
families carer carers school setting plan plans report reports review reviews target targets
action actions professional professionals therapy support strategies strategy specific detail
details information contributions contribution diagnosis wording language history timescales
time timely late written described recorded agreed quantified measurable vague generic broad
"""
COMMON_WORDS = frozenset(_COMMON.split())

_PERSONAL_DATA = [
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    re.compile(r"\b(?:https?://|www\.)\S+", re.I),
    re.compile(r"\d(?:[\s-]?\d){5,}"),
    re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b"),
    re.compile(
        r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
        r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?\s*\d{1,4}\b",
        re.I,
    ),
    re.compile(
        r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
        r"nov|dec)[a-z]*\b",
        re.I,
    ),
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I),
    re.compile(r"\b(?:mr|mrs|ms|miss|mx|dr)\b\.?\s+\w", re.I),
    re.compile(r"\b(?:born|d\.?o\.?b|date of birth|nhs\s*(?:no|number)|birthday)\b", re.I),
]
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def known_terms(texts: Iterable[str]) -> frozenset[str]:
    """The allowed capitalised words: DOMAIN_TERMS plus every word of the given texts."""
    words = {w for text in texts for w in _WORD.findall(text or "")}
    return DOMAIN_TERMS | {_bare(w) for w in words}


def _bare(word: str) -> str:
    return re.sub(r"(?:['’]s|['’])$", "", word)


def looks_personal(note: str) -> bool:
    return any(pattern.search(note) for pattern in _PERSONAL_DATA)


def has_unknown_capitalised_word(note: str, terms: frozenset[str]) -> bool:
    """True when a capitalised word is neither a known term nor, at the start of a sentence,
    a common word."""
    for match in _WORD.finditer(note):
        word = match.group()
        if not word[0].isupper() or word in terms or _bare(word) in terms:
            continue
        before = note[: match.start()]
        starts_sentence = not before.strip() or _SENTENCE_END.search(before)
        if starts_sentence and _bare(word).lower() in COMMON_WORDS:
            continue
        return True
    return False


def shorten(note: str, limit: int = MAX_EXCERPT) -> str:
    text = " ".join(note.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def usable_excerpt(note: str | None, terms: frozenset[str]) -> str | None:
    """The note as a letter may quote it, or None when the rules above leave it out."""
    if not note:
        return None
    text = _CONTROL.sub(" ", note).strip()
    if not text or looks_personal(text) or has_unknown_capitalised_word(text, terms):
        return None
    return shorten(text)
