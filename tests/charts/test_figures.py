"""Charts: valid, deterministic PNGs in the bundled Arabic font, laid out right to left, unclipped."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from PIL import Image

from review.charts import figures as charts
from review.model.status import COLOURS, NO_DATA, OFF_TRACK, ON_TRACK, STATUSES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH_PX = round(charts.DEFAULT_WIDTH_CM / 2.54 * charts.DPI)

LONG_LABEL = "ا" * 10 + " " + " ".join(["تحسين جودة الخدمات الصحية المقدمة للمواطنين"] * 7)
assert len(LONG_LABEL) >= 300

STATUS_ITEMS = [("على المسار", 12, "on_track"), ("يحتاج متابعة", 5, "at_risk"),
                ("متأخر", 3, "off_track"), ("متعثر", 0, "stalled"), ("لا توجد بيانات", 1, "no_data")]
SCORE_ITEMS = [("رفع نسبة الالتحاق برياض الأطفال", 97.5, "on_track"),
               ("KPI-7 خفض معدل التسرب", 41.0, "off_track"),
               ("التحول الرقمي \u20662024-Q3\u2069 بتكلفة US$ 5", 112.0, "on_track"),
               ("تطوير المناهج", None, "no_data")]
PERIODS = ["الربع الأول ١٤٤٥", "الربع الثاني ١٤٤٥", "الربع الثالث ١٤٤٥", "2024-Q4"]
SERIES = [("التعليم", [68.0, 74.5, None, 96.3]), ("الصحة", [90.0, 85.0, 79.0, 70.0])]
TVA_ITEMS = [("عدد المدارس الجديدة", 40.0, 12.0, "off_track", "مدرسة"),
             ("نسبة المعلمين المرخصين", 80.0, 55.0, "at_risk", "%"),
             ("الإنفاق على التدريب", 1_250_000.0, 400_000.0, "stalled", "ريال"),
             ("عدد المستفيدين", 5000.0, None, "no_data", "مستفيد"),
             ("مؤشر بلا مستهدف", 0.0, 3.0, "on_track", "")]
PROJECT_ITEMS = [("إنشاء ٢٠ مدرسة", 60.0, 35.0, "off_track"), ("منصة التعليم", 100.0, 100.0, "completed"),
                 ("النقل المدرسي", 100.0, 80.0, "delayed"), ("مشروع بلا بيانات", 40.0, None, "no_data")]
HEAT_ROWS = ["التعليم", "الصحة", "النقل والخدمات اللوجستية"]
HEAT_COLUMNS = [("على المسار", "on_track"), ("يحتاج متابعة", "at_risk"), ("متأخر", "off_track"),
                ("متعثر", "stalled"), ("لا توجد بيانات", "no_data")]
HEAT_COUNTS = [[12, 5, 3, 2, 1], [8, 7, 6, 0, 2], [3, 1, 0, 0, 9]]

# (chart function, its arguments before the title from the items, keyword arguments)
CHARTS = {
    "status_distribution": (charts.status_distribution,
                            lambda items: (items,), {}),
    "score_bars": (charts.score_bars, lambda items: (items,),
                   {"no_data_label": "لا توجد بيانات"}),
    "score_trend": (charts.score_trend, lambda items: items, {}),
    "target_vs_actual": (charts.target_vs_actual,
                         lambda items: (items,), {"labels": ("المستهدف", "المحقق")}),
    "project_progress": (charts.project_progress,
                         lambda items: (items,), {"labels": ("المخطط", "الفعلي")}),
    "status_heatmap": (charts.status_heatmap, lambda items: items, {}),
}
SAMPLES = {
    "status_distribution": STATUS_ITEMS,
    "score_bars": SCORE_ITEMS,
    "score_trend": (PERIODS, SERIES),
    "target_vs_actual": TVA_ITEMS,
    "project_progress": PROJECT_ITEMS,
    "status_heatmap": (HEAT_ROWS, HEAT_COLUMNS, HEAT_COUNTS),
}


def render(name: str, items=None, title: str = "عنوان الرسم", **kwargs) -> bytes:
    public, args, defaults = CHARTS[name]
    return public(*args(SAMPLES[name] if items is None else items), title, **{**defaults, **kwargs})


def draw(name: str, items=None, title: str = "عنوان الرسم", **kwargs):
    """Return the Figure behind a chart, laid out and drawn, for inspecting its artists."""
    public, args, defaults = CHARTS[name]
    captured = {}
    original = charts._png

    def keep(fig):
        captured["fig"] = fig
        return original(fig)

    charts._png = keep
    try:
        public(*args(SAMPLES[name] if items is None else items), title, **{**defaults, **kwargs})
    finally:
        charts._png = original
    return captured["fig"]


def decode(data: bytes) -> np.ndarray:
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image.convert("RGB"))


def texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def category_labels(fig) -> list[Text]:
    """The category labels beside the plot (texts tagged ``gid="category"``), first one first."""
    return [t for t in texts(fig) if t.get_gid() == "category"]


def empty_items(name: str):
    return {"score_trend": ([], []), "status_heatmap": ([], HEAT_COLUMNS, [])}.get(name, [])


def all_none_items(name: str):
    return {
        "status_distribution": [(label, 0, status) for label, _, status in STATUS_ITEMS],
        "score_bars": [("هدف أ", None, "no_data"), ("هدف ب", None, "no_data")],
        "score_trend": (PERIODS, [("التعليم", [None] * len(PERIODS))]),
        "target_vs_actual": [("مؤشر", None, None, "no_data", "طالب")],
        "project_progress": [("مشروع", None, None, "no_data")],
        "status_heatmap": (HEAT_ROWS, HEAT_COLUMNS, [[0] * 5 for _ in HEAT_ROWS]),
    }[name]


def long_label_items(name: str):
    return {
        "status_distribution": [(LONG_LABEL, 3, "off_track")],
        "score_bars": [(LONG_LABEL, 50.0, "off_track")],
        "score_trend": ([LONG_LABEL, "الربع الثاني"], [(LONG_LABEL, [50.0, 60.0])]),
        "target_vs_actual": [(LONG_LABEL, 10.0, 5.0, "off_track", LONG_LABEL[:40])],
        "project_progress": [(LONG_LABEL, 50.0, 20.0, "off_track")],
        "status_heatmap": ([LONG_LABEL], [(LONG_LABEL, "on_track")], [[4]]),
    }[name]


def many_items(name: str, n: int = 60):
    statuses = [ON_TRACK, "at_risk", OFF_TRACK, "stalled"]
    labels = [f"الهدف رقم {i} لتحسين الخدمات العامة" for i in range(n)]
    return {
        "status_distribution": [(labels[i], i, statuses[i % 4]) for i in range(n)],
        "score_bars": [(labels[i], float(i * 37 % 120), statuses[i % 4]) for i in range(n)],
        "score_trend": ([f"الربع {i}" for i in range(12)],
                        [(labels[i], [float((i * 7 + q * 5) % 110) for q in range(12)])
                         for i in range(8)]),
        "target_vs_actual": [(labels[i], 100.0 + i, float(i), statuses[i % 4], "طالب")
                             for i in range(n)],
        "project_progress": [(labels[i], 80.0, float(i), statuses[i % 4]) for i in range(n)],
        "status_heatmap": (labels, HEAT_COLUMNS, [[i % 7, 1, 0, 2, i % 3] for i in range(n)]),
    }[name]


@pytest.fixture(params=sorted(CHARTS))
def name(request):
    return request.param


# --- PNG -------------------------------------------------------------------------------------------


def test_chart_is_a_png_of_the_text_width(name):
    pixels = decode(render(name))
    height, width, _ = pixels.shape
    assert width == WIDTH_PX
    assert 0 < height <= round(charts.MAX_HEIGHT_CM / 2.54 * charts.DPI)
    assert (pixels < 128).any(), "the chart drew something"


def test_width_follows_width_cm(name):
    assert decode(render(name, width_cm=12.0)).shape[1] == round(12.0 / 2.54 * charts.DPI)


def test_height_grows_with_items():
    few = decode(render("score_bars", SCORE_ITEMS[:2])).shape[0]
    more = decode(render("score_bars", many_items("score_bars", 12))).shape[0]
    assert more > few


# --- determinism -----------------------------------------------------------------------------------


def test_same_input_gives_same_bytes(name):
    assert render(name) == render(name)


def test_different_input_gives_different_bytes(name):
    assert render(name) != render(name, title="عنوان آخر")


def test_different_values_give_different_bytes():
    changed = [(label, 60.0 if value == 41.0 else value, status) for label, value, status in SCORE_ITEMS]
    assert render("score_bars") != render("score_bars", changed)


def test_bytes_are_the_same_in_a_fresh_process():
    script = textwrap.dedent(f"""
        import hashlib, sys
        from review.charts import figures as charts
        sys.stdout.write(hashlib.sha256(charts.score_bars({SCORE_ITEMS!r}, "عنوان الرسم",
                         no_data_label="لا توجد بيانات")).hexdigest())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert result.stdout == hashlib.sha256(render("score_bars")).hexdigest()


