"""The cycle's task list: each step of a cycle, who must act, where the work is done and how
far it has gone, so the manager can see what to do next without the README."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.cycles.queries import AUDITORS_PER_SUBJECT, CycleProgress

MANAGER, AUDITORS, CHAIR, LEADS = "QI manager", "Auditors", "Panel chair", "Agency leads"


@dataclass(frozen=True)
class Status:
    words: str
    tag: str | None  # a GOV.UK tag modifier; None is plain text, as the pattern shows it


COMPLETED = Status("Completed", None)
IN_PROGRESS = Status("In progress", "govuk-tag--light-blue")
NOT_STARTED = Status("Not yet started", "govuk-tag--blue")
CANNOT_START = Status("Cannot start yet", None)


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    href: str
    who: str
    detail: str
    status: Status

    @property
    def linked(self) -> bool:
        return self.status is not CANNOT_START


@dataclass(frozen=True)
class Section:
    heading: str
    tasks: list[Task]


@dataclass(frozen=True)
class Figures:
    """Whether the cycle's stored figures exist and still equal a recount of the grades."""

    calculated: bool
    stale: str | None


def figures_of(cycle: Cycle) -> Figures:
    from qa_app.reporting.freshness import stale_reason
    from qa_app.reporting.periods import CYCLE
    from qa_app.reporting.queries import current_run

    calculated = current_run(CYCLE, str(cycle.id)) is not None
    return Figures(calculated, stale_reason(cycle.id) if calculated else None)


def counted(done: int, total: int, *, started: int = 0, blocked: bool = False) -> Status:
    if blocked:
        return CANNOT_START
    if total and done >= total:
        return COMPLETED
    return IN_PROGRESS if done or started else NOT_STARTED


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def sections(cycle: Cycle, p: CycleProgress, figures: Figures) -> list[Section]:
    sampled = plural(p.sampled, "sampled plan or piece of advice",
                     "sampled plans and pieces of advice")
    panels_href = url_for("panels.index")
    letters_href = url_for("letters.index", cycle=cycle.id)
    rates_href = (url_for("rates.index", cycle=cycle.id) if figures.calculated
                  else url_for("rates.index"))
    no_grades = p.final_grades == 0
    setup = [
        Task("sample", "Draw the sample", url_for("cycles.show", cycle_id=cycle.id,
                                                   _anchor="sample"), MANAGER,
             f"{plural(p.plans_sampled, 'plan')} and "
             f"{plural(p.advice_sampled, 'piece', 'pieces')} of advice" if p.has_sample
             else "Not drawn yet",
             COMPLETED if p.has_sample else NOT_STARTED),
        Task("panels", "Set up the panels", panels_href, MANAGER,
             f"{plural(p.panels, 'panel')} with {plural(p.panel_auditors, 'auditor')}"
             if p.panels else "No panels yet",
             COMPLETED if p.panels and p.panel_auditors >= AUDITORS_PER_SUBJECT
             else IN_PROGRESS if p.panels else NOT_STARTED),
        Task("assigned", "Assign the audits", panels_href, MANAGER,
             f"{p.subjects_assigned:,} of {sampled} have two auditors",
             counted(p.subjects_assigned, p.sampled,
                     blocked=not p.has_sample or not p.panels)),
    ]
    audit = [
        Task("scoring", "Score the audits", panels_href, AUDITORS,
             f"{p.audits_submitted:,} of {plural(p.audits, 'audit')} submitted",
             counted(p.audits_submitted, p.audits, started=p.audits_started,
                     blocked=not p.audits)),
        Task("moderation", "Moderate and finalise the grades", url_for("moderation.index"),
             CHAIR, f"{p.subjects_finalised:,} of {sampled} finalised",
             counted(p.subjects_finalised, p.sampled,
                     blocked=not p.sampled or not (p.audits_submitted or p.subjects_finalised))),
        Task("figures", "Bring the figures up to date", rates_href, MANAGER,
             _figures_detail(figures, no_grades), _figures_status(figures, no_grades)),
    ]
    graded = plural(p.agencies_graded, "agency", "agencies")
    issued = plural(p.agencies_issued, "issued letter")
    letters = [
        Task("drafted", "Draft the letters", letters_href, MANAGER,
             f"{p.agencies_with_letter:,} of {graded} with final grades have a letter",
             counted(p.agencies_with_letter, p.agencies_graded, blocked=no_grades)),
        Task("issued", "Issue the letters", letters_href, CHAIR,
             f"{p.agencies_issued:,} of {graded} have an issued letter",
             counted(p.agencies_issued, p.agencies_graded, blocked=not p.agencies_with_letter)),
        Task("responses", "Receive the agencies' responses", letters_href, LEADS,
             f"{p.responses_received:,} of {issued} answered",
             counted(p.responses_received, p.agencies_issued, blocked=not p.agencies_issued)),
        Task("board", "Present the responses to the board", letters_href, MANAGER,
             f"{p.responses_presented:,} of {issued} presented",
             counted(p.responses_presented, p.agencies_issued,
                     blocked=not p.responses_received)),
    ]
    return [Section("Set up the cycle", setup), Section("Audit and moderate", audit),
            Section("Letters and responses", letters)]


def _figures_detail(figures: Figures, no_grades: bool) -> str:
    if no_grades:
        return "No final grades yet"
    if not figures.calculated:
        return "No figures have been calculated yet"
    return figures.stale or "The stored figures match the final grades"


def _figures_status(figures: Figures, no_grades: bool) -> Status:
    if no_grades:
        return CANNOT_START
    if not figures.calculated:
        return NOT_STARTED
    return IN_PROGRESS if figures.stale else COMPLETED


def unfinished(p: CycleProgress) -> list[str]:
    """The audit work a cycle would be closed with still to do, one sentence each."""
    found = []
    if not p.has_sample:
        found.append("No sample has been drawn.")
    if p.has_sample and not p.panels:
        found.append("No panels have been set up.")
    sampled = plural(p.sampled, "sampled plan or piece of advice",
                     "sampled plans and pieces of advice")
    if p.sampled and p.subjects_assigned < p.sampled:
        short = p.sampled - p.subjects_assigned
        found.append(f"{short:,} of the {sampled} {_do(short)} not have two auditors.")
    if p.audits_submitted < p.audits:
        left = p.audits - p.audits_submitted
        found.append(f"{left:,} of the {plural(p.audits, 'audit')} {_are(left)} not submitted.")
    if p.sampled and p.subjects_finalised < p.sampled:
        left = p.sampled - p.subjects_finalised
        found.append(f"{left:,} of the {sampled} {_are(left)} not finalised.")
    return found


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def _do(n: int) -> str:
    return "does" if n == 1 else "do"


def completed(all_sections: list[Section]) -> tuple[int, int]:
    tasks = [task for section in all_sections for task in section.tasks]
    return sum(1 for task in tasks if task.status is COMPLETED), len(tasks)
