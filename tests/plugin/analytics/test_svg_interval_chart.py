"""The server-drawn interval chart: each whisker spans exactly its interval on the axis the chart
labels, the reference line sits at its value, and nothing is drawn that was not given."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

import pytest

from plugin.analytics.svg_interval_chart import (
    IntervalChart,
    IntervalRow,
    ReferenceLine,
    interval_chart_svg,
)
from recommender.evaluation import Interval

SVG = "{http://www.w3.org/2000/svg}"
NAN = math.nan
#: Coordinates are written with one decimal.
ROUNDING = 0.051


def chart(**overrides) -> IntervalChart:
    values = dict(
        title="Helpful-or-used per view",
        description="Estimates & their <95 %> intervals",
        rows=[IntervalRow("logged (observed)", Interval(0.411, 0.319, 0.503), style=2),
              IntervalRow("v1 IPS", Interval(0.297, 0.216, 0.378), style=1),
              IntervalRow("candidate IPS", Interval(0.420, 0.326, 0.514), style=0)],
        axis_title="helpful-or-used per view",
    )
    values.update(overrides)
    return IntervalChart(**values)


def parse(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def axis_scale(svg: ElementTree.Element):
    """value → x, read off the chart's own tick labels (the texts under the plot)."""
    ticks = {}
    for element in svg.iter(f"{SVG}text"):
        try:
            ticks[float(element.text)] = float(element.get("x"))
        except ValueError:
            continue
    (v0, x0), (v1, x1) = min(ticks.items()), max(ticks.items())
    return lambda value: x0 + (value - v0) * (x1 - x0) / (v1 - v0), sorted(ticks)


def rows(svg: ElementTree.Element) -> list[ElementTree.Element]:
    return svg.findall(f"{SVG}g[@class='bi-chart__interval']")


def whisker_line(row: ElementTree.Element) -> ElementTree.Element | None:
    group = row.find(f"{SVG}g[@class='bi-chart__whisker']")
    return None if group is None else group.find(f"{SVG}line")


def marker_x(row: ElementTree.Element) -> float:
    """The centre of a row's circle, square or diamond (whose first point is its top)."""
    for child in row:
        if child.tag == f"{SVG}circle":
            return float(child.get("cx"))
        if child.tag == f"{SVG}rect":
            return float(child.get("x")) + float(child.get("width")) / 2
        if child.tag == f"{SVG}polygon":
            return float(child.get("points").split()[0].split(",")[0])
    raise AssertionError("the row has no marker")


