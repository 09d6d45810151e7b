"""What a learning brief says, as plain typed values: the web page and the PDF are both laid
out from one `BriefContent`, and a published brief is this content stored as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from typing import Any

from qa_app.reporting.labels import exact_percent, percent_text


@dataclass(frozen=True)
class Share:
    """`met` of `n` final criterion grades."""

    met: int
    n: int

    @property
    def exact(self) -> Fraction | None:
        return exact_percent(self.met, self.n)

    @property
    def percent(self) -> str:
        return percent_text(self.exact)

    @property
    def text(self) -> str:
        return f"{percent_text(self.exact)} ({self.met} of {self.n})" if self.n else "None graded"


@dataclass(frozen=True)
class BelowGood:
    """One criterion below good in some of an agency type's final grades this cycle."""

    criterion_id: str
    title: str
    below: Share
    """Criterion grades below good, of all graded."""
    scope: str = ""
    """"plan" or "advice": the standards a criterion id belongs to (ids repeat across them).
    Empty in briefs published before it was recorded."""


@dataclass(frozen=True)
class TypeGroup:
    agency_type: str
    type_words: str
    graded: int
    """Final grades (plans and advice) of this type's agencies in the cycle."""
    criteria: tuple[BelowGood, ...]
    """The criteria most often below good, most first."""


@dataclass(frozen=True)
class Change:
    """A criterion's good-or-better share in this cycle and the previous one."""

    criterion_id: str
    title: str
    now: Share
    before: Share
    scope: str = ""

    @property
    def points(self) -> Fraction | None:
        if self.now.exact is None or self.before.exact is None:
            return None
        return self.now.exact - self.before.exact

    @property
    def points_text(self) -> str:
        points = self.points
        if points is None:
            return "–"
        size = percent_text(abs(points)).removesuffix("%")
        return f"Up {size} points" if points > 0 else f"Down {size} points" if points < 0 \
            else "No change"


@dataclass(frozen=True)
class Example:
    criterion_id: str
    criterion_title: str
    excerpt: str
    subject_text: str
    agency_name: str
    url: str


@dataclass(frozen=True)
class Reaudit:
    agency_name: str
    subject_text: str
    before_text: str
    after_text: str
    improved: bool | None

    @property
    def outcome_text(self) -> str:
        if self.improved is None:
            return "Not re-audited yet"
        return "Improved" if self.improved else "Not improved"


@dataclass(frozen=True)
class Challenges:
    raised: int
    waiting: int
    upheld: int
    changed: int


@dataclass(frozen=True)
class BriefContent:
    cycle_id: int
    cycle_name: str
    academic_year: str
    partnership: str
    prepared_on: str
    min_n: int
    previous_cycle_name: str | None
    provisional: tuple[str, ...] = ()
    """Why the brief is not final yet: the cycle is open, the sample is unfinished."""
    graded: int = 0
    by_type: tuple[TypeGroup, ...] = ()
    improved: tuple[Change, ...] = ()
    """Criteria whose good-or-better share rose, both cycles counted on at least min_n."""
    too_few: tuple[Change, ...] = ()
    """Criteria graded in both cycles, one of them on fewer than min_n: too few to compare."""
    not_improved: int = 0
    """Criteria compared (enough records) whose share did not rise."""
    examples: tuple[Example, ...] = ()
    reaudits: tuple[Reaudit, ...] | None = None
    challenges: Challenges | None = None
    published: bool = False
    published_on: str | None = None
    published_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def may_publish(self) -> bool:
        return not self.provisional

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BriefContent:
        data = _known(cls, raw)
        data["provisional"] = tuple(raw.get("provisional", ()))
        data["by_type"] = tuple(
            TypeGroup(**{**_known(TypeGroup, g), "criteria": tuple(
                BelowGood(c["criterion_id"], c["title"], Share(**c["below"]), c.get("scope", ""))
                for c in g.get("criteria", ()))})
            for g in raw.get("by_type", ()))
        for key in ("improved", "too_few"):
            data[key] = tuple(Change(c["criterion_id"], c["title"], Share(**c["now"]),
                                     Share(**c["before"]), c.get("scope", ""))
                              for c in raw.get(key, ()))
        data["examples"] = tuple(Example(**_known(Example, e)) for e in raw.get("examples", ()))
        if raw.get("reaudits") is not None:
            data["reaudits"] = tuple(Reaudit(**_known(Reaudit, r)) for r in raw["reaudits"])
        if raw.get("challenges") is not None:
            data["challenges"] = Challenges(**_known(Challenges, raw["challenges"]))
        return cls(**data)


def _known(kind: type, raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(kind)}
    return {key: value for key, value in raw.items() if key in names}