def test_png_has_no_software_or_time_metadata():
    with Image.open(io.BytesIO(render("score_bars"))) as image:
        assert not {"Software", "Creation Time", "CreationDate"} & set(image.info)


# --- font ------------------------------------------------------------------------------------------


def test_font_comes_from_the_fontpkg_package():
    path = charts.font_path()
    assert "fontpkg_noto_sans_arabic" in path and path.endswith(".ttf")
    prop = font_manager.FontProperties(family=[charts._FAMILY])
    assert font_manager.findfont(prop, fallback_to_default=False) == path


def test_the_fallback_font_is_matplotlibs_own_dejavu_sans_even_with_a_system_copy(tmp_path, monkeypatch):
    import matplotlib
    import shutil
    bundled = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    charts.font_path()
    # A system "DejaVu Sans" listed first (findfont takes the first of equal matches) is not used.
    system = str(shutil.copy(bundled, tmp_path / "DejaVuSans.ttf"))
    entry = next(f for f in font_manager.fontManager.ttflist if f.fname == bundled)
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [dataclasses.replace(entry, fname=system)] + font_manager.fontManager.ttflist)
    font_manager.fontManager._findfont_cached.cache_clear()
    try:
        assert font_manager.findfont(font_manager.FontProperties(family=["DejaVu Sans"])) == system
        assert [str(p) for p in charts._FAST.font_paths()] == [charts.font_path(), bundled]
    finally:
        monkeypatch.undo()
        font_manager.fontManager._findfont_cached.cache_clear()


