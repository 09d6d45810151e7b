"""The kinds of job: which task runs each, and how to say it and its parameters in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Kind:
    name: str
    task: str
    words: str
    """What the job does, as a person would say it."""


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("aggregate", "workers.tasks.aggregate", "Recalculate the figures"),
        Kind("recalculate", "workers.tasks.recalculate", "Recalculate changed figures"),
        Kind("generate_cycle_letters", "workers.tasks.generate_cycle_letters",
             "Write a cycle's letters"),
        Kind("generate_letter", "workers.tasks.generate_letter", "Write one agency's letter"),
        Kind("nightly_sweep", "workers.tasks.nightly_sweep", "Nightly count of overdue advice"),
        Kind("import_file", "workers.tasks.import_file", "Import a spreadsheet"),
    )
}


class UnknownJob(ValueError):
    """A job kind with no task: it cannot be started or run again."""


def kind_of(name_or_task: Any) -> Kind:
    """The kind for a kind name ("aggregate"), a task name, or a task object."""
    name = getattr(name_or_task, "name", name_or_task)
    short = str(name).rsplit(".", 1)[-1]
    if short not in KINDS:
        raise UnknownJob(f"there is no kind of job called {short!r}")
    return KINDS[short]


def kind_words(name: str) -> str:
    kind = KINDS.get(name)
    return kind.words if kind else name.replace("_", " ").capitalize()


def params_in_words(name: str, params: dict[str, Any] | None) -> str:
    """The parameters as a sentence: "Autumn 2025 cycle", "every period", "as of 1 March 2026"."""
    params = params or {}
    if name == "aggregate":
        return _period_words(params.get("period_kind"), params.get("period_key"))
    if name == "recalculate":
        return "periods with changes waiting"
    if name in {"generate_cycle_letters", "generate_letter"}:
        words = _cycle_words(params.get("cycle_id"))
        if name == "generate_letter":
            words = f"{_agency_words(params.get('agency_id'))}, {words}"
        return words + (", partial sample allowed" if params.get("partial") else "")
    if name == "nightly_sweep":
        today = params.get("today")
        return f"as of {_day(today)}" if today else "as of the day it ran"
    if name == "import_file":
        return _import_words(params)
    return ", ".join(f"{key}: {value}" for key, value in sorted(params.items())) or "none"


def _period_words(kind: str | None, key: str | None) -> str:
    if not kind:
        return "every period"
    if kind == "cycle":
        return _cycle_words(key)
    if kind == "academic_year":
        return f"academic year {key}"
    return f"{kind.replace('_', ' ')} {key}"


def _cycle_words(cycle_id: Any) -> str:
    from qa_app.audits.cycles.models import Cycle
    from qa_app.extensions import db

    try:
        cycle = db.session.get(Cycle, int(cycle_id)) if cycle_id is not None else None
    except (TypeError, ValueError):
        cycle = None
    return f"{cycle.name} cycle" if cycle else f"cycle {cycle_id} (since removed)"


def _agency_words(agency_id: Any) -> str:
    from qa_app.extensions import db
    from qa_app.register.models import Agency

    try:
        agency = db.session.get(Agency, int(agency_id)) if agency_id is not None else None
    except (TypeError, ValueError):
        agency = None
    return agency.name if agency else f"agency {agency_id}"


def _day(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day.day} {day:%B %Y}"


def _import_words(params: dict[str, Any]) -> str:
    from qa_app.register.importing import KINDS as IMPORTS

    kind = IMPORTS.get(params.get("kind") or "")
    words = f"{kind.title if kind else params.get('kind')} from {params.get('file_name')}"
    return words + (f", columns renamed by {params['mapping_name']}"
                    if params.get("mapping_name") else "")
