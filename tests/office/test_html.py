"""The HTML format layer: SVG chart geometry and markup, the JSON data island, escaping."""

from __future__ import annotations

import json

import pytest

from review.office import html
from review.office.html import Series, chart_geometry, json_script, line_chart, path_of


def label(value: float) -> str:
    return f"{value:g}"


def test_time_runs_right_to_left_in_arabic_and_left_to_right_otherwise():
    series = [Series("a", [10.0, 20.0, 30.0], "#000000")]
    rtl = chart_geometry(["Q1", "Q2", "Q3"], series, label, rtl=True, width=200, height=100)
    ltr = chart_geometry(["Q1", "Q2", "Q3"], series, label, rtl=False, width=200, height=100)
    assert rtl["x"] == sorted(rtl["x"], reverse=True) and ltr["x"] == sorted(ltr["x"])
    # plot 200 − 46 − 10 = 144 px wide, three slots of 48: centres 24, 72, 120 from the plot's edge
    assert ltr["x"] == [46 + 24, 46 + 72, 46 + 120] and rtl["x"] == [10 + 120, 10 + 72, 10 + 24]
    assert rtl["ax"] > rtl["gx"][1] and ltr["ax"] < ltr["gx"][0]  # the value axis on the reading side


def test_values_scale_to_nice_ticks_and_a_missing_value_breaks_the_line():
    g = chart_geometry(["a", "b", "c"], [Series("s", [0.0, None, 100.0], "#111111")], label,
                       rtl=False, width=200, height=100)
    # a quarter of 0…100 with 8 % headroom is 27: the next nice step is 50, and the top 150
    assert [t[1] for t in g["t"]] == ["0", "50", "100", "150"]
    top, bottom = g["t"][-1][0], g["t"][0][0]
    assert (top, bottom) == (10, 76)  # 100 − 10 − 24 = 66 px of plot
    points = g["l"][0]["p"]
    assert points[1] is None and points[0][1] == bottom and points[2][1] == 32  # 76 − 66 × 100/150
    assert path_of(points) == f"M{points[0][0]} {points[0][1]:g}M{points[2][0]} {points[2][1]:g}"


def test_a_line_without_any_value_is_left_out_and_an_empty_chart_still_draws():
    g = chart_geometry(["a"], [Series("s", [None], "#111111")], label)
    assert g["l"] == [] and g["t"]
    assert line_chart(["a"], [Series("s", [None], "#111111")], label, "t").startswith("<svg")


def test_chart_texts_are_text_and_escaped():
    svg = line_chart(["ر1 <b>"], [Series("s", [5.0], "#111111")], lambda v: f"{v:g}&", 'a "title" <x>')
    assert "<text" in svg and "ر1 &lt;b&gt;" in svg and "2&amp;" in svg  # ticks 0, 2, 4, 6
    assert 'aria-label="a &#34;title&#34; &lt;x&gt;"' in svg


def test_the_json_island_cannot_end_its_element_and_reads_back():
    value = {"b": "</script><!-- & >", "a": [1.5, None, "٪"]}
    text = json_script(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value and text.index('"a"') < text.index('"b"')  # keys sorted


def test_an_asset_that_would_close_its_element_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bad.js").write_text("var s = '</script>';", encoding="utf-8")
    monkeypatch.setattr(html, "PAGES_DIR", tmp_path)
    html._asset.cache_clear()
    try:
        with pytest.raises(ValueError, match="cannot be inlined"):
            html._asset("bad.js")
    finally:
        html._asset.cache_clear()


def test_every_value_in_a_page_is_escaped():
    page = {"lang": "ar", "dir": "rtl", "digits": "latin", "title": "<t>", "plan": "&", "labels": {},
            "statuses": [], "organization": "", "classification": "", "notice": ""}
    text = html._environment().from_string("{{ page.title }}{{ page.plan }}").render(page=page)
    assert text == "&lt;t&gt;&amp;"