def test_every_text_uses_the_bundled_font(name):
    fig = draw(name)
    for text in texts(fig):
        assert font_manager.findfont(text.get_fontproperties()) == charts.font_path(), text


def test_font_has_every_glyph_charts_need():
    # Missing glyphs warn, and warnings are errors here: render every kind of character once.
    labels = [("أرقام ٠١٢٣٤٥٦٧٨٩ ٪ ٫ ٬ و 0123456789 % , . : ( ) [ ] / - + $ … Q3 KPI", 50.0, "on_track"),
              ("\u20662024-Q3\u2069 \u200f \u200e \u061c", 60.0, "at_risk")]
    decode(charts.score_bars(labels, "عنوان"))


# --- right to left ---------------------------------------------------------------------------------


def _columns_of(pixels: np.ndarray, hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)])
    mask = (np.abs(pixels.astype(int) - rgb).sum(axis=2) < 12)
    return np.nonzero(mask.any(axis=0))[0]


def test_rtl_bars_grow_from_the_right_with_labels_on_the_right():
    items = [("هدف", 50.0, ON_TRACK)]
    rtl = decode(charts.score_bars(items, ""))
    ltr = decode(charts.score_bars(items, "", rtl=False))
    bar_rtl, bar_ltr = _columns_of(rtl, COLOURS[ON_TRACK]), _columns_of(ltr, COLOURS[ON_TRACK])
    assert bar_rtl.mean() > WIDTH_PX / 2 > bar_ltr.mean()
    dark = np.nonzero((rtl < 60).all(axis=2).any(axis=0))[0]
    assert dark.max() > bar_rtl.max(), "the label sits right of the bar"


def test_rtl_axes_are_mirrored():
    fig = draw("score_bars")
    ax = fig.axes[0]
    assert ax.xaxis_inverted() and ax.yaxis.get_ticks_position() == "right"
    trend = draw("score_trend").axes[0]
    assert trend.xaxis_inverted(), "earliest quarter on the right"
    assert trend.yaxis.get_ticks_position() == "right"
    ltr = draw("score_trend", rtl=False).axes[0]
    assert not ltr.xaxis_inverted() and ltr.yaxis.get_ticks_position() == "left"


def test_heatmap_puts_first_column_on_the_right():
    ax = draw("status_heatmap").axes[0]
    positions = {label.get_text().lstrip("\u200f"): label.get_position()[0]
                 for label in ax.get_xticklabels()}
    assert positions["على المسار"] > positions["لا توجد بيانات"]


