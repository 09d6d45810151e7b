"""Time helpers: UTC for stored instants, September-to-August academic years."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def academic_year(day: date) -> str:
    """English academic years run September to August: 2025-10-01 -> "2025/26"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def format_datetime(at: datetime) -> str:
    """A stored UTC instant as people in England read it: "10:42 on 3 March 2026"."""
    from zoneinfo import ZoneInfo

    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/London"))
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"
