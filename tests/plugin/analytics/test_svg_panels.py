"""Several charts as one figure: each panel in its own slot under its heading, still an image
with its own title inside a labelled group."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from plugin.analytics.svg_charts import Series, TrendChart, trend_chart_svg
from plugin.analytics.svg_panels import HEADING_HEIGHT, Panel, panels_svg

SVG = "{http://www.w3.org/2000/svg}"


def panel(n: int) -> Panel:
    chart = TrendChart(f"Chart {n}", f"Description {n}", ["1", "2"], Series("Impressions", [n, 1]))
    return Panel(f"Heading {n} & more", trend_chart_svg(chart, chart_id=f"chart-{n}",
                                                        width=300, height=200))


def figure(count: int, columns: int) -> ElementTree.Element:
    return ElementTree.fromstring(str(panels_svg(
        "Three charts", "What they show <together>", "figure",
        [panel(n) for n in range(1, count + 1)], panel_width=300, panel_height=200,
        columns=columns, font_family="Georgia, serif")))


def test_the_figure_is_a_labelled_group_sized_to_its_grid_of_slots():
    svg = figure(3, columns=2)
    assert svg.get("role") == "group"
    assert svg.get("aria-labelledby") == "figure-title figure-desc"
    assert svg.find(f"{SVG}title").text == "Three charts"
    assert svg.find(f"{SVG}desc").text == "What they show <together>"
    assert svg.get("viewBox") == f"0 0 600 {2 * (HEADING_HEIGHT + 200)}"
    assert svg.get("font-family") == "Georgia, serif"


def test_each_panel_fills_its_own_slot_left_to_right_then_down():
    slots = figure(3, columns=2).findall(f"{SVG}svg")
    placed = [(s.get("x"), s.get("y"), s.get("width"), s.get("height")) for s in slots]
    below = str(2 * HEADING_HEIGHT + 200)
    assert placed == [("0", str(HEADING_HEIGHT), "300", "200"),
                      ("300", str(HEADING_HEIGHT), "300", "200"),
                      ("0", below, "300", "200")]
    charts = [slot.find(f"{SVG}svg") for slot in slots]
    assert [c.get("role") for c in charts] == ["img"] * 3
    assert [c.find(f"{SVG}title").text for c in charts] == ["Chart 1", "Chart 2", "Chart 3"]


def test_each_heading_sits_above_its_panel():
    svg = figure(2, columns=1)
    headings = svg.findall(f"{SVG}text[@class='bi-chart-panels__heading']")
    assert [h.text for h in headings] == ["Heading 1 & more", "Heading 2 & more"]
    slots = svg.findall(f"{SVG}svg")
    for heading, slot in zip(headings, slots):
        top = float(slot.get("y"))
        assert top - HEADING_HEIGHT < float(heading.get("y")) < top


def test_more_columns_than_panels_leave_no_empty_slot():
    assert figure(1, columns=3).get("viewBox") == f"0 0 300 {HEADING_HEIGHT + 200}"


@pytest.mark.parametrize("panels, columns, message", [([], 1, "at least one panel"),
                                                      (None, 0, "at least 1")])
def test_a_figure_it_cannot_lay_out_is_refused(panels, columns, message):
    with pytest.raises(ValueError, match=message):
        panels_svg("t", "d", "f", [panel(1)] if panels is None else panels,
                   panel_width=10, panel_height=10, columns=columns)
