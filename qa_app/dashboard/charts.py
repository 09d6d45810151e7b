"""Server-rendered SVG charts with a title and description; each sits beside its data table.

RAG is never shown by colour alone: every bar carries its status in words in the table and
a distinct marker shape in the chart (circle on target, triangle near, cross below).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from qa_app.reporting.labels import BELOW_TARGET, NEAR_TARGET, ON_TARGET, percent_text

RAG_COLOURS = {ON_TARGET: "#00703c", NEAR_TARGET: "#b58800", BELOW_TARGET: "#d4351c",
               None: "#505a5f"}
TARGET_COLOUR = "#0b0c0c"
BAR_COLOUR = "#1d70b8"
WIDTH = 640
TREND_COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#b58800"]
TREND_DASHES = ["", "6 3", "10 4", "12 3 3 3", "1 0"]
LABEL_CHARS = 12
PROVISIONAL_KEY = "Hollow point: provisional (cycle still open, or too few records)"


@dataclass(frozen=True)
class Bar:
    label: str
    rate: float | None
    low: float | None
    high: float | None
    target: float | None
    rag: str | None
    n: int


@dataclass(frozen=True)
class Series:
    """A measure's value per period; `provisional[i]` marks a value that may still change."""

    label: str
    points: Sequence[tuple[str, float | None]]
    provisional: Sequence[bool] = ()

    def is_provisional(self, index: int) -> bool:
        return index < len(self.provisional) and self.provisional[index]


def _x(value: float, left: float, width: float) -> float:
    return left + width * max(0.0, min(100.0, value)) / 100


def _marker(rag: str | None, x: float, y: float) -> str:
    colour = RAG_COLOURS.get(rag, RAG_COLOURS[None])
    if rag == ON_TARGET:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'
    if rag == NEAR_TARGET:
        return (f'<polygon points="{x:.1f},{y - 6:.1f} {x - 6:.1f},{y + 5:.1f} '
                f'{x + 6:.1f},{y + 5:.1f}" fill="{colour}"/>')
    if rag == BELOW_TARGET:
        return (f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} M{x + 5:.1f},'
                f'{y - 5:.1f} L{x - 5:.1f},{y + 5:.1f}" stroke="{colour}" stroke-width="3"/>')
    return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'


def _frame(chart_id: str, title: str, description: str, height: float, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axis(left: float, width: float, top: float, bottom: float) -> list[str]:
    parts = []
    for tick in range(0, 101, 20):
        x = _x(tick, left, width)
        parts.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                     f'stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16:.1f}" font-size="12" '
                     f'text-anchor="middle" fill="#0b0c0c">{tick}%</text>')
    return parts


