"""A plan's case timeline: every event in its story, from every feature, in date order.

Features add their own events with `add_source(app, fn)` in their `init_app`; `fn(plan_id)`
returns `TimelineEvent`s in plain words (no grade codes, no names of children: the plan is
shown by its pseudonymous reference only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import Flask

EXTENSION = "qa_timeline_sources"


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime
    what: str
    """A plain-words heading, e.g. "Re-audited"."""
    detail: str
    """Plain words; no grade codes."""
    agency_id: int | None
    """Whose part of the story: an agency lead sees only their own agency's events and the
    partnership's (None)."""
    url: str | None = None


TimelineSource = Callable[[int], Iterable[TimelineEvent]]


def add_source(app: Flask, fn: TimelineSource) -> None:
    """Add `fn(plan_id) -> Iterable[TimelineEvent]` to every plan's case timeline."""
    sources: list[TimelineSource] = app.extensions.setdefault(EXTENSION, [])
    if fn not in sources:
        sources.append(fn)


def sources_for(app: Flask) -> list[TimelineSource]:
    return list(app.extensions.get(EXTENSION, []))


def visible(events: Iterable[TimelineEvent], *, agency_ids: frozenset[int] | None
            ) -> list[TimelineEvent]:
    """The events a viewer may see, oldest first: `agency_ids` None means every agency's
    part (staff); otherwise only those agencies' events and the partnership's (None)."""
    shown = [e for e in events
             if agency_ids is None or e.agency_id is None or e.agency_id in agency_ids]
    return sorted(shown, key=lambda e: _moment(e.when))


def _moment(when: date) -> datetime:
    """A plain date (a source that records only the day) sorts as the start of that day."""
    return when if isinstance(when, datetime) else datetime.combine(when, time.min)


def plan_timeline(app: Flask, plan_id: int, *, agency_ids: frozenset[int] | None
                  ) -> list[TimelineEvent]:
    """Every source's events for the plan, filtered to the viewer's part, in date order
    (events at the same moment keep their sources' order)."""
    found: list[TimelineEvent] = []
    for source in sources_for(app):
        found.extend(source(plan_id))
    return visible(found, agency_ids=agency_ids)
