"""What a letter says, as plain frozen data that goes to JSON and back.

content.py fills these from the database; pdf.py and the letter page both render them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

from qa_app.reporting import labels

NO_TARGET = labels.STATUS_WORDS[labels.NO_TARGET]
NOT_AUDITED = "Not audited"


@dataclass(frozen=True)
class Rate:
    n: int
    good: int
    target: float | None = None
    rag: str | None = None

    @property
    def percent(self) -> float | None:
        return 100.0 * self.good / self.n if self.n else None

    @property
    def exact(self) -> Fraction | None:
        return labels.exact_percent(self.good, self.n)

    @property
    def status_words(self) -> str:
        return labels.status_words(self.rag, self.target)

    @property
    def tag_class(self) -> str:
        return labels.status_tag_class(self.rag, self.target)

    @property
    def percent_text(self) -> str:
        """Written as every figure is (labels.percent_text: never rounded across its target)."""
        exact = self.exact
        return NOT_AUDITED if exact is None else labels.percent_text(exact, self.target)

    @property
    def target_text(self) -> str:
        return "None" if self.target is None else labels.percent_text(self.target)


@dataclass(frozen=True)
class Figure:
    label: str
    current: Rate | None
    previous: Rate | None

    @property
    def rag_words(self) -> str:
        return self.current.status_words if self.current else NO_TARGET

    @property
    def tag_class(self) -> str:
        return self.current.tag_class if self.current else labels.STATUS_TAG_CLASSES[
            labels.NO_TARGET]


@dataclass(frozen=True)
class Excerpt:
    key: str
    text: str


@dataclass(frozen=True)
class Finding:
    """One criterion's share good or better, in one scope: "plan" or "advice" (as the
    criterion measure keeps them apart); "" in letters stored before findings had a scope."""

    criterion_id: str
    title: str
    rate: Rate
    evidence: tuple[Excerpt, ...] = ()
    scope: str = ""


@dataclass(frozen=True)
class AuditedItem:
    reference: str
    kind: str
    standard: str
    grade: str
    good_or_better: bool


@dataclass(frozen=True)
class Facts:
    """What the database says about one agency in one cycle."""

    agency_id: int
    agency_name: str
    cycle_id: int
    cycle_name: str
    academic_year: str
    previous_cycle_name: str | None
    plans: int
    advice: int
    figures: tuple[Figure, ...]
    strengths: tuple[Finding, ...]
    areas: tuple[Finding, ...]
    items: tuple[AuditedItem, ...]
    response_working_days: int
    sample_finalised: int | None = None
    sample_size: int | None = None

    @property
    def audited(self) -> int:
        return self.plans + self.advice

    def digest(self) -> str:
        """What the letter states about the audit. The response deadline setting is left out:
        an issued letter states a due date instead, so the setting is no finding of its."""
        stated = {k: v for k, v in asdict(self).items() if k != "response_working_days"}
        for key in ("strengths", "areas"):  # a finding's scope is stated by its title (where
            # the agency has both), so a letter stored before findings had one still matches
            stated[key] = [{k: v for k, v in f.items() if k != "scope"} for f in stated[key]]
        canonical = json.dumps(stated, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def without_evidence(self, keys: set[str]) -> Facts:
        def keep(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
            return tuple(
                replace(f, evidence=tuple(e for e in f.evidence if e.key not in keys))
                for f in findings
            )

        return replace(self, strengths=keep(self.strengths), areas=keep(self.areas))


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: tuple[str, ...] = ()
    logo_path: str | None = None


@dataclass(frozen=True)
class LetterContent:
    letterhead: Letterhead
    facts: Facts
    reference: str
    version: int
    draft: bool
    letter_date: date
    due_date: date | None
    opening: str
    strengths_text: str
    areas_text: str
    signatory: str
    signatory_role: str
    html_location: str
    addressee: str
    correction_note: str | None = None
    omitted_evidence: tuple[str, ...] = field(default=())

    @property
    def shown_facts(self) -> Facts:
        """The facts with the evidence the chair chose to leave out removed."""
        return self.facts.without_evidence(set(self.omitted_evidence))

    @property
    def subject(self) -> str:
        return f"Feedback from the {self.facts.cycle_name} multi-agency audit"

    @property
    def response_request(self) -> str:
        days = self.facts.response_working_days
        when = (f"by {long_date(self.due_date)}" if self.due_date
                else f"within {days} working days of the date this letter is issued")
        return (
            f"Please send the partnership your agency's formal response to this letter {when}. "
            "Say what your agency will change, who will own each change and by when. Submit "
            "the response in the Letters section of the service, where you can also read this "
            "letter as an accessible web page. The response will be presented to the "
            "partnership board."
        )

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LetterContent:
        facts = dict(data["facts"])
        facts["figures"] = tuple(
            Figure(f["label"], _rate(f["current"]), _rate(f["previous"])) for f in facts["figures"]
        )
        for key in ("strengths", "areas"):
            facts[key] = tuple(
                Finding(f["criterion_id"], f["title"], Rate(**f["rate"]),
                        tuple(Excerpt(**e) for e in f["evidence"]), f.get("scope", ""))
                for f in facts[key]
            )
        facts["items"] = tuple(AuditedItem(**item) for item in facts["items"])
        head = data["letterhead"]
        return cls(
            **{**data, "letterhead": Letterhead(head["name"], tuple(head["address"]),
                                                head["logo_path"]),
               "facts": Facts(**facts),
               "letter_date": date.fromisoformat(data["letter_date"]),
               "due_date": date.fromisoformat(data["due_date"]) if data["due_date"] else None,
               "omitted_evidence": tuple(data.get("omitted_evidence") or ())}
        )


@dataclass(frozen=True)
class PlannedChange:
    """One row of a response: what will change, who owns it, and by when."""

    change: str
    owner: str
    complete_by: date | None


@dataclass(frozen=True)
class ResponseSheet:
    """An agency's response to one letter as the board sees it: one row per change
    (`planned`), or for a response sent before rows existed, its single box."""

    agency_name: str
    cycle_name: str
    reference: str | None
    status: str
    due_date: date | None = None
    submitted_on: date | None = None
    late: bool = False
    changes: str | None = None
    owner: str | None = None
    complete_by: date | None = None
    presented_on: date | None = None
    planned: tuple[PlannedChange, ...] = ()


@dataclass(frozen=True)
class BoardEntry:
    agency_name: str
    figures: tuple[Figure, ...]
    response: ResponseSheet


@dataclass(frozen=True)
class BoardPack:
    cycle_id: int
    cycle_name: str
    previous_cycle_name: str | None
    partnership: str
    prepared_on: date
    entries: tuple[BoardEntry, ...]


def _rate(raw: dict[str, Any] | None) -> Rate | None:
    return Rate(**raw) if raw else None


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