@pytest.mark.parametrize(("text", "expected"), [
    ("KPI-3 مؤشر", "\u200fKPI-3 مؤشر"),
    ("سطر\n2024-Q3\nسطر", "\u200fسطر\n2024-Q3\n\u200fسطر"),
    ("٨٥٪", "\u200f٨٥٪"),
    ("85%", "85%"),
    ("", ""),
])
def test_lines_with_arabic_get_a_right_to_left_direction(text, expected):
    assert charts._bidi(text, rtl=True) == expected
    assert charts._bidi(text, rtl=False) == text


def test_shaping_is_left_to_matplotlib():
    # Logical order in, shaped and reordered by libraqm: a reversed string renders differently.
    word = "مؤشر الأداء"
    assert charts.score_bars([(word, 50.0, ON_TRACK)], "") != \
        charts.score_bars([(word[::-1], 50.0, ON_TRACK)], "")


def forget_shaping(monkeypatch) -> None:
    """Start this process's text shaping afresh, as a new process would."""
    for name in ("known", "learnt", "fonts"):
        monkeypatch.setattr(charts._FAST, name, {})
    for cached in (charts._FAST.line_metrics, charts._FAST.text_metrics, charts._FAST.shaped):
        cached.cache_clear()


# A label the Arabic font lacks a glyph of (▲): its run comes from the fallback font.
FALLBACK_ITEMS = [("▲ رفع نسبة الالتحاق", 97.5, "on_track"), *SCORE_ITEMS[1:]]


@pytest.mark.parametrize("items", [SCORE_ITEMS, FALLBACK_ITEMS], ids=["arabic", "fallback"])
def test_shaping_handed_on_gives_the_same_bytes_without_shaping_again(monkeypatch, items):
    forget_shaping(monkeypatch)
    drawn = render("score_bars", items)
    learnt = charts.take_learnt()
    assert {key[0] for key in learnt} == {"metrics", "glyphs"}
    assert charts.take_learnt() == {}  # handed on once
    fonts = {file for key, value in learnt.items() if key[0] == "glyphs" for file, *_ in value}
    assert len(fonts) == (1 if items is SCORE_ITEMS else 2)  # the Arabic font, and its fallback
    forget_shaping(monkeypatch)
    charts.use_shaping(learnt)
    assert render("score_bars", items) == drawn
    again = charts.take_learnt()
    # Nothing measured or shaped again, but for one line: a process gets to know the fallback
    # font's object by shaping a line that needs it.
    assert all("▲" in key[1] for key in again) and len(again) == (0 if items is SCORE_ITEMS else 1)


