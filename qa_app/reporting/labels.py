"""Plain-English names for measures, scopes and statuses, shared by pages, exports and notes."""

from __future__ import annotations

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
}

BREAKDOWN_LABELS = {
    "": "",
    "plan": "Plans",
    "advice": "Advice",
    m.AGREEMENT: "Agency and panel agree, either way",
}

RAG_WORDS = {"green": "On target", "amber": "Near target", "red": "Below target", None: "No target"}
RAG_TAG_CLASSES = {"green": "govuk-tag--green", "amber": "govuk-tag--yellow",
                   "red": "govuk-tag--red", None: "govuk-tag--grey"}


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


def percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


MAIN_FIGURE_LABELS = {
    m.ASSURANCE: "Assured good or better; the panel agrees",
    m.MODERATED: "All final grades",
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
    return "–" if low is None or high is None else f"{low:.1f}% to {high:.1f}%"
