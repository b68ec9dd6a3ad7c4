"""The server-drawn trend chart: well-formed, accessible SVG whose shapes follow the figures."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from plugin.analytics.svg_charts import Series, TrendChart, count_axis, trend_chart_svg
from recommender.evaluation import Interval

SVG = "{http://www.w3.org/2000/svg}"
NAN = float("nan")


def chart(**overrides) -> TrendChart:
    values = dict(
        title="Impressions per week",
        description="Four weeks of <impressions> & rates",
        labels=["W1", "W2", "W3", "W4"],
        bars=Series("Impressions", [10, 0, 40, 20]),
        lines=[Series("Open rate", [0.5, None, 0.25, 1.0]),
               Series("Helpful or used", [0.1, None, None, 0.2])],
    )
    values.update(overrides)
    return TrendChart(**values)


def parse(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def test_the_chart_names_itself_for_screen_readers_with_escaped_text():
    svg = parse(trend_chart_svg(chart(), chart_id="trend"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "trend-title trend-desc"
    assert svg.find(f"{SVG}title").text == "Impressions per week"
    assert svg.find(f"{SVG}desc").text == "Four weeks of <impressions> & rates"


def test_bar_heights_are_proportional_and_an_empty_week_draws_no_bar():
    svg = parse(trend_chart_svg(chart(), chart_id="trend"))
    bars = svg.findall(f"{SVG}rect[@class='bi-chart__bar']")
    heights = [float(b.get("height")) for b in bars]
    assert len(bars) == 3  # the week with 0 impressions has none
    assert heights[1] == pytest.approx(4 * heights[0])
    assert heights[2] == pytest.approx(2 * heights[0])
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "Impressions: 10", "Impressions: 40", "Impressions: 20"]


def test_a_line_breaks_at_missing_weeks_instead_of_bridging_them():
    svg = parse(trend_chart_svg(chart(), chart_id="trend"))
    lines = svg.findall(f"{SVG}polyline")
    # Open rate: W1 alone, then W3-W4; helpful-or-used: W1 alone and W4 alone, so no line.
    assert len(lines) == 1
    assert len(lines[0].get("points").split()) == 2
    markers = [t.text for t in svg.iter(f"{SVG}title") if t.text and "%" in t.text]
    assert markers == ["Open rate: 50%", "Open rate: 25%", "Open rate: 100%",
                       "Helpful or used: 10%", "Helpful or used: 20%"]


def test_axes_are_labelled_with_round_counts_and_percentages():
    text = [t.text for t in parse(trend_chart_svg(chart(), chart_id="t")).iter(f"{SVG}text")]
    assert {"0", "10", "20", "30", "40"} <= set(text)
    assert {"0%", "50%", "100%"} <= set(text)
    assert "W1" in text and "W4" in text


def test_many_weeks_get_thinned_labels():
    labels = [f"W{n}" for n in range(26)]
    many = chart(labels=labels, bars=Series("Impressions", [1] * 26), lines=[])
    text = [t.text for t in parse(trend_chart_svg(many, chart_id="t")).iter(f"{SVG}text")]
    shown = [t for t in text if re.fullmatch(r"W\d+", t)]
    assert 5 <= len(shown) <= 9 and shown[0] == "W0"


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="3 values for 4 labels"):
        chart(bars=Series("Impressions", [1, 2, 3]))


@pytest.mark.parametrize("maximum, top, step", [(0, 1, 1), (4, 4, 1), (7, 8, 2), (11, 15, 5),
                                                 (40, 40, 10), (410, 500, 100), (3000, 3000, 1000)])
def test_the_count_axis_steps_are_whole_round_numbers_just_above_the_maximum(maximum, top, step):
    assert count_axis(maximum) == (top, step)


# -- lines with intervals, as the evaluation report's rates by position --------------------------
def with_intervals(**overrides) -> TrendChart:
    """Open rate 50% at W1 with the interval 25–100%: its whisker must end exactly level with
    the W3 (25%) and W4 (100%) markers of the same line."""
    return chart(lines=[Series("Open rate", [0.5, None, 0.25, 1.0],
                               [Interval(0.5, 0.25, 1.0), None, Interval(0.25, NAN, NAN), None])],
                 **overrides)


def circles(svg: ElementTree.Element) -> list[ElementTree.Element]:
    return [c for c in svg.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None
            and c.find(f"{SVG}title").text.startswith("Open rate:")]


def test_a_whisker_spans_exactly_its_interval_on_the_rate_axis():
    svg = parse(trend_chart_svg(with_intervals(), chart_id="t"))
    whiskers = list(svg.iter(f"{SVG}g"))
    assert [w.get("class") for w in whiskers] == ["bi-chart__whisker"]  # W3's has no bounds
    line = whiskers[0].find(f"{SVG}line")
    w1, w3, w4 = circles(svg)
    assert line.get("x1") == line.get("x2") == w1.get("cx")
    assert {line.get("y1"), line.get("y2")} == {w3.get("cy"), w4.get("cy")}


def test_a_point_with_an_interval_names_it_in_its_tooltip():
    svg = parse(trend_chart_svg(with_intervals(), chart_id="t"))
    assert [c.find(f"{SVG}title").text for c in circles(svg)] == [
        "Open rate: 50% (25%–100%)", "Open rate: 25%", "Open rate: 100%"]


def test_the_x_axis_and_rate_axis_can_say_what_they_measure():
    named = with_intervals(x_title="position in the list", rate_title="Share in the top 3")
    text = [t.text for t in parse(trend_chart_svg(named, chart_id="t")).iter(f"{SVG}text")]
    assert "position in the list" in text and "Share in the top 3" in text and "Rate" not in text


def test_intervals_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match="1 intervals for 4 labels"):
        chart(lines=[Series("Open rate", [0.5, None, 0.25, 1.0], [None])])
