"""Round value axes and capped whiskers, shared by every chart kind."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

import pytest

from plugin.analytics.svg_axes import tick_digits, value_axis, whisker

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("low, high, axis", [
    (0.0, 1.0, (0.0, 1.0, 0.2)),
    (0.0, 0.110, (0.0, 0.15, 0.05)),
    (0.216, 0.517, (0.2, 0.6, 0.1)),
    (0.964, 1.619, (0.8, 1.8, 0.2)),
    (-0.3, 0.2, (-0.3, 0.2, 0.1)),
    (120.0, 410.0, (100.0, 500.0, 100.0)),
])
def test_the_value_axis_has_at_most_five_round_steps_covering_the_range(low, high, axis):
    start, stop, step = value_axis(low, high)
    assert (start, stop, step) == pytest.approx(axis)
    assert start <= low and stop >= high and round((stop - start) / step) <= 5


def test_a_single_value_gets_an_axis_around_it():
    start, stop, _ = value_axis(1.0, 1.0)
    assert start < 1.0 < stop


def test_an_axis_needs_finite_ends():
    with pytest.raises(ValueError, match="finite"):
        value_axis(0.0, math.nan)


@pytest.mark.parametrize("step, digits", [(0.05, 2), (0.2, 1), (1.0, 0), (500.0, 0)])
def test_ticks_get_just_enough_decimals(step, digits):
    assert tick_digits(step) == digits


def test_a_whisker_is_its_line_with_a_cap_across_each_end():
    group = ElementTree.fromstring(whisker(10, 50, 90, 50, "#000", cap=4)
                                   .replace("<g ", f'<g xmlns="{SVG[1:-1]}" ', 1))
    line, *caps = group.findall(f"{SVG}line")
    assert [line.get(a) for a in ("x1", "y1", "x2", "y2")] == ["10.0", "50.0", "90.0", "50.0"]
    assert [[c.get(a) for a in ("x1", "y1", "x2", "y2")] for c in caps] == [
        ["10.0", "46.0", "10.0", "54.0"], ["90.0", "46.0", "90.0", "54.0"]]
