"""Charts as inline SVG, drawn on the server: counts as bars, rates as lines, one shared x axis.

No JavaScript charting library: the workspace pages stay server-rendered, print, and work in the
Salesforce frame. Each chart names itself with ``<title>``/``<desc>`` for screen readers, and the
pages put its figures in a table beside it. Lines differ by dash and marker as well as colour,
so the chart reads in greyscale. Colours are the Lightning Design System's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

BAR_COLOUR = "#aacbff"
LINE_STYLES = (  # colour, dash pattern, marker
    ("#0176d3", "", "circle"),
    ("#2e844a", "6 4", "square"),
    ("#dd7a01", "2 3", "diamond"),
)
TEXT_COLOUR = "#444444"
GRID_COLOUR = "#e5e5e5"
MAX_X_LABELS = 9


@dataclass(frozen=True)
class Series:
    name: str
    #: One value per x label; None where there is nothing to draw (a rate of no impressions).
    values: Sequence[float | None]


@dataclass(frozen=True)
class TrendChart:
    title: str
    description: str
    labels: Sequence[str]
    #: Counts, on the left axis.
    bars: Series
    #: Proportions in [0, 1], on the right axis as percentages.
    lines: Sequence[Series] = ()

    def __post_init__(self) -> None:
        for series in (self.bars, *self.lines):
            if len(series.values) != len(self.labels):
                raise ValueError(
                    f"series {series.name!r} has {len(series.values)} values for "
                    f"{len(self.labels)} labels"
                )
        if len(self.lines) > len(LINE_STYLES):
            raise ValueError(f"at most {len(LINE_STYLES)} lines")


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 52
    right: int = 52
    top: int = 16
    bottom: int = 64

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> float:
        return self.top + self.plot_height

    def y(self, fraction: float) -> float:
        return self.baseline - fraction * self.plot_height


#: The count axis has at most this many steps above zero.
MAX_COUNT_TICKS = 5
RATE_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def count_axis(maximum: float) -> tuple[int, int]:
    """(top, step) for a count axis: the step is the smallest whole 1, 2 or 5 × 10^k that
    reaches ``maximum`` in at most :data:`MAX_COUNT_TICKS` steps, and the top the first step at
    or above it — round labels (0, 100, …, 500 for 410), never 12.5, and little empty space."""
    maximum = max(maximum, 1)
    power = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * power
            if step * MAX_COUNT_TICKS >= maximum:
                return step * math.ceil(maximum / step), step
        power *= 10


def trend_chart_svg(chart: TrendChart, chart_id: str, width: int = 720,
                    height: int = 280) -> Markup:
    """The chart as an ``<svg>`` element that scales to its container's width."""
    frame = _Frame(width, height)
    top, step = count_axis(max((v or 0 for v in chart.bars.values), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bi-chart" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' preserveAspectRatio="xMidYMid meet" font-family="inherit" font-size="11">',
        f'<title id="{chart_id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(chart.description)}</desc>',
        *_axes(frame, top, step, bool(chart.lines), chart.bars.name),
        *_bars(frame, chart.bars, top),
        *(part for index, line in enumerate(chart.lines)
          for part in _line(frame, line, LINE_STYLES[index], len(chart.labels))),
        *_x_labels(frame, chart.labels),
        *_legend(frame, chart),
        "</svg>",
    ]
    return Markup("".join(parts))


def _axes(frame: _Frame, top: int, step: int, with_rates: bool, bar_name: str) -> list[str]:
    """Grid lines at the count ticks; the rate axis labels its quarters on the right."""
    parts = []
    right_edge = frame.left + frame.plot_width
    for count in range(0, top + 1, step):
        y = frame.y(count / top)
        parts.append(f'<line x1="{frame.left}" x2="{right_edge:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID_COLOUR}" />')
        parts.append(_text(frame.left - 6, y + 4, f"{count:,}", anchor="end"))
    if with_rates:
        for fraction in RATE_TICKS:
            y = frame.y(fraction)
            parts.append(f'<line x1="{right_edge:.1f}" x2="{right_edge + 4:.1f}" y1="{y:.1f}" '
                         f'y2="{y:.1f}" stroke="{TEXT_COLOUR}" />')
            parts.append(_text(right_edge + 7, y + 4, f"{fraction:.0%}", anchor="start"))
    parts.append(f'<line x1="{frame.left}" x2="{right_edge:.1f}" y1="{frame.baseline:.1f}" '
                 f'y2="{frame.baseline:.1f}" stroke="{TEXT_COLOUR}" />')
    middle = frame.top + frame.plot_height / 2
    parts.append(_text(14, middle, bar_name, anchor="middle", rotate=-90))
    if with_rates:
        parts.append(_text(frame.width - 10, middle, "Rate", anchor="middle", rotate=90))
    return parts


def _band(frame: _Frame, count: int) -> float:
    return frame.plot_width / max(count, 1)


def _centre(frame: _Frame, index: int, count: int) -> float:
    return frame.left + _band(frame, count) * (index + 0.5)


def _bars(frame: _Frame, bars: Series, top: float) -> list[str]:
    count = len(bars.values)
    bar_width = _band(frame, count) * 0.6
    parts = []
    for index, value in enumerate(bars.values):
        if not value:
            continue
        height = value / top * frame.plot_height
        x = _centre(frame, index, count) - bar_width / 2
        parts.append(
            f'<rect class="bi-chart__bar" x="{x:.1f}" y="{frame.baseline - height:.1f}" '
            f'width="{bar_width:.1f}" height="{height:.1f}" fill="{BAR_COLOUR}">'
            f'<title>{escape(bars.name)}: {value:g}</title></rect>'
        )
    return parts


def _line(frame: _Frame, line: Series, style: tuple[str, str, str], count: int) -> list[str]:
    colour, dash, marker = style
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    parts, run = [], []
    points = [
        (_centre(frame, i, count), frame.y(v)) if v is not None and not math.isnan(v) else None
        for i, v in enumerate(line.values)
    ]
    for point in [*points, None]:  # a gap (None) ends a run: no line drawn across missing data
        if point is not None:
            run.append(point)
            continue
        if len(run) > 1:
            coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f'<polyline class="bi-chart__line" points="{coordinates}" fill="none" '
                         f'stroke="{colour}" stroke-width="2"{dash_attr} />')
        run = []
    for point, value in zip(points, line.values):
        if point is not None:
            label = f"{escape(line.name)}: {value:.0%}"
            parts.append(_marker(marker, *point, colour, label))
    return parts


