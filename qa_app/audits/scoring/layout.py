"""A rubric laid out for one kind of subject: which criteria are judged, computed or not
applicable, how each is shown, and the form class that scores it. Stored rubric versions
never change, so each is parsed, and each layout built, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_app.audits.scoring.facts import SubjectFacts
from qa_app.audits.scoring.forms import EVIDENCE_MAX, ScoringForm, build_form_class
from qa_app.standards.grading import SubjectContext, computed_grades
from qa_app.standards.models import RubricVersion
from qa_app.standards.operations import rubric_of
from qa_app.standards.rubric import Criterion, Rubric


@dataclass(frozen=True)
class ScoringLayout:
    """A rubric laid out for one kind of subject, and the form class that scores it."""

    rubric: Rubric
    judged: tuple[Criterion, ...]
    computed: tuple[Criterion, ...]
    not_applicable: tuple[Criterion, ...]
    form_class: type[ScoringForm]

    def radio_params(self, criterion: Criterion) -> dict[str, Any]:
        """Fresh render params for a criterion's radios (the widget mutates what it is given)."""
        return {
            "fieldset": {"legend": {"text": criterion.title,
                                    "classes": "govuk-fieldset__legend--m"}},
            "hint": {"text": _criterion_hint(criterion)},
            "items": [
                {"hint": {"text": criterion.descriptors[level.value]}}
                if level.value in criterion.descriptors else {}
                for level in self.rubric.scale
            ],
        }

    def evidence_params(self, criterion: Criterion) -> dict[str, Any]:
        good = self.rubric.label_for(self.rubric.good_or_better)
        return {
            "label": {"text": f"Evidence for {criterion.title}", "classes": "govuk-label--s"},
            "hint": {"text": f"What you saw in the document. Required for grades below {good}."},
            "rows": 3,
            "maxlength": EVIDENCE_MAX,
        }

    def computed_grades(self, facts: SubjectFacts) -> dict[str, int | None]:
        found = computed_grades(self.rubric, facts.days_late, facts.context)
        return {c.id: found.get(c.id) for c in self.computed}


_RUBRICS: dict[tuple[int, str], Rubric] = {}
_LAYOUTS: dict[tuple[int, str, tuple[str, ...]], ScoringLayout] = {}


def rubric_for(version: RubricVersion) -> Rubric:
    """The parsed rubric of a stored version; versions never change, so it is parsed once."""
    key = (version.id, version.content_hash)
    rubric = _RUBRICS.get(key)
    if rubric is None:
        rubric = _RUBRICS[key] = rubric_of(version)
    return rubric


def layout_for(version: RubricVersion, ctx: SubjectContext) -> ScoringLayout:
    rubric = rubric_for(version)
    applicable = rubric.criteria_for(ctx)
    key = (version.id, version.content_hash, tuple(c.id for c in applicable))
    layout = _LAYOUTS.get(key)
    if layout is None:
        judged = tuple(c for c in applicable if c.is_judged)
        layout = _LAYOUTS[key] = ScoringLayout(
            rubric=rubric,
            judged=judged,
            computed=tuple(c for c in applicable if not c.is_judged),
            not_applicable=tuple(c for c in rubric.criteria if c not in applicable),
            form_class=build_form_class(rubric, judged),
        )
    return layout


def _criterion_hint(criterion: Criterion) -> str:
    parts = [f"Section {criterion.section}." if criterion.section else "",
             "Limiting: the overall grade can be no better than this one." if criterion.limiting
             else "", criterion.guidance]
    return " ".join(p for p in parts if p) or "Choose the grade whose descriptor fits best."
