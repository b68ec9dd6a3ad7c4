"""Several charts as one SVG figure, in a grid of equal slots, each under a visible heading: one
file per figure even when its panels need different scales (two rewards, two lists). Each
panel keeps its own title and description, so a screen reader can step through them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

from plugin.analytics.svg_axes import TEXT_COLOUR, svg_join, svg_open

#: Height of the strip above each panel that holds its heading.
HEADING_HEIGHT = 24


@dataclass(frozen=True)
class Panel:
    #: Shown above the chart, so that a reader tells the panels apart at a glance.
    heading: str
    #: An ``<svg>`` chart drawn at the figure's panel width × height.
    svg: Markup


def panels_svg(title: str, description: str, chart_id: str, panels: Sequence[Panel], *,
               panel_width: int, panel_height: int, columns: int = 1,
               font_family: str = "inherit") -> Markup:
    """``panels`` laid out left to right in rows of ``columns``, each slot a heading over its
    chart; the figure is a labelled group, each panel an image in it."""
    if not panels:
        raise ValueError("a figure needs at least one panel")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, not {columns}")
    columns = min(columns, len(panels))
    slot_height = HEADING_HEIGHT + panel_height
    width, height = columns * panel_width, math.ceil(len(panels) / columns) * slot_height
    parts = svg_open(chart_id, title, description, width, height, role="group",
                     css_class="bi-chart-panels", font_family=font_family)
    for index, panel in enumerate(panels):
        x, y = index % columns * panel_width, index // columns * slot_height
        parts.append(f'<text class="bi-chart-panels__heading" x="{x + 8}" y="{y + 16}" '
                     f'font-size="12" font-weight="600" fill="{TEXT_COLOUR}">'
                     f'{escape(panel.heading)}</text>')
        parts.append(f'<svg x="{x}" y="{y + HEADING_HEIGHT}" width="{panel_width}" '
                     f'height="{panel_height}">{panel.svg}</svg>')
    parts.append("</svg>")
    return svg_join(parts)
