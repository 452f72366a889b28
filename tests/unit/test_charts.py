"""The SVG chart drawer shared by the bias audit and the review report: one `rect.bar` a bar, one
`circle.point` a value, whole-number count axes, every label escaped."""

from __future__ import annotations

import re

import pytest

from gateway.charts import Bar, bar_chart, count_axis_end, line_chart


@pytest.mark.parametrize(("top", "end"), [(0, 4), (1, 4), (4, 4), (5, 8), (9, 20), (33, 40), (1234, 2000)])
def test_count_axes_end_on_four_whole_ticks(top: float, end: float) -> None:
    assert count_axis_end(top) == end
    assert (end / 4).is_integer()


def test_a_bar_a_cell_with_its_value_and_labels_escaped() -> None:
    groups = [
        ("<script>", [Bar(3, "cloud"), Bar(0, "local")]),
        ("PERSON", [Bar(1, "cloud"), Bar(2, "local")]),
    ]
    svg = bar_chart(groups, "PII & more")
    assert svg.count('class="bar"') == 4
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "PII &amp; more" in svg
    assert "<title>PERSON / local: 2</title>" in svg
    widths = [float(w) for w in re.findall(r'class="bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[1] == 0 and widths[0] == pytest.approx(3 * widths[2])  # drawn to one scale


def test_a_line_a_series_and_a_point_a_value() -> None:
    labels = [f"2026-01-{d:02d}" for d in range(1, 32)]
    svg = line_chart(labels, {"cloud": [1.0] * 31, "local": [float(d) for d in range(31)]}, "per day")
    assert svg.count('class="line"') == 2
    assert svg.count('class="point"') == 62
    assert 0 < svg.count('text-anchor="middle">2026-01-') < 31  # x labels thinned to fit
