"""Plain-English names for measures, scopes and statuses, and the one way a percentage is
written, shared by pages, letters, exports, the API and the command line."""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

from qa_app.reporting import measures as m

MEASURE_TITLES = {
    m.PLANS: "EHC plans good or better",
    m.ADVICE: "Advice good or better",
    m.CHILD_VOICE: "Child's voice good or better",
    m.ON_TIME: "Advice received on time",
    m.ISSUED: "New plans issued within 20 weeks",
    m.ASSURED: "Advice its agency assured as good or better",
    m.ASSURANCE: "Agency-assured advice the panel confirmed",
    m.CRITERION: "Criteria good or better",
    m.MODERATED: "Final grades the panel chair moderated",
    m.REAUDITED: "Re-audited after amendment and now good or better",
}
MEASURE_ORDER = list(MEASURE_TITLES)

SCOPE_LABELS = {
    "all": "All",
    "transition_years": "Transition years",
    "new": "New plans",
    "annual_review": "Annual reviews",
    "plan": "Plans",
    "advice": "Advice",
    "consistently_late": "Consistently late",
    m.EXCLUDING_EXCEPTIONS: "Excluding statutory exceptions",
}

BREAKDOWN_LABELS = {
    "": "",
    "plan": "Plans",
    "advice": "Advice",
    m.AGREEMENT: "Agency and panel agree, either way",
}

CRITERION_SCOPE_WORDS = {"plan": "EHC plans", "advice": "advice"}


def criterion_in_scope(title: str, scope: str) -> str:
    """A criterion's title naming plans or advice, for lists holding both: the plan and
    advice standards share criterion ids ("outcomes"), which are never counted together."""
    return f"{title} ({CRITERION_SCOPE_WORDS.get(scope, scope)})"


ON_TARGET, NEAR_TARGET, BELOW_TARGET = "green", "amber", "red"
TOO_FEW, NO_TARGET = "too_few_to_judge", "no_target"
STATUS_WORDS = {
    ON_TARGET: "On target",
    NEAR_TARGET: "Near target",
    BELOW_TARGET: "Below target",
    TOO_FEW: "Too few to judge",
    NO_TARGET: "No target set",
}
"""The status vocabulary: every page, letter, export and the API say these words."""
STATUS_TAG_CLASSES = {
    ON_TARGET: "govuk-tag--green",
    NEAR_TARGET: "govuk-tag--yellow",
    BELOW_TARGET: "govuk-tag--red",
    TOO_FEW: "govuk-tag--grey",
    NO_TARGET: "govuk-tag--grey",
}


def status(rag: str | None, target: float | None) -> str:
    """A stored rate's status. The stored RAG is empty both when there is no target and when
    there are too few records to judge against one; the target tells them apart."""
    if rag in (ON_TARGET, NEAR_TARGET, BELOW_TARGET):
        return rag
    return NO_TARGET if target is None else TOO_FEW


def status_words(rag: str | None, target: float | None) -> str:
    return STATUS_WORDS[status(rag, target)]


def status_tag_class(rag: str | None, target: float | None) -> str:
    return STATUS_TAG_CLASSES[status(rag, target)]


def measure_title(measure: str) -> str:
    return MEASURE_TITLES.get(measure, measure.replace("_", " ").capitalize())


def scope_label(scope: str) -> str:
    if scope.startswith("advice_type:"):
        return scope.split(":", 1)[1].replace("_", " ").capitalize()
    return SCOPE_LABELS.get(scope, scope.replace("_", " ").capitalize())


def breakdown_label(breakdown: str) -> str:
    return BREAKDOWN_LABELS.get(breakdown, breakdown.replace("_", " ").capitalize())


def describe(measure: str, scope: str, breakdown: str = "") -> str:
    """E.g. "EHC plans good or better (transition years)"."""
    parts = [scope_label(scope) if scope != "all" else "", breakdown_label(breakdown)]
    detail = ", ".join(p.lower() for p in parts if p)
    return f"{measure_title(measure)} ({detail})" if detail else measure_title(measure)


def exact_percent(good: int, n: int) -> Fraction | None:
    return Fraction(100 * good, n) if n else None


def percent_figure(value: float | Fraction | None, target: float | None = None
                   ) -> float | None:
    """A percentage to one decimal place, rounded half up, except that it never lands on
    the other side of `target` from the exact value: 79.96% beside a target of 80% is
    79.9, not 80.0. Give the exact fraction where there is one (see exact_percent)."""
    if value is None:
        return None
    value = value if isinstance(value, Fraction) else Fraction(value)
    tenths = floor(value * 10 + Fraction(1, 2))
    if target is not None:
        aim, shown = Fraction(repr(target)), Fraction(tenths, 10)
        if value < aim <= shown:
            tenths = floor(value * 10)
        elif shown < aim <= value:
            tenths = ceil(value * 10)
    return tenths / 10


def percent_text(value: float | Fraction | None, target: float | None = None) -> str:
    """The one way a percentage is written: "79.6%" (see percent_figure); "–" for none."""
    figure = percent_figure(value, target)
    return "–" if figure is None else f"{figure:.1f}%"


MAIN_FIGURE_LABELS = {
    m.ASSURANCE: "Assured good or better; the panel agrees",
    m.MODERATED: "All final grades",
    m.ISSUED: "Including statutory exceptions",
}
"""What a measure's main row counts, where "All" would not say it."""


def group_label(scope: str, breakdown: str, measure: str = "") -> str:
    """The part of a measure a row counts, e.g. "Transition years" or "Plans: Child voice"."""
    if scope == "all" and not breakdown and measure in MAIN_FIGURE_LABELS:
        return MAIN_FIGURE_LABELS[measure]
    if breakdown and scope != "all":
        return f"{scope_label(scope)}: {breakdown_label(breakdown)}"
    if breakdown:
        return breakdown_label(breakdown)
    return scope_label(scope)


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "–"
    return f"{percent_text(low)} to {percent_text(high)}"
