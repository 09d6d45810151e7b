"""The short "Examples of good practice" paragraph a feedback letter adds under its areas for
development: approved examples for those criteria, cited by their library reference (never
the plan or advice they came from). Only examples of the practice standards the agency's work
was graded against in the cycle are cited: "outcomes" in a health agency's letter means the
health advice standard's outcomes, never the plan's. Ordered by reference, so the same library
gives the same words and a letter's fingerprint stays put."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.extensions import db
from qa_app.library.queries import Standard, approved_examples
from qa_app.standards.models import RubricVersion

PER_CRITERION = 3


def graded_standards(agency_id: int, cycle_id: int, criteria: Sequence[tuple[str, str]]
                     ) -> list[Standard]:
    """(standard, criterion) of these (scope, criterion) pairs as the agency's final grades
    in the cycle graded them (the agency recorded with the grade, as the letter's figures
    count): an advice finding's "outcomes" cites the advice standard's, never the plan's. A
    scope of "" (a letter's finding stored before findings had one) matches either. In the
    order of `criteria`, then by standard."""
    if not criteria:
        return []
    criterion_ids = list(dict.fromkeys(criterion for _scope, criterion in criteria))
    fcg = FinalCriterionGrade
    rows = db.session.execute(
        select(RubricVersion.applies_to, RubricVersion.rubric_id, fcg.criterion_id).distinct()
        .select_from(fcg).join(FinalGrade, FinalGrade.id == fcg.final_grade_id)
        .join(RubricVersion, RubricVersion.id == FinalGrade.rubric_version_id)
        .where(FinalGrade.cycle_id == cycle_id, FinalGrade.agency_id == agency_id,
               fcg.criterion_id.in_(criterion_ids))
    ).all()
    order: dict[tuple[str, str], int] = {}
    for index, (scope, criterion) in enumerate(criteria):
        for applies_to in ((scope,) if scope else ("plan", "advice")):
            order.setdefault((applies_to, criterion), index)
    return [(rubric, criterion) for _index, rubric, criterion in sorted(
        (order[applies_to, criterion], rubric, criterion)
        for applies_to, rubric, criterion in rows if (applies_to, criterion) in order)]


def cited_examples(agency_id: int, cycle_id: int, criteria: Sequence[tuple[str, str]]) -> str:
    """A paragraph to append (with its blank-line separator), or "" when none is approved.
    `criteria`: the letter's areas for development as (scope, criterion id)."""
    standards = graded_standards(agency_id, cycle_id, criteria)
    if not standards:
        return ""
    cited: dict[Standard, list[str]] = {}
    headings: dict[Standard, str] = {}
    for example in approved_examples(standards):
        pair = (example.rubric_id, example.criterion_id)
        listed = cited.setdefault(pair, [])
        headings[pair] = example.heading
        if len(listed) < PER_CRITERION:
            listed.append(f"{example.reference} ({example.subject_text}, "
                          f"{example.agency_name})")
    parts = [f"{headings[pair]}: {', '.join(cited[pair])}" for pair in standards
             if cited.get(pair)]
    if not parts:
        return ""
    return ("\n\nExamples of good practice: the partnership's good-practice library holds "
            "approved examples for these areas, which your agency may find useful. "
            + "; ".join(parts) + ". Read them in the Good practice section of the service.")
