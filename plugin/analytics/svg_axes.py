"""What every server-drawn chart shares: the SLDS palette, the plot frame, round axis ticks,
text, markers and whiskers. Each chart kind is a module of its own (``svg_charts``: trends,
``svg_interval_chart``: intervals, ``svg_panels``: several charts as one figure).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from markupsafe import Markup, escape

#: One look per series: colour, dash pattern of its line, marker. Series differ by dash and
#: marker as well as by colour, so a chart reads in greyscale.
SERIES_STYLES = (
    ("#0176d3", "", "circle"),
    ("#2e844a", "6 4", "square"),
    ("#dd7a01", "2 3", "diamond"),
)
TEXT_COLOUR = "#444444"
GRID_COLOUR = "#e5e5e5"
REFERENCE_COLOUR = "#ba0517"
#: A value axis has at most this many steps between its ends.
MAX_VALUE_TICKS = 5


@dataclass(frozen=True)
class Frame:
    """The chart's viewBox and the margins around its plot area, in SVG user units."""

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

    @property
    def right_edge(self) -> float:
        return self.left + self.plot_width

    def x(self, fraction: float) -> float:
        return self.left + fraction * self.plot_width

    def y(self, fraction: float) -> float:
        return self.baseline - fraction * self.plot_height


def value_axis(low: float, high: float) -> tuple[float, float, float]:
    """(start, stop, step) of an axis covering ``low``..``high`` in at most
    :data:`MAX_VALUE_TICKS` round steps (1, 2 or 5 × 10^k): ticks a reader can name."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"an axis needs finite ends, not {low}..{high}")
    if high <= low:
        low, high = low - 0.5 * (abs(low) or 1), high + 0.5 * (abs(high) or 1)
    power = 10.0 ** math.floor(math.log10((high - low) / MAX_VALUE_TICKS))
    for multiple in (1, 2, 5, 10):
        step = multiple * power
        start, stop = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
        if round((stop - start) / step) <= MAX_VALUE_TICKS:
            digits = tick_digits(step)
            return round(start, digits), round(stop, digits), round(step, digits)
    raise AssertionError("unreachable: 10 × power always fits")


def tick_digits(step: float) -> int:
    """Decimals that tell ticks ``step`` apart and no more (0.05 → 2, 0.5 → 1, 5 → 0)."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def svg_open(chart_id: str, title: str, description: str, width: int, height: int, *,
             role: str = "img", css_class: str = "bi-chart",
             font_family: str = "inherit") -> list[str]:
    """The ``<svg>`` tag, named for screen readers by its ``<title>`` and ``<desc>``; it scales
    to its container's width. ``inherit`` takes the page's font; a standalone file names one."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width} '
        f'{height}" role="{role}" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' preserveAspectRatio="xMidYMid meet" font-family="{escape(font_family)}"'
        f' font-size="11">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def svg_join(parts: Iterable[str]) -> Markup:
    return Markup("".join(parts))  # nosec B704 # why: every part is built here with its text escaped


def text(x: float, y: float, content: str, anchor: str = "start", rotate: int = 0) -> str:
    transform = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{TEXT_COLOUR}"'
            f'{transform}>{escape(content)}</text>')


def marker(shape: str, x: float, y: float, colour: str, label: str | None,
           size: float = 3.5) -> str:
    """A circle, square or diamond centred on (x, y); ``label`` becomes its tooltip."""
    title = f"<title>{escape(label)}</title>" if label is not None else ""
    if shape == "square":
        return (f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" '
                f'height="{2 * size:.1f}" fill="{colour}">{title}</rect>')
    if shape == "diamond":
        d = size * 1.3
        return (f'<polygon points="{x:.1f},{y - d:.1f} {x + d:.1f},{y:.1f} {x:.1f},{y + d:.1f} '
                f'{x - d:.1f},{y:.1f}" fill="{colour}">{title}</polygon>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{colour}">{title}</circle>'


def whisker(x1: float, y1: float, x2: float, y2: float, colour: str, cap: float = 4) -> str:
    """An interval's line from (x1, y1) to (x2, y2), capped across at both ends; the first
    ``<line>`` is the interval itself."""
    if y1 == y2:  # along the x axis: the caps stand upright
        caps = [(x, y1 - cap, x, y1 + cap) for x in (x1, x2)]
    else:
        caps = [(x1 - cap, y, x1 + cap, y) for y in (y1, y2)]
    lines = [(x1, y1, x2, y2), *caps]
    return '<g class="bi-chart__whisker">' + "".join(
        f'<line x1="{a:.1f}" y1="{b:.1f}" x2="{c:.1f}" y2="{d:.1f}" stroke="{colour}" '
        f'stroke-width="1.5" />' for a, b, c, d in lines
    ) + "</g>"


def is_number(value: float | None) -> bool:
    return value is not None and not math.isnan(value)