def _marker(shape: str, x: float, y: float, colour: str, label: str, size: float = 3.5) -> str:
    title = f"<title>{label}</title>"
    if shape == "square":
        return (f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" '
                f'height="{2 * size:.1f}" fill="{colour}">{title}</rect>')
    if shape == "diamond":
        d = size * 1.3
        return (f'<polygon points="{x:.1f},{y - d:.1f} {x + d:.1f},{y:.1f} {x:.1f},{y + d:.1f} '
                f'{x - d:.1f},{y:.1f}" fill="{colour}">{title}</polygon>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{colour}">{title}</circle>'


def _x_labels(frame: _Frame, labels: Sequence[str]) -> list[str]:
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [
        _text(_centre(frame, index, len(labels)), frame.baseline + 16, label, anchor="middle")
        for index, label in enumerate(labels)
        if index % step == 0
    ]


def _legend(frame: _Frame, chart: TrendChart) -> list[str]:
    y = frame.height - 14
    x = float(frame.left)
    parts = [f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="14" height="10" fill="{BAR_COLOUR}" />',
             _text(x + 20, y, chart.bars.name)]
    x += 30 + 6.5 * len(chart.bars.name)
    for line, (colour, dash, marker) in zip(chart.lines, LINE_STYLES):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                     f'stroke="{colour}" stroke-width="2"{dash_attr} />')
        parts.append(_marker(marker, x + 11, y - 4, colour, escape(line.name), size=3))
        parts.append(_text(x + 28, y, line.name))
        x += 40 + 6.5 * len(line.name)
    return parts


def _text(x: float, y: float, text: str, anchor: str = "start", rotate: int = 0) -> str:
    transform = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{TEXT_COLOUR}"'
            f'{transform}>{escape(text)}</text>')
