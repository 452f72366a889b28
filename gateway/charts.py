"""Server-rendered SVG charts, drawn from numbers and labels only (no script, no content).

bar_chart    horizontal bars in groups (one group a row of a table, one bar a series), with an
             optional interval whisker per bar: the bias audit's flip rates, the report's
             counts by entity type or by check outcome
line_chart   one line a series over evenly spaced x labels (time buckets), a point per value

Every label is escaped here, so callers may pass tenant or entity names as they come. Each bar
is a `rect.bar` and each point a `circle.point` (tests count them); each carries a `<title>`
with its value for the pointer, and the page shows the same numbers in a table beside it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PALETTE = ("#4a7bb7", "#d9822b", "#b3261e", "#2e8b57", "#7b4ab7", "#6b7480", "#c9a227", "#1d232a")


@dataclass(frozen=True, slots=True)
class Bar:
    value: float
    series: str = ""  # the colour and legend entry; "" for a single-series chart
    interval: tuple[float, float] | None = None  # drawn as a whisker across the bar


def colour(series: Sequence[str], name: str) -> str:
    return PALETTE[series.index(name) % len(PALETTE)] if name in series else PALETTE[0]


def count_axis_end(value: float) -> float:
    """The end of a count axis with four ticks on whole numbers: 4 x (1, 2 or 5 x 10^k)."""
    quarter = max(1.0, value / 4)
    power = 10 ** math.floor(math.log10(quarter))
    return 4 * next(step * power for step in (1, 2, 5, 10) if step * power >= quarter)


def count_label(value: float) -> str:
    return f"{value:g}"


def percent_label(value: float) -> str:
    return f"{round(value * 100)} %"


def _text_width(text: str, size: int = 11) -> float:
    return 0.6 * size * len(text)  # an estimate: the server does not measure fonts


def _legend(series: Sequence[str], x0: float, y: float, right: float) -> tuple[list[str], float]:
    """Swatches and names, wrapped to stay left of `right`; returns the parts and the last line's y."""
    parts, x = [], x0
    for name in series:
        need = 14 + _text_width(name) + 10
        if x > x0 and x + need > right:
            x, y = x0, y + 15
        parts.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colour(series, name)}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y}" font-size="11">{html.escape(name)}</text>')
        x += need
    return parts, y


def bar_chart(
    groups: Sequence[tuple[str, Sequence[Bar]]],
    title: str,
    *,
    axis_max: float | None = None,
    tick_label: Callable[[float], str] = count_label,
    value_label: Callable[[float], str] = count_label,
    width: int = 560,
    left: int | None = None,
) -> str:
    series = list(dict.fromkeys(bar.series for _, bars in groups for bar in bars if bar.series))
    if left is None:  # room for the longest group label, within reason
        left = int(min(260, max(80, max((_text_width(g, 12) for g, _ in groups), default=0) + 16)))
    legend, legend_y = _legend(series, left, 32, width - 20)
    bar_h = 22 if len(series) <= 1 else 12
    gap, top = 10, (legend_y + 10 if series else 24)
    rows = sum(max(1, len(bars)) for _, bars in groups)
    height = top + rows * bar_h + len(groups) * gap + 30
    span = width - left - 20
    end = axis_max or count_axis_end(max((bar.value for _, bars in groups for bar in bars), default=0.0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="{left}" y="14" font-size="12">{html.escape(title)}</text>',
        *legend,
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + tick * span
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 26}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" font-size="10" text-anchor="middle">'
            f"{html.escape(tick_label(tick * end))}</text>"
        )
    y = top
    for label, bars in groups:
        name = html.escape(label)
        block = max(1, len(bars)) * bar_h
        parts.append(
            f'<text x="{left - 8}" y="{y + block / 2 + 4:.1f}" font-size="12" text-anchor="end">{name}</text>'
        )
        for bar in bars:
            what = f"{label} / {bar.series}" if bar.series else label
            parts.append(
                f'<rect class="bar" x="{left}" y="{y}" width="{min(bar.value, end) / end * span:.1f}" '
                f'height="{bar_h}" fill="{colour(series, bar.series)}">'
                f"<title>{html.escape(what)}: {html.escape(value_label(bar.value))}</title></rect>"
            )
            if bar.interval is not None:
                low, high = (min(v, end) / end * span for v in bar.interval)
                cy = y + bar_h / 2
                parts.append(
                    f'<line x1="{left + low:.1f}" y1="{cy}" x2="{left + high:.1f}" y2="{cy}" '
                    'stroke="#222" stroke-width="2"/>'
                )
            y += bar_h
        y += gap + (0 if bars else bar_h)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    title: str,
    *,
    width: int = 720,
    height: int = 260,
) -> str:
    """Lines over evenly spaced x positions: every point drawn, as many x labels as fit."""
    names = list(series)
    legend, legend_y = _legend(names, 48, 32, width - 16)
    room = _text_width(max(x_labels, key=len, default=""), 10) + 12  # px an x label needs
    left, right, top, bottom = max(48, int(room / 2)), max(16, int(room / 2)), legend_y + 12, 44
    span_x, span_y = width - left - right, height - top - bottom
    end = count_axis_end(max((v for values in series.values() for v in values), default=0.0))
    step = span_x / max(1, len(x_labels) - 1)

    def at(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if len(x_labels) > 1 else span_x / 2)
        return x, top + span_y - value / end * span_y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="{left}" y="14" font-size="12">{html.escape(title)}</text>',
        *legend,
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + span_y - tick * span_y
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{count_label(tick * end)}</text>"
        )
    every = max(1, math.ceil(len(x_labels) * room / span_x))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            x, _ = at(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle">'
                f"{html.escape(label)}</text>"
            )
    for name in names:
        fill = colour(names, name)
        points = [at(i, value) for i, value in enumerate(series[name])]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{fill}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, x_labels, series[name], strict=True):
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{fill}">'
                f"<title>{html.escape(f'{label} / {name}')}: {count_label(value)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
