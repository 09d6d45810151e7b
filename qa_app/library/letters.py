"""The short "Examples of good practice" paragraph a feedback letter adds under its areas for
development: approved examples for those criteria, cited by their library reference (never
the plan or advice they came from). Ordered by reference, so the same library gives the same
words and a letter's fingerprint stays put."""

from __future__ import annotations

from collections.abc import Sequence

from qa_app.library.queries import approved_examples

PER_CRITERION = 3


def cited_examples(criterion_ids: Sequence[str]) -> str:
    """A paragraph to append (with its blank-line separator), or "" when none is approved."""
    if not criterion_ids:
        return ""
    by_criterion: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for example in approved_examples(list(criterion_ids)):
        cited = by_criterion.setdefault(example.criterion_id, [])
        titles[example.criterion_id] = example.criterion_title
        if len(cited) < PER_CRITERION:
            cited.append(f"{example.reference} ({example.subject_text}, "
                         f"{example.agency_name})")
    parts = [f"{titles[c]}: {', '.join(by_criterion[c])}" for c in criterion_ids
             if by_criterion.get(c)]
    if not parts:
        return ""
    return ("\n\nExamples of good practice: the partnership's good-practice library holds "
            "approved examples for these areas, which your agency may find useful. "
            + "; ".join(parts) + ". Read them in the Good practice section of the service.")
