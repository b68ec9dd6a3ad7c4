"""Trend charts as inline SVG drawn on the server: counts as bars, rates as lines with whiskers.
Design: docs/design/analytics.md."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

from plugin.analytics.svg_axes import (
    GRID_COLOUR,
    SERIES_STYLES,
    TEXT_COLOUR,
    Frame,
    is_number,
    marker,
    svg_join,
    svg_open,
    text,
    whisker,
)
from recommender.evaluation import Interval

BAR_COLOUR = "#aacbff"
MAX_X_LABELS = 9


@dataclass(frozen=True)
class Series:
    name: str
    #: One value per x label; None where there is nothing to draw (a rate of no impressions).
    values: Sequence[float | None]
    #: A line's 95 % interval per x label, drawn as a whisker; None where there is none.
    intervals: Sequence[Interval | None] | None = None


@dataclass(frozen=True)
class TrendChart:
    title: str
    description: str
    labels: Sequence[str]
    #: Counts, on the left axis.
    bars: Series
    #: Proportions in [0, 1], on the right axis as percentages.
    lines: Sequence[Series] = ()
    #: What the x labels count ("position in the list"); weeks need no title.
    x_title: str = ""
    rate_title: str = "Rate"

    def __post_init__(self) -> None:
        for series in (self.bars, *self.lines):
            if len(series.values) != len(self.labels):
                raise ValueError(
                    f"series {series.name!r} has {len(series.values)} values for "
                    f"{len(self.labels)} labels"
                )
            if series.intervals is not None and len(series.intervals) != len(self.labels):
                raise ValueError(
                    f"series {series.name!r} has {len(series.intervals)} intervals for "
                    f"{len(self.labels)} labels"
                )
        if len(self.lines) > len(SERIES_STYLES):
            raise ValueError(f"at most {len(SERIES_STYLES)} lines")


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


def trend_chart_svg(chart: TrendChart, chart_id: str, width: int = 720, height: int = 280, *,
                    font_family: str = "inherit") -> Markup:
    """The chart as an ``<svg>`` element that scales to its container's width."""
    frame = Frame(width, height)
    top, step = count_axis(max((v or 0 for v in chart.bars.values), default=0))
    return svg_join([
        *svg_open(chart_id, chart.title, chart.description, width, height,
                  font_family=font_family),
        *_axes(frame, top, step, chart),
        *_bars(frame, chart.bars, top),
        *(part for index, line in enumerate(chart.lines)
          for part in _line(frame, line, SERIES_STYLES[index], len(chart.labels))),
        *_x_labels(frame, chart.labels),
        *([text(frame.x(0.5), frame.baseline + 33, chart.x_title, anchor="middle")]
          if chart.x_title else []),
        *_legend(frame, chart),
        "</svg>",
    ])


def _axes(frame: Frame, top: int, step: int, chart: TrendChart) -> list[str]:
    """Grid lines at the count ticks; the rate axis labels its quarters on the right."""
    parts = []
    right_edge, with_rates = frame.right_edge, bool(chart.lines)
    for count in range(0, top + 1, step):
        y = frame.y(count / top)
        parts.append(f'<line x1="{frame.left}" x2="{right_edge:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID_COLOUR}" />')
        parts.append(text(frame.left - 6, y + 4, f"{count:,}", anchor="end"))
    if with_rates:
        for fraction in RATE_TICKS:
            y = frame.y(fraction)
            parts.append(f'<line x1="{right_edge:.1f}" x2="{right_edge + 4:.1f}" y1="{y:.1f}" '
                         f'y2="{y:.1f}" stroke="{TEXT_COLOUR}" />')
            parts.append(text(right_edge + 7, y + 4, f"{fraction:.0%}", anchor="start"))
    parts.append(f'<line x1="{frame.left}" x2="{right_edge:.1f}" y1="{frame.baseline:.1f}" '
                 f'y2="{frame.baseline:.1f}" stroke="{TEXT_COLOUR}" />')
    middle = frame.top + frame.plot_height / 2
    parts.append(text(14, middle, chart.bars.name, anchor="middle", rotate=-90))
    if with_rates:
        parts.append(text(frame.width - 10, middle, chart.rate_title, anchor="middle", rotate=90))
    return parts


def _band(frame: Frame, count: int) -> float:
    return frame.plot_width / max(count, 1)


def _centre(frame: Frame, index: int, count: int) -> float:
    return frame.left + _band(frame, count) * (index + 0.5)


def _bars(frame: Frame, bars: Series, top: float) -> list[str]:
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


def _line(frame: Frame, line: Series, style: tuple[str, str, str], count: int) -> list[str]:
    colour, dash, shape = style
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    intervals = line.intervals or [None] * count
    parts = [  # whiskers first, so that the line and its markers are drawn over them
        whisker(_centre(frame, i, count), frame.y(iv.low), _centre(frame, i, count),
                frame.y(iv.high), colour)
        for i, iv in enumerate(intervals)
        if iv is not None and is_number(iv.low) and is_number(iv.high)
    ]
    run = []
    points = [
        (_centre(frame, i, count), frame.y(v)) if is_number(v) else None
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
    for point, value, interval in zip(points, line.values, intervals):
        if point is not None:
            parts.append(marker(shape, *point, colour, _point_label(line.name, value, interval)))
    return parts


def _point_label(name: str, value: float, interval: Interval | None) -> str:
    """"Opened: 32%", or with its interval "Opened: 32% (28%–36%)", as the pages write rates."""
    if interval is None or not (is_number(interval.low) and is_number(interval.high)):
        return f"{name}: {value:.0%}"
    return f"{name}: {value:.0%} ({interval.low:.0%}–{interval.high:.0%})"


def _x_labels(frame: Frame, labels: Sequence[str]) -> list[str]:
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [
        text(_centre(frame, index, len(labels)), frame.baseline + 16, label, anchor="middle")
        for index, label in enumerate(labels)
        if index % step == 0
    ]


def _legend(frame: Frame, chart: TrendChart) -> list[str]:
    y = frame.height - 14
    x = float(frame.left)
    parts = [f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="14" height="10" fill="{BAR_COLOUR}" />',
             text(x + 20, y, chart.bars.name)]
    x += 30 + 6.5 * len(chart.bars.name)
    for line, (colour, dash, shape) in zip(chart.lines, SERIES_STYLES):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                     f'stroke="{colour}" stroke-width="2"{dash_attr} />')
        parts.append(marker(shape, x + 11, y - 4, colour, line.name, size=3))
        parts.append(text(x + 28, y, line.name))
        x += 40 + 6.5 * len(line.name)
    return parts
