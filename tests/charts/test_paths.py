"""The two ways charts are drawn agree: the fast path (default, matplotlib's private API) and the
plain path (``REVIEW_PLAIN_CHARTS=1``, stock matplotlib only).

Bound on their disagreement, per chart (RGBA, 0–255 per channel): a mean absolute difference of at
most :data:`MAX_MEAN_DIFF` per channel, and at most :data:`MAX_BIG_SHARE` of the pixels differing
by more than :data:`BIG_DIFF` in some channel. Measured with matplotlib 3.11.2: 0 and 0 — the two
paths draw the same pixels for every chart here and for all 58 charts of the two sample plans
(only the PNG encoders differ). The bound leaves room for antialiasing noise (a glyph edge a few
grey levels off) yet sits under what a visible change makes: one category label a letter shorter
gives a mean of 0.09 and 0.08 % of pixels off by more than 32.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from PIL import Image

from review.charts import CHART_KINDS, ChartSpec, draw, _fast_agg
from review.charts import figures as charts
from tests.charts import test_figures as samples

MAX_MEAN_DIFF = 0.05
BIG_DIFF = 32
MAX_BIG_SHARE = 0.0002  # 0.02 %

#: Keyword arguments of each kind beyond the samples' (Arabic legend labels, no-data label).
KWARGS = {name: defaults for name, (_, _, defaults) in samples.CHARTS.items()}


def spec(kind: str, items, case: str, **kwargs) -> ChartSpec:
    """The spec of the sample chart ``kind`` drawn from ``items``, titled in Arabic."""
    _, args, _ = samples.CHARTS[kind]
    return ChartSpec(f"{kind}-{case}.png", kind, (*args(items), "عنوان الرسم"),
                     {**KWARGS[kind], **kwargs}, "", "")


def cases() -> list:
    found = []
    for kind in CHART_KINDS:
        sample = samples.SAMPLES[kind]
        found += [
            pytest.param(spec(kind, sample, "rtl"), id=f"{kind}-rtl"),
            pytest.param(spec(kind, sample, "ltr", rtl=False), id=f"{kind}-ltr"),
            pytest.param(spec(kind, samples.long_label_items(kind), "long"), id=f"{kind}-long"),
            pytest.param(spec(kind, samples.empty_items(kind), "empty",
                              empty_message="لا توجد بيانات لهذا الربع"), id=f"{kind}-empty"),
        ]
    return found


def test_every_kind_is_drawn_both_ways():
    assert {param.values[0].function for param in cases()} == set(CHART_KINDS)


def rgba(png: bytes) -> np.ndarray:
    assert png.startswith(samples.PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA")).astype(int)


def draw_both(chart: ChartSpec, monkeypatch) -> tuple[bytes, bytes]:
    """Return the PNG of ``chart`` drawn by the fast path, then by the plain one."""
    monkeypatch.delenv(charts.PLAIN_ENV, raising=False)
    fast = draw(chart)
    monkeypatch.setenv(charts.PLAIN_ENV, "1")
    plain = draw(chart)
    monkeypatch.delenv(charts.PLAIN_ENV)
    return fast, plain


@pytest.mark.parametrize("chart", cases())
def test_the_paths_draw_the_same_chart(chart, monkeypatch):
    """Same pixel size; mean difference ≤ MAX_MEAN_DIFF, ≤ MAX_BIG_SHARE of pixels off by > BIG_DIFF."""
    fast, plain = map(rgba, draw_both(chart, monkeypatch))
    assert fast.shape == plain.shape
    difference = np.abs(fast - plain)
    assert difference.mean() <= MAX_MEAN_DIFF
    assert (difference.max(axis=2) > BIG_DIFF).mean() <= MAX_BIG_SHARE


def test_the_plain_path_is_stock_matplotlib(monkeypatch):
    monkeypatch.setenv(charts.PLAIN_ENV, "1")
    fig = samples.draw("score_bars")
    assert type(fig.canvas) is FigureCanvasAgg
    assert type(fig.canvas.get_renderer()) is RendererAgg
    monkeypatch.delenv(charts.PLAIN_ENV)
    assert type(samples.draw("score_bars").canvas) is not FigureCanvasAgg


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_the_plain_path_gives_the_same_bytes_twice(kind, monkeypatch):
    monkeypatch.setenv(charts.PLAIN_ENV, "1")
    chart = spec(kind, samples.SAMPLES[kind], "rtl")
    first = draw(chart)
    assert draw(chart) == first
    with Image.open(io.BytesIO(first)) as image:
        assert set(image.info) == {"dpi"}, "no clock or software metadata"
        assert image.info["dpi"] == pytest.approx((charts.DPI, charts.DPI), abs=0.01)


@pytest.mark.parametrize(("owner", "attribute"), [
    (ft2font.FT2Font, "_render_glyph"),
    (RendererAgg, "_prepare_font"),
    (font_manager.FontManager, "_find_fonts_by_props"),
])
def test_a_missing_private_api_switches_the_fast_path_off_once(owner, attribute, monkeypatch):
    monkeypatch.delenv(charts.PLAIN_ENV, raising=False)
    chart = spec("score_bars", samples.SCORE_ITEMS, "rtl")
    monkeypatch.setenv(charts.PLAIN_ENV, "1")
    plain = draw(chart)
    monkeypatch.delenv(charts.PLAIN_ENV)
    # As a process that has not checked yet; undone at the end, for the other tests.
    monkeypatch.setattr(charts._FAST, "_checked", False)
    monkeypatch.setattr(charts._FAST, "_warned", False)
    monkeypatch.setattr(charts._FAST, "missing", None)
    with monkeypatch.context() as removed:
        removed.delattr(owner, attribute)
        with pytest.warns(_fast_agg.FastPathUnavailable,
                          match=rf"has no {owner.__name__}\.{attribute}, .* drawn by stock "
                                r"matplotlib") as caught:
            first = charts._agg()
        second = charts._agg()  # checked once: a second warning would be an error here
    assert first is second is charts._STOCK
    assert len(caught) == 1
    assert caught[0].filename == __file__  # the caller outside review, not a line of the charts
    assert charts.fast_path_missing() == f"{owner.__name__}.{attribute}"
    # Stock matplotlib 3.11 itself draws with these attributes, so the chart is drawn with them
    # back, as a matplotlib that renamed one would draw with its new name. The check is not made
    # again (no second warning: warnings are errors here), and the stock path draws.
    assert draw(chart) == plain
    rgba(plain)
    charts.warn_fast_path_unavailable("FT2Font._layout")  # as a worker reports it: warned already, once


def test_a_worker_defers_the_missing_api_warning_to_the_build(monkeypatch):
    """A worker process draws the stock way without warning; the build warns once for all."""
    monkeypatch.setattr(charts._FAST, "_checked", False)
    monkeypatch.setattr(charts._FAST, "_warned", False)
    monkeypatch.setattr(charts._FAST, "missing", None)
    monkeypatch.setattr(charts._FAST, "warns", True)
    monkeypatch.setattr(_fast_agg, "missing_api", lambda: "FT2Font._layout")
    monkeypatch.delenv(charts.PLAIN_ENV, raising=False)
    charts.defer_fast_path_warning()
    assert charts._agg() is charts._STOCK  # no warning: warnings are errors here
    assert charts.fast_path_missing() == "FT2Font._layout"
    with pytest.warns(_fast_agg.FastPathUnavailable, match=r"has no FT2Font\._layout") as caught:
        charts.warn_fast_path_unavailable("FT2Font._layout")
        charts.warn_fast_path_unavailable("FT2Font._layout")
    assert len(caught) == 1
