"""Estimates with their 95 % intervals as inline SVG (a forest chart): one row per estimate, a
marker and its whisker on one value axis, and an optional reference line such as a known truth
or zero gain. The chart draws the intervals it is given; it computes none.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from markupsafe import Markup, escape

from plugin.analytics.svg_axes import (
    GRID_COLOUR,
    REFERENCE_COLOUR,
    SERIES_STYLES,
    TEXT_COLOUR,
    Frame,
    is_number,
    marker,
    svg_join,
    svg_open,
    text,
    tick_digits,
    value_axis,
    whisker,
)
from recommender.evaluation import Interval

#: Rough width of one character of a row label at font size 11, to leave room for the labels.
LABEL_CHARACTER_WIDTH = 6.2
Scale = Callable[[float], float]


@dataclass(frozen=True)
class IntervalRow:
    label: str
    interval: Interval
    #: Index into ``SERIES_STYLES``: rows of one policy share a colour and marker.
    style: int = 0


@dataclass(frozen=True)
class ReferenceLine:
    """A value every row is read against, drawn across the rows as a dashed line."""

    value: float
    #: Written above the line as given ("truth 0.482", "no gain").
    label: str


@dataclass(frozen=True)
class IntervalChart:
    title: str
    description: str
    rows: Sequence[IntervalRow]
    #: What the value axis measures.
    axis_title: str = ""
    reference: ReferenceLine | None = None
    #: A span the axis covers whatever the rows (e.g. (0, 1) for shares); it always covers every
    #: interval and the reference line too.
    span: tuple[float, float] | None = None
    #: Decimals of the figures in the tooltips: the report's tables use 3.
    digits: int = 3

    def __post_init__(self) -> None:
        if not self.rows:
            raise ValueError("an interval chart needs at least one row")
        for row in self.rows:
            if not 0 <= row.style < len(SERIES_STYLES):
                raise ValueError(f"row {row.label!r}: style {row.style} is not one of "
                                 f"0..{len(SERIES_STYLES) - 1}")
        if self.reference is not None and not is_number(self.reference.value):
            raise ValueError(f"reference line {self.reference.label!r} has no value")


def interval_chart_svg(chart: IntervalChart, chart_id: str, width: int = 720, height: int = 240,
                       *, font_family: str = "inherit") -> Markup:
    """The chart as an ``<svg>`` element that scales to its container's width; each row is a
    ``<g class="bi-chart__interval">`` whose tooltip states the estimate and its interval."""
    longest = max(len(row.label) for row in chart.rows)
    frame = Frame(
        width, height, left=min(width // 2, max(60, round(12 + LABEL_CHARACTER_WIDTH * longest))),
        right=24, top=24 if chart.reference else 10, bottom=42 if chart.axis_title else 28,
    )
    start, stop, step = value_axis(*_extent(chart))

    def scale(value: float) -> float:
        return frame.x((value - start) / (stop - start))

    return svg_join([
        *svg_open(chart_id, chart.title, chart.description, width, height,
                  font_family=font_family),
        *_value_axis(frame, start, stop, step, scale, chart.axis_title),
        *(part for index, row in enumerate(chart.rows)
          for part in _row(frame, row, _row_y(frame, index, len(chart.rows)), scale, chart.digits)),
        *(_reference(frame, chart.reference, scale) if chart.reference else []),
        "</svg>",
    ])


def interval_text(interval: Interval, digits: int = 3) -> str:
    """"0.420 [0.326, 0.514]", as the report's tables write an estimate and its interval."""
    if not is_number(interval.estimate):
        return "n/a"
    if not (is_number(interval.low) and is_number(interval.high)):
        return f"{interval.estimate:.{digits}f}"
    return f"{interval.estimate:.{digits}f} [{interval.low:.{digits}f}, {interval.high:.{digits}f}]"


def _extent(chart: IntervalChart) -> tuple[float, float]:
    values = [v for row in chart.rows
              for v in (row.interval.low, row.interval.estimate, row.interval.high)
              if is_number(v)]
    values += list(chart.span or ())
    values += [chart.reference.value] if chart.reference else []
    return (min(values), max(values)) if values else (0.0, 1.0)


def _row_y(frame: Frame, index: int, count: int) -> float:
    return frame.top + frame.plot_height / count * (index + 0.5)


def _value_axis(frame: Frame, start: float, stop: float, step: float, scale: Scale,
                title: str) -> list[str]:
    """Vertical grid lines at round ticks, labelled under the plot."""
    digits = tick_digits(step)
    parts = []
    for n in range(round((stop - start) / step) + 1):
        value = round(start + n * step, digits)
        x = scale(value)
        parts.append(f'<line class="bi-chart__grid" x1="{x:.1f}" x2="{x:.1f}" '
                     f'y1="{frame.top:.1f}" y2="{frame.baseline:.1f}" stroke="{GRID_COLOUR}" />')
        parts.append(text(x, frame.baseline + 15, f"{value:.{digits}f}", anchor="middle"))
    parts.append(f'<line x1="{frame.left}" x2="{frame.right_edge:.1f}" y1="{frame.baseline:.1f}" '
                 f'y2="{frame.baseline:.1f}" stroke="{TEXT_COLOUR}" />')
    if title:
        parts.append(text(frame.x(0.5), frame.baseline + 33, title, anchor="middle"))
    return parts


def _row(frame: Frame, row: IntervalRow, y: float, scale: Scale, digits: int) -> list[str]:
    colour, _, shape = SERIES_STYLES[row.style]
    parts = [text(frame.left - 8, y + 4, row.label, anchor="end")]
    interval = row.interval
    title = f"<title>{escape(row.label)}: {interval_text(interval, digits)}</title>"
    if not is_number(interval.estimate):
        return [*parts, f'<g class="bi-chart__interval">{title}</g>',
                text(frame.left + 4, y + 4, "n/a")]
    drawn = [title]
    if is_number(interval.low) and is_number(interval.high):
        drawn.append(whisker(scale(interval.low), y, scale(interval.high), y, colour))
    drawn.append(marker(shape, scale(interval.estimate), y, colour, None, size=4))
    return [*parts, '<g class="bi-chart__interval">' + "".join(drawn) + "</g>"]


def _reference(frame: Frame, reference: ReferenceLine, scale: Scale) -> list[str]:
    x, label = scale(reference.value), reference.label
    anchor = ("start" if x < frame.x(0.2) else "end" if x > frame.x(0.8) else "middle")
    return [
        f'<line class="bi-chart__reference" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top - 4:.1f}" '
        f'y2="{frame.baseline:.1f}" stroke="{REFERENCE_COLOUR}" stroke-width="1.5" '
        f'stroke-dasharray="6 3"><title>{escape(label)}</title></line>',
        text(x, frame.top - 8, label, anchor=anchor),
    ]
