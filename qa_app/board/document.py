"""What a board report says, as plain frozen data that goes to JSON and back.

content.py fills these from the stored figures, the commentary and the improvement actions;
the web page and pdf.py both render them, and a final report keeps them as they were.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

NO_COMMENTARY = "No commentary received"


@dataclass(frozen=True)
class HeadlineRow:
    """The partnership's figure for one measure, against its target."""

    title: str
    counted: int
    met: int
    rate_text: str
    target_text: str
    status_key: str
    status_text: str
    trend_text: str
    too_few: bool = False
    """Fewer records than the partnership's minimum: shown, never judged."""
    weighted: bool = False


@dataclass(frozen=True)
class ExceptionRow:
    """One agency's measure that is below target or worse than last cycle, and what the
    agency said about it."""

    agency_id: int
    agency_name: str
    measure: str
    scope: str
    title: str
    counted: int
    met: int
    rate_text: str
    target_text: str
    status_key: str
    status_text: str
    previous_text: str
    why: str
    request_id: int | None = None
    commentary: str | None = None
    commented_on: str | None = None

    @property
    def commentary_text(self) -> str:
        return self.commentary or NO_COMMENTARY


@dataclass(frozen=True)
class ActionItem:
    agency_name: str
    measure_text: str
    academic_year: str
    owner_name: str
    due_text: str
    status_text: str
    overdue: bool
    url: str = ""


@dataclass(frozen=True)
class ActionGroup:
    heading: str
    items: tuple[ActionItem, ...]


@dataclass(frozen=True)
class SurveyFigure:
    """A survey share for the whole partnership: `good` of `counted` answers good or better.
    Below the minimum number of answers, `good` and the rate are withheld (None), so that no
    figure can point to one family or one member of staff."""

    title: str
    counted: int
    good: int | None
    rate_text: str
    target_text: str = "None"
    status_key: str = "no_target"
    status_text: str = "No target set"

    @property
    def too_few(self) -> bool:
        return self.good is None


@dataclass(frozen=True)
class Voices:
    """What families and practitioners said in the cycle, from the surveys feature."""

    family: SurveyFigure
    practitioner_run: str | None = None
    """The practitioner survey that closed during the cycle, by name; None when none did."""
    practitioner_closed: str | None = None
    practitioners: tuple[SurveyFigure, ...] = ()

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Voices:
        return cls(family=_make(SurveyFigure, raw["family"]),
                   practitioner_run=raw.get("practitioner_run"),
                   practitioner_closed=raw.get("practitioner_closed"),
                   practitioners=tuple(_make(SurveyFigure, row)
                                       for row in raw.get("practitioners", ())))


@dataclass(frozen=True)
class ReportContent:
    report_id: int
    cycle_id: int
    cycle_name: str
    academic_year: str
    previous_cycle_name: str | None
    partnership: str
    board_date: str
    """The board's meeting date in words, e.g. "15 January 2026"."""
    prepared_on: str
    final: bool
    min_n: int
    worse_points: float
    computed_at: str | None
    provisional: tuple[str, ...] = ()
    """Why the figures are not yet final: the cycle is open, the sample is unfinished."""
    stale: tuple[str, ...] = ()
    """Why the stored figures may not describe the data now: a recalculation is waiting, or
    the figures no longer equal a recount."""
    headline: tuple[HeadlineRow, ...] = ()
    exceptions: tuple[ExceptionRow, ...] = ()
    actions: tuple[ActionGroup, ...] = ()
    actions_note: str = ""
    finalised_on: str | None = None
    finalised_by: str | None = None
    voices: Voices | None = None
    """What families and practitioners say; None in reports made final before it was kept."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def may_be_final(self) -> bool:
        """Nothing stale or unfinished: the report may be made final and printed."""
        return not self.provisional and not self.stale

    @property
    def commentary_received(self) -> int:
        return sum(1 for row in self.exceptions if row.commentary)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ReportContent:
        known = {f.name for f in fields(cls)}
        data = {key: value for key, value in raw.items() if key in known}
        data["provisional"] = tuple(raw.get("provisional", ()))
        data["stale"] = tuple(raw.get("stale", ()))
        data["headline"] = tuple(_make(HeadlineRow, row) for row in raw.get("headline", ()))
        data["exceptions"] = tuple(_make(ExceptionRow, row) for row in raw.get("exceptions", ()))
        data["actions"] = tuple(
            ActionGroup(group["heading"], tuple(_make(ActionItem, i) for i in group["items"]))
            for group in raw.get("actions", ()))
        data["voices"] = Voices.from_json(raw["voices"]) if raw.get("voices") else None
        return cls(**data)


def _make(kind: type, raw: dict[str, Any]) -> Any:
    known = {f.name for f in fields(kind)}
    return kind(**{key: value for key, value in raw.items() if key in known})