def rate_bars(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars of each rate with its 95% interval, the target, and a RAG marker."""
    left, width, row, top = 230.0, 360.0, 30.0, 10.0
    height = top + row * max(len(bars), 1) + 30
    body = _axis(left, width, top, height - 30)
    for index, bar in enumerate(bars):
        y = top + index * row
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        body.append(f'<text x="{left - 8:.1f}" y="{y + 19:.1f}" font-size="13" '
                    f'text-anchor="end" fill="#0b0c0c">{escape(label)}</text>')
        if bar.rate is None:
            continue
        body.append(f'<rect x="{left:.1f}" y="{y + 8:.1f}" height="14" '
                    f'width="{_x(bar.rate, 0, width):.1f}" fill="{BAR_COLOUR}" opacity="0.8"/>')
        if bar.low is not None and bar.high is not None:
            x1, x2 = _x(bar.low, left, width), _x(bar.high, left, width)
            body.append(f'<line x1="{x1:.1f}" y1="{y + 15:.1f}" x2="{x2:.1f}" y2="{y + 15:.1f}" '
                        f'stroke="{TARGET_COLOUR}" stroke-width="2"/>')
        if bar.target is not None:
            x = _x(bar.target, left, width)
            body.append(f'<line x1="{x:.1f}" y1="{y + 3:.1f}" x2="{x:.1f}" y2="{y + 27:.1f}" '
                        f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="4 2"/>')
        body.append(_marker(bar.rag, left + width + 22, y + 15))
    description = "; ".join(
        f"{b.label}: {'no figure' if b.rate is None else percent_text(b.rate, b.target)}"
        f"{'' if b.target is None else f' against a target of {percent_text(b.target)}'}"
        f" (n={b.n})"
        for b in bars
    ) or "No figures."
    return _frame(chart_id, title, description, height, body)


def _period_label(x: float, y: float, period: str) -> str:
    """A period name broken at spaces into short lines, so neighbours and the edge never cut it."""
    lines: list[str] = []
    for word in period.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARS:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines or [""]))
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#0b0c0c">{spans}</text>')


def _legend(top: float, series: Sequence[Series]) -> tuple[list[str], float]:
    """One key per line with its colour and dash pattern, then the provisional marker's key."""
    keys = [(TREND_COLOURS[i % len(TREND_COLOURS)], TREND_DASHES[i % len(TREND_DASHES)],
             line.label, False) for i, line in enumerate(series)]
    per_row, column = 2, WIDTH / 2 - 10
    keys.append((TARGET_COLOUR, "", PROVISIONAL_KEY, True))
    parts = []
    for index, (colour, dash, label, hollow) in enumerate(keys):
        place = -(-index // per_row) * per_row if hollow else index  # long key: a row alone
        x = 20 + (place % per_row) * column
        y = top + (place // per_row) * 20
        if hollow:
            parts.append(f'<circle cx="{x + 15:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" '
                         f'stroke="{colour}" stroke-width="2"/>')
        else:
            parts.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 30:.1f}" y2="{y:.1f}" '
                         f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{x + 38:.1f}" y="{y + 4:.1f}" font-size="12" '
                     f'fill="#0b0c0c">{escape(label)}</text>')
    rows = -(-(len(keys) - 1) // per_row) + 1
    return parts, top + rows * 20


def trend_lines(chart_id: str, title: str, periods: Sequence[str],
                series: Sequence[Series]) -> Markup:
    """One line per measure across periods, with a point at every value and a legend.
    Provisional points (an open cycle, or too few records) are hollow and joined by a dotted
    segment, so a half-counted cycle never reads as a real fall or rise."""
    left, width, top, bottom = 50.0, 520.0, 10.0, 230.0
    body = []
    for tick in range(0, 101, 20):
        y = bottom - (bottom - top) * tick / 100
        body.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + width:.1f}" y2="{y:.1f}" '
                    f'stroke="#b1b4b6" stroke-width="1"/>')
        body.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" font-size="12" '
                    f'text-anchor="end" fill="#0b0c0c">{tick}%</text>')
    step = width / max(len(periods) - 1, 1)
    for index, period in enumerate(periods):
        body.append(_period_label(left + index * step, bottom + 18, period))
    for number, line in enumerate(series):
        colour = TREND_COLOURS[number % len(TREND_COLOURS)]
        dash = TREND_DASHES[number % len(TREND_DASHES)]
        points = [(left + i * step, bottom - (bottom - top) * v / 100, line.is_provisional(i))
                  for i, (_, v) in enumerate(line.points) if v is not None]
        for (x1, y1, p1), (x2, y2, p2) in zip(points, points[1:], strict=False):
            pattern = "2 4" if p1 or p2 else dash
            body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                        f'stroke="{colour}" stroke-width="2" stroke-dasharray="{pattern}"/>')
        for x, y, provisional in points:
            fill = "#ffffff" if provisional else colour
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" '
                        f'stroke="{colour}" stroke-width="2"/>')
    legend, height = _legend(bottom + 56, series)
    body.extend(legend)
    description = "; ".join(
        f"{line.label}: " + ", ".join(
            f"{p} {'no figure' if v is None else percent_text(v)}"
            f"{' (provisional)' if v is not None and line.is_provisional(i) else ''}"
            for i, (p, v) in enumerate(line.points))
        for line in series
    ) or "No figures."
    return _frame(chart_id, title, description, height + 6, body)
