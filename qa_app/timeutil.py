"""Time helpers: UTC for stored instants, September-to-August academic years."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def academic_year(day: date) -> str:
    """English academic years run September to August: 2025-10-01 -> "2025/26"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"