def test_the_chart_names_itself_for_screen_readers_with_escaped_text():
    svg = parse(interval_chart_svg(chart(), chart_id="values"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "values-title values-desc"
    assert svg.find(f"{SVG}title").text == "Helpful-or-used per view"
    assert svg.find(f"{SVG}desc").text == "Estimates & their <95 %> intervals"


def test_each_whisker_spans_exactly_its_interval_on_the_labelled_axis():
    given = chart()
    svg = parse(interval_chart_svg(given, chart_id="values"))
    scale, _ = axis_scale(svg)
    drawn = rows(svg)
    assert len(drawn) == 3
    for row, element in zip(given.rows, drawn):
        line = whisker_line(element)
        assert float(line.get("x1")) == pytest.approx(scale(row.interval.low), abs=ROUNDING)
        assert float(line.get("x2")) == pytest.approx(scale(row.interval.high), abs=ROUNDING)
        assert line.get("y1") == line.get("y2")
        assert marker_x(element) == pytest.approx(scale(row.interval.estimate), abs=ROUNDING)


def test_rows_are_spread_top_to_bottom_in_the_given_order_with_their_labels():
    svg = parse(interval_chart_svg(chart(), chart_id="values"))
    heights = [float(whisker_line(r).get("y1")) for r in rows(svg)]
    assert heights == sorted(heights) and len(set(heights)) == 3
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"logged (observed)", "v1 IPS", "candidate IPS",
            "helpful-or-used per view"} <= set(texts)


def test_each_row_states_its_estimate_and_interval_as_the_tables_do():
    svg = parse(interval_chart_svg(chart(), chart_id="values"))
    assert [r.find(f"{SVG}title").text for r in rows(svg)] == [
        "logged (observed): 0.411 [0.319, 0.503]",
        "v1 IPS: 0.297 [0.216, 0.378]",
        "candidate IPS: 0.420 [0.326, 0.514]",
    ]


def test_rows_of_different_styles_differ_by_marker_as_well_as_colour():
    svg = parse(interval_chart_svg(chart(), chart_id="values"))
    shapes = [next(c.tag for c in r if c.tag != f"{SVG}title" and c.tag != f"{SVG}g")
              for r in rows(svg)]
    assert shapes == [f"{SVG}polygon", f"{SVG}rect", f"{SVG}circle"]


def test_the_reference_line_sits_at_its_value_across_every_row():
    given = chart(reference=ReferenceLine(0.482, "truth 0.482"))
    svg = parse(interval_chart_svg(given, chart_id="values"))
    scale, _ = axis_scale(svg)
    line = svg.find(f"{SVG}line[@class='bi-chart__reference']")
    assert float(line.get("x1")) == pytest.approx(scale(0.482), abs=ROUNDING)
    assert line.get("x1") == line.get("x2")
    row_heights = [float(whisker_line(r).get("y1")) for r in rows(svg)]
    assert float(line.get("y1")) < min(row_heights) and float(line.get("y2")) > max(row_heights)
    assert line.find(f"{SVG}title").text == "truth 0.482"
    assert "truth 0.482" in [t.text for t in svg.iter(f"{SVG}text")]


def test_the_axis_has_round_ticks_covering_the_intervals_and_the_reference():
    gain = chart(rows=[IntervalRow("learned − v1", Interval(0.103, 0.096, 0.110))],
                 reference=ReferenceLine(0.0, "no gain"))
    _, ticks = axis_scale(parse(interval_chart_svg(gain, chart_id="gain")))
    assert ticks == [0.0, 0.05, 0.1, 0.15]
    _, ticks = axis_scale(parse(interval_chart_svg(chart(), chart_id="values")))
    assert ticks == [0.2, 0.3, 0.4, 0.5, 0.6]


def test_a_span_widens_the_axis_to_the_whole_scale():
    shares = chart(rows=[IntervalRow("NDCG@5", Interval(0.935, 0.901, 0.968))], span=(0.0, 1.0))
    _, ticks = axis_scale(parse(interval_chart_svg(shares, chart_id="shares")))
    assert ticks[0] == 0.0 and ticks[-1] == 1.0


def test_an_estimate_without_an_interval_gets_a_marker_but_no_whisker():
    partial = chart(rows=[IntervalRow("point only", Interval(0.4, NAN, NAN)),
                          IntervalRow("unknown", Interval(NAN, NAN, NAN)),
                          IntervalRow("full", Interval(0.3, 0.2, 0.5))])
    svg = parse(interval_chart_svg(partial, chart_id="partial"))
    point, unknown, full = rows(svg)
    assert whisker_line(point) is None and point.find(f"{SVG}circle") is not None
    assert point.find(f"{SVG}title").text == "point only: 0.400"
    assert whisker_line(unknown) is None and unknown.find(f"{SVG}circle") is None
    assert unknown.find(f"{SVG}title").text == "unknown: n/a"
    assert whisker_line(full) is not None


@pytest.mark.parametrize("overrides, message", [
    (dict(rows=[]), "at least one row"),
    (dict(rows=[IntervalRow("x", Interval(0.1, 0.0, 0.2), style=3)]), "style 3"),
    (dict(reference=ReferenceLine(NAN, "truth")), "has no value"),
])
def test_a_chart_it_cannot_draw_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        chart(**overrides)