def test_shaping_handed_to_another_process_gives_the_same_bytes(tmp_path):
    script = textwrap.dedent(f"""
        import hashlib, pickle, sys
        from pathlib import Path
        from review.charts import figures as charts
        kept = Path(sys.argv[1])
        if kept.is_file():
            charts.use_shaping(pickle.loads(kept.read_bytes()))
        png = charts.score_bars({FALLBACK_ITEMS!r}, "عنوان الرسم", no_data_label="لا توجد بيانات")
        learnt = charts.take_learnt()
        if not kept.is_file():
            kept.write_bytes(pickle.dumps(learnt))
        sys.stdout.write(hashlib.sha256(png).hexdigest() + " " + str(len(learnt)))
    """)
    kept = tmp_path / "shaping.pickle"
    runs = [subprocess.run([sys.executable, "-c", script, str(kept)], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == runs[1][0] == hashlib.sha256(render("score_bars", FALLBACK_ITEMS)).hexdigest()
    assert int(runs[0][1]) > 10 and runs[1][1] == "1"  # the second process shaped one line (see above)


# --- colours ---------------------------------------------------------------------------------------


def test_bars_take_the_status_colour():
    fig = draw("status_distribution")
    faces = [patch.get_facecolor() for patch in fig.axes[0].patches]
    assert faces == [to_rgba("#" + COLOURS[status]) for _, _, status in STATUS_ITEMS]


def test_actual_bars_take_the_status_colour():
    faces = {patch.get_facecolor() for patch in draw("project_progress").axes[0].patches}
    for status in ("off_track", "completed", "delayed"):
        assert to_rgba("#" + COLOURS[status]) in faces


# --- edge cases ------------------------------------------------------------------------------------


def test_empty_chart_says_the_callers_message(name):
    fig = draw(name, empty_items(name), empty_message="لا توجد بيانات لهذا الربع")
    assert "\u200fلا توجد بيانات لهذا الربع" in [t.get_text() for t in texts(fig)]
    decode(render(name, empty_items(name), empty_message="لا توجد بيانات لهذا الربع"))


def test_all_none_values_render(name):
    pixels = decode(render(name, all_none_items(name)))
    assert pixels.shape[1] == WIDTH_PX


def test_no_data_items_are_labelled():
    fig = draw("score_bars", [("هدف", None, NO_DATA)], no_data_label="لا توجد بيانات")
    assert "\u200fلا توجد بيانات" in [t.get_text() for t in texts(fig)]


def test_long_label_is_wrapped_and_shortened():
    fig = draw("score_bars", [(LONG_LABEL, 50.0, OFF_TRACK)])
    label, = (t.get_text() for t in category_labels(fig))
    lines = label.split("\n")
    assert 1 < len(lines) <= 3
    assert lines[-1].endswith("…")


@pytest.mark.parametrize("case", ["sample", "long", "many", "empty", "all_none", "ltr"])
def test_no_text_is_clipped_or_overlapping(name, case):
    items = {"sample": None, "long": long_label_items(name), "many": many_items(name),
             "empty": empty_items(name), "all_none": all_none_items(name), "ltr": None}[case]
    fig = draw(name, items, rtl=case != "ltr")
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    boxes = [t.get_window_extent(renderer) for t in texts(fig)]
    for text, box in zip(texts(fig), boxes):
        assert box.x0 >= -0.5 and box.y0 >= -0.5, text
        assert box.x1 <= width + 0.5 and box.y1 <= height + 0.5, text
    labels = category_labels(fig)
    if case != "empty" and name != "score_trend":
        assert labels, "the category labels are found"
    extents = sorted((label.get_window_extent(renderer) for label in labels), key=lambda b: b.y0)
    for lower, upper in zip(extents, extents[1:]):
        assert lower.y1 <= upper.y0 + 1.0, "category labels overlap"


def test_sixty_items_fit_one_page():
    pixels = decode(render("score_bars", many_items("score_bars")))
    assert pixels.shape[0] <= round(charts.MAX_HEIGHT_CM / 2.54 * charts.DPI)


def test_value_format_is_the_callers():
    fig = draw("score_bars", [("هدف", 85.0, ON_TRACK)], value_format=lambda v: f"<{v:.1f}>")
    assert "<85.0>" in [t.get_text() for t in texts(fig)]


def test_percent_unit_is_written_against_the_number():
    fig = draw("target_vs_actual", [("مؤشر", 80.0, 55.0, "at_risk", "%")])
    assert {"80%", "55%"} <= {t.get_text() for t in texts(fig)}


def test_heatmap_counts_must_match_rows_and_columns():
    with pytest.raises(ValueError, match="counts must be 3 rows of 5 values"):
        charts.status_heatmap(HEAT_ROWS, HEAT_COLUMNS, HEAT_COUNTS[:2], "")


def test_status_palette_covers_every_status():
    assert set(STATUSES) <= set(COLOURS)


def test_lower_is_better_is_drawn_as_achievement_with_raw_values_as_labels():
    # A licence time of 38 days against a target of 25 (lower is better): achievement 25/38 = 65.8 %,
    # so the actual bar is shorter than the target's (100), not 152 % long; the labels keep the days.
    fig = draw("target_vs_actual", [("مدة الترخيص", 25.0, 38.0, "off_track", "يوم", 25 / 38 * 100)], cap=100.0)
    widths = sorted(patch.get_width() for patch in fig.axes[0].patches)
    assert widths == pytest.approx([25 / 38 * 100, 100.0])
    assert {"25 يوم", "38 يوم"} <= {t.get_text().strip("\u200f\u200e") for t in texts(fig)}
    # Over-achievement is cut at the cap; without an achievement the actual bar is not drawn.
    fig = draw("target_vs_actual", [("أ", 10.0, 30.0, "on_track", "", 300.0), ("ب", 10.0, None, "no_data", "")],
               cap=150.0)
    widths = sorted(patch.get_width() for patch in fig.axes[0].patches)
    assert widths == pytest.approx([100.0, 100.0, 150.0])
