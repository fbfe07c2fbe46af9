"""Charts for the briefing packs, rendered to PNG bytes through matplotlib's public API.

Every function takes plain, already-translated values (labels, phrases and number formats come
from the caller) and returns the bytes of a PNG at :data:`DPI`, :data:`DEFAULT_WIDTH_CM` wide by
default, with a height that follows the number of items. The same input gives the same bytes.

Right to left: matplotlib ≥ 3.11 shapes Arabic and runs the Unicode bidi algorithm itself
(libraqm), so strings are passed in logical order, never pre-shaped (``arabic_reshaper`` and
``python-bidi`` would make them come out reversed). Each line that holds Arabic is given a
right-to-left paragraph direction with a leading RLM, as ``w:bidi`` does in Word, so a label that
starts with a number or a Latin code («KPI-3 مؤشر») reads as it does in the pack's tables; lines
without Arabic ("85%", "2024-Q3") keep their left-to-right order. A Latin code *inside* Arabic
text follows the bidi algorithm ("… 2024-Q3" shows as "Q3-2024"): callers wrap such codes in
LRI … PDI (U+2066, U+2069). Category labels sit on the right, bars grow from right to left and
time runs right to left.

Only the object-oriented API is used (``Figure`` + ``FigureCanvasAgg``, never ``pyplot``), so
charts can be drawn in worker processes; the only process-wide state is the font registration
and the drawing path's caches.

Layout is explicit, not matplotlib's constrained layout: every text's size is known before drawing
(widths measured, heights from the fixed line spacing), so each chart's margins are computed once
and the figure is drawn once.

Two drawing paths measure the text, make the canvas and encode the PNG. The default, fast one
(:class:`review.charts._fast_agg.FastAgg`, the only code using matplotlib's private API) gives the
bytes the chart cache and golden builds know. The plain one, :class:`_StockAgg`, uses stock
matplotlib only; it is used when ``REVIEW_PLAIN_CHARTS=1`` (:data:`PLAIN_ENV`) or when this
matplotlib lacks an API the fast path needs (then a ``FastPathUnavailable`` warning says which,
once per build: a worker process defers it, :func:`defer_fast_path_warning`, and the build gives it).
Each path gives the same bytes for the same input. The two measure text alike and, with
matplotlib 3.11, draw the same pixels (only their PNG encoders differ);
``tests/charts/test_paths.py`` holds them to a small pixel-difference bound.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
import os
from collections.abc import Callable, Sequence

import fontpkg
import matplotlib
import numpy as np
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from review.charts._fast_agg import FastAgg
from review.model.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, TEXT_COLOURS, colour

__all__ = [
    "DEFAULT_WIDTH_CM",
    "DPI",
    "FONT_PACKAGE",
    "PLAIN_ENV",
    "defer_fast_path_warning",
    "fast_path_missing",
    "font_path",
    "project_progress",
    "score_bars",
    "score_trend",
    "status_distribution",
    "status_heatmap",
    "take_learnt",
    "target_vs_actual",
    "use_shaping",
    "warm_up",
    "warn_fast_path_unavailable",
]

#: Print resolution of every chart, in dots per inch.
DPI = 200
#: Width of an A4 page's text block in the Word template (21 cm less 2 × 2.25 cm margins).
DEFAULT_WIDTH_CM = 16.5
#: Tallest chart, in cm: an A4 text block less room for the caption.
MAX_HEIGHT_CM = 23.0
#: The fontpkg family used for all chart text (pip package ``fontpkg-noto-sans-arabic``).
FONT_PACKAGE = "noto-sans-arabic"
#: Environment variable: set to 1, charts are drawn by stock matplotlib only (the plain path).
PLAIN_ENV = "REVIEW_PLAIN_CHARTS"

# A private family name for the bundled file. "Noto Sans Arabic" can also name a system copy
# (Debian's fonts-noto-core has one without Latin letters, '%' or brackets) that findfont may
# prefer; an alias only we register always resolves to the bundled file.
_FAMILY = "review-charts-arabic"
# Fallback for the few symbols the Arabic font lacks (▲ ▼ ▬): the DejaVu Sans that ships with
# matplotlib, also under a private name, since "DejaVu Sans" may find a system copy whose
# version (and so pixels and shaping) the build cache's key (``review.pipeline.workers._code_fingerprint``)
# does not know.
_FALLBACK = "review-charts-fallback"
_FALLBACK_FILE = "fonts/ttf/DejaVuSans.ttf"  # in matplotlib's data folder

_RLM = "\u200f"
_ELLIPSIS = "…"
_CM = 1 / 2.54  # inches per cm

# Font sizes in points (the chart is inserted at 100 % in the pack, so points are real points).
_TITLE_PT = 10.5
_TEXT_PT = 8.5
_SMALL_PT = 7.5
_TINY_PT = 6.5

#: Distance between the baselines of wrapped lines, in font sizes.
_LINE_EM = 1.45

_INK = "#212121"
_MUTED = "#757575"
_GRID = "#E0E0E0"
_TARGET_FILL = "#CFD8DC"  # planned / target bars: a neutral that is no status colour
# Series colours of the trend chart: no status colour, so a line never reads as a status.
_SERIES = ("#263238", "#00838F", "#8D6E63", "#5C6BC0", "#AD1457", "#558B2F", "#EF6C00", "#546E7A")
_SERIES_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")

Format = Callable[[float], str]


def _percent(value: float) -> str:
    return f"{value:.0f}%"


def _count(value: float) -> str:
    return f"{value:.0f}"


def _number(value: float) -> str:
    return f"{value:,.10g}" if abs(value) >= 1000 else f"{value:.10g}"


# --- font ---------------------------------------------------------------------------------------


@functools.cache
def font_path() -> str:
    """Return the path of the Arabic font file used for all chart text, registering it once.

    The file comes from the pip package ``fontpkg-noto-sans-arabic`` (located with
    ``fontpkg.path``). It is added to matplotlib's font manager under its own name and under a
    private alias that the charts use, and matplotlib's own DejaVu Sans under the fallback's
    alias. Raises ``fontpkg.FamilyNotInstalled`` when the Arabic font is missing.
    """
    path = os.fsdecode(fontpkg.path(FONT_PACKAGE))
    fallback = os.path.join(matplotlib.get_data_path(), _FALLBACK_FILE)
    for file, alias in ((path, _FAMILY), (fallback, _FALLBACK)):
        entry = font_manager.ttfFontProperty(ft2font.FT2Font(file))
        font_manager.fontManager.ttflist.append(dataclasses.replace(entry, name=alias))
    # addfont also clears findfont's cache, so the aliases are seen by the next look-up.
    font_manager.fontManager.addfont(path)
    return path


@functools.cache
def _font(size: float) -> font_manager.FontProperties:
    font_path()
    return font_manager.FontProperties(family=[_FAMILY, _FALLBACK], size=size)


@functools.cache
def _linespacing() -> float:
    """The Text linespacing that gives lines :data:`_LINE_EM` font sizes apart.

    matplotlib ≥ 3.11 spaces lines by the font's typographic ascent + descent, which for Noto
    Sans Arabic is 2.1 em (room for stacked Arabic marks); a float linespacing scales that.
    """
    font = ft2font.FT2Font(font_path())
    os2, head = font.get_sfnt_table("OS/2"), font.get_sfnt_table("head")
    assert os2 is not None and head is not None  # the font package's fonts have both tables
    units = head["unitsPerEm"]
    return _LINE_EM / ((os2["sTypoAscender"] - os2["sTypoDescender"]) / units)


def _style(size: float = _TEXT_PT, **extra) -> dict:
    """Keyword arguments for a Text: our font, and no mathtext (a '$' in a unit is just a '$')."""
    return {"fontproperties": _font(size), "parse_math": False, "linespacing": _linespacing(),
            **extra}


# --- text ---------------------------------------------------------------------------------------


def _is_arabic(char: str) -> bool:
    return ("\u0600" <= char <= "\u08ff"  # Arabic, Supplement, Extended-A/B (digits, ٪ too)
            or "\ufb50" <= char <= "\ufdff" or "\ufe70" <= char <= "\ufefc")  # presentation forms


def _bidi(text: str, rtl: bool) -> str:
    """Give each line of ``text`` that holds Arabic a right-to-left paragraph direction (RTL only).

    Lines without Arabic script ("85%", "2024-Q3", "1,250") keep their own left-to-right order.
    """
    if not rtl or not text:
        return text
    return "\n".join(_RLM + line if any(map(_is_arabic, line)) else line
                     for line in text.split("\n"))


# --- drawing paths -----------------------------------------------------------------------------


class _StockAgg:
    """The plain drawing path: stock ``FigureCanvasAgg``, stock text measurement and drawing, and
    the canvas' own PNG (Pillow) without its clock or version metadata."""

    def __init__(self):
        self.line_metrics = functools.lru_cache(maxsize=8192)(self._line_metrics)
        # A text shaped whole is measured as a line is: stock matplotlib knows no words.
        self.text_metrics = self.line_metrics
        self._renderer: RendererAgg | None = None

    def _line_metrics(self, line: str, size: float) -> tuple[float, float, float]:
        """(width, height, descent) in pixels of one line, as ``RendererAgg`` measures it."""
        if self._renderer is None:
            self._renderer = RendererAgg(8, 8, DPI)
        return self._renderer.get_text_width_height_descent(line, _font(size), ismath=False)

    def words_width(self, words: Sequence[str], size: float) -> float:
        """Return the width in pixels of ``words`` joined by spaces, measured as one line."""
        return self.line_metrics(" ".join(words), size)[0] if words else 0.0

    def new_canvas(self, fig: Figure) -> FigureCanvasAgg:
        """Return the canvas ``fig`` is drawn on: a stock ``FigureCanvasAgg``."""
        return FigureCanvasAgg(fig)

    def png(self, fig: Figure) -> bytes:
        """Return ``fig`` drawn and encoded as a PNG with no clock or version metadata."""
        out = io.BytesIO()
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)  # new_canvas made it
        canvas.print_png(out, metadata={"Software": None})
        return out.getvalue()


_FAST = FastAgg(_font, DPI)
_STOCK = _StockAgg()


def _agg() -> FastAgg | _StockAgg:
    """The drawing path for charts now: the fast one, unless :data:`PLAIN_ENV` is 1 or this
    matplotlib lacks what it needs (it then warns, once, unless deferred)."""
    if os.environ.get(PLAIN_ENV) == "1" or not _FAST.usable():
        return _STOCK
    return _FAST


def defer_fast_path_warning() -> None:
    """Draw without warning when this matplotlib lacks what the fast path needs: for a worker
    process, which reports :func:`fast_path_missing` to the process that started it instead."""
    _FAST.warns = False


def fast_path_missing() -> str | None:
    """Return the private matplotlib API this process found missing when it drew, which turned
    the fast path off; None when none is missing or no chart was drawn the fast way yet."""
    return _FAST.missing


def warn_fast_path_unavailable(missing: str) -> None:
    """Warn that the fast path is off for lack of ``missing`` (reported by a worker process);
    once per process, including a warning this process gave when it drew itself."""
    _FAST.warn(missing)


def use_shaping(entries: dict) -> None:
    """Use ``entries`` (from :func:`take_learnt` in this or another process) instead of shaping
    their texts again. Entries computed with other fonts or code must not be passed.

    Shaping (libraqm) is the dear part of drawing text, and a rebuild draws the same words as the
    build before it, in a fresh process; ``review.pipeline.workers`` keeps these in the build
    cache. The plain path shapes afresh and ignores them.
    """
    _FAST.use_shaping(entries)


def take_learnt() -> dict:
    """Return the shaping results the fast path computed here since the last call (for
    :func:`use_shaping`); empty when charts are drawn by the plain path."""
    return _FAST.take_learnt()


def _text_metrics(text: str, size: float) -> tuple[float, float, float]:
    """(width, height, descent) in pixels at :data:`DPI` of ``text`` shaped whole in our font."""
    return _agg().text_metrics(text, size)


def _text_width(text: str, size: float) -> float:
    """Width in pixels at :data:`DPI` of one line of ``text`` in our font, as it will be drawn."""
    return _agg().line_metrics(text, size)[0]


class _Measure:
    """Widths of shaped text in pixels at :data:`DPI` (for wrapping labels)."""

    def width(self, text: str, size: float) -> float:
        return _text_width(text, size)

    def words_width(self, words: Sequence[str], size: float) -> float:
        """Width of ``words`` joined by spaces."""
        return _agg().words_width(words, size)


def _wrap(text: str, measure: _Measure, size: float, max_px: float, max_lines: int) -> str:
    """Return ``text`` broken into lines of at most ``max_px``; past ``max_lines`` it ends in '…'.

    Lines are cut between words in logical order, so each line is a complete run of the sentence;
    a word longer than a line is cut inside the word.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current: list[str] = []
        for word in paragraph.split():
            if measure.words_width([*current, word], size) <= max_px:
                current.append(word)
                continue
            if current:
                lines.append(" ".join(current))
            while measure.width(word, size) > max_px and len(word) > 1:
                cut = _longest_prefix(word, measure, size, max_px)
                lines.append(word[:cut])
                word = word[cut:]
            current = [word]
        lines.append(" ".join(current))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _shorten(lines[-1] + " " + _ELLIPSIS, measure, size, max_px)
    return "\n".join(lines)


def _longest_prefix(word: str, measure: _Measure, size: float, max_px: float) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure.width(word[:mid], size) <= max_px:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _shorten(line: str, measure: _Measure, size: float, max_px: float) -> str:
    """Return ``line`` (which ends in '…') cut until it fits, keeping the ellipsis at its end."""
    body = line[: -len(_ELLIPSIS)].rstrip()
    while body and measure.width(body + _ELLIPSIS, size) > max_px:
        body = body[:-1].rstrip()
    return body.rstrip(" ،,.;:-") + _ELLIPSIS


def _line_count(text: str) -> int:
    return text.count("\n") + 1


# --- figure -------------------------------------------------------------------------------------


# Charts are laid out by hand rather than by matplotlib's constrained layout: every text's size is
# known before drawing (widths from :func:`_text_metrics`, heights from the fixed line spacing), so
# the plot's box is set once and ``savefig`` draws once. Margins are in pixels at DPI.

#: Blank border round every chart, and the least room between two blocks, in pixels.
_PAD = 0.06 * DPI
#: Room between the title (or the legend) and the plot, in pixels.
_GAP = 2 * _PAD
#: Tick length + tick label pad of the value axes, in points.
_TICK_PT = 3 + 3.5


def _px(points: float) -> float:
    return points * DPI / 72


def _lines_px(lines: int, size: float) -> float:
    """Height in pixels of a text of ``lines`` lines: matplotlib spaces them by linespacing."""
    return lines * _LINE_EM * _px(size)


def _figure(width_cm: float, height_cm: float) -> Figure:
    height_cm = min(max(height_cm, 3.0), MAX_HEIGHT_CM)
    # Whole pixels, so the PNG is exactly round(width_cm / 2.54 × DPI) wide.
    size = (round(width_cm * _CM * DPI) / DPI, round(height_cm * _CM * DPI) / DPI)
    fig = Figure(figsize=size, dpi=DPI, facecolor="white")
    _agg().new_canvas(fig)
    return fig


def _place(ax, *, top: float, bottom: float = 0.0, left: float = 0.0, right: float = 0.0) -> None:
    """Set the plot's box from its margins in pixels (beyond the :data:`_PAD` border)."""
    fig = ax.get_figure()
    width, height = fig.bbox.width, fig.bbox.height
    x0, x1 = _PAD + left, width - _PAD - right
    y0, y1 = _PAD + bottom, height - _PAD - top
    ax.set_position([x0 / width, y0 / height, max(x1 - x0, 1.0) / width,
                     max(y1 - y0, 1.0) / height])


def _plot_height(fig: Figure, top: float, bottom: float) -> float:
    return fig.bbox.height - 2 * _PAD - top - bottom


def _png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes with no clock or version metadata (byte-identical reruns)."""
    return _agg().png(fig)


def _title(fig: Figure, title: str, rtl: bool) -> float:
    """Write the title at the top; return the room it takes above the plot, in pixels."""
    if not title:
        return 0.0
    text = _bidi(title, rtl)
    fig.suptitle(text, x=0.99 if rtl else 0.01, y=1 - _PAD / fig.bbox.height, va="top",
                 ha="right" if rtl else "left", color=_INK, **_style(_TITLE_PT))
    return _lines_px(_line_count(text), _TITLE_PT) + _GAP


def _empty(fig: Figure, message: str, rtl: bool, top: float) -> None:
    ax = fig.add_subplot()
    _place(ax, top=top)
    ax.set_axis_off()
    ax.text(0.5, 0.5, _bidi(message, rtl), ha="center", va="center", color=_MUTED,
            transform=ax.transAxes, **_style(_TEXT_PT))


def _empty_chart(title: str, message: str, width_cm: float, rtl: bool) -> Figure:
    fig = _figure(width_cm, 4.0)
    _empty(fig, message, rtl, _title(fig, title, rtl))
    return fig


def _hex(status: str) -> str:
    return "#" + colour(status)


def _tint(status: str, strength: float) -> tuple[float, float, float]:
    """Return the status colour mixed with white; ``strength`` 0 is white, 1 the full colour."""
    rgb = np.array([int(colour(status)[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    return tuple(1 - strength * (1 - rgb))


def _rows_layout(n: int) -> tuple[int, float]:
    """Return (lines per category label, font size) for a chart with ``n`` categories."""
    if n <= 12:
        return 3, _TEXT_PT
    if n <= 25:
        return 2, _SMALL_PT
    return 1, _TINY_PT if n > 40 else _SMALL_PT


def _category_labels(labels: Sequence[str], width_cm: float, n: int,
                     share: float = 0.36) -> tuple[list[str], float]:
    """Wrap category labels to ``share`` of the chart width; return them and their font size."""
    max_lines, size = _rows_layout(n)
    measure = _Measure()
    max_px = share * width_cm * _CM * DPI
    return [_wrap(label, measure, size, max_px, max_lines) for label in labels], size


def _row_pitch_cm(labels: Sequence[str], size: float, minimum: float) -> float:
    lines = max((_line_count(label) for label in labels), default=1)
    return max(minimum, lines * size * _LINE_EM / 72 * 2.54 + 0.2)


def _label_width_pt(labels: Sequence[str], size: float) -> float:
    measure = _Measure()
    widest = max((measure.width(line, size) for label in labels for line in label.split("\n")),
                 default=0.0)
    return widest * 72 / DPI


def _setup_category_axis(ax, labels: Sequence[str], size: float, rtl: bool) -> None:
    """Put category labels beside the plot, first category at the top.

    In RTL the labels sit on the right as a right-aligned column (every label starts at the same
    edge, as in the pack's tables); otherwise on the left, flush to the axis.

    The labels are plain texts placed as tick labels would be (``gid`` "category"): ticks are
    dear to make, five artists each, and these have no tick marks or grid lines to draw.
    """
    ax.set_yticks([])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    if rtl:
        ax.yaxis.tick_right()
        # Anchor each label at the far edge of the column and right-align it there.
        transform, _, _ = ax.get_yaxis_text2_transform(_label_width_pt(labels, size) + 5)
    else:
        transform, _, _ = ax.get_yaxis_text1_transform(5)
    for y, label in enumerate(labels):
        ax.text(1 if rtl else 0, y, _bidi(label, rtl), transform=transform, ha="right",
                va="center", color=_INK, clip_on=False, gid="category", **_style(size))
    for side in ("top", "left", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(_MUTED)


def _place_bars(ax, labels: Sequence[str], size: float, rtl: bool, *, top: float,
                bottom: float = 0.0, upper: float = 1.0,
                ticks: Sequence[tuple[float, str]] = ()) -> None:
    """Place a horizontal-bar plot: its category labels beside it, value ticks (value, label)
    below it kept inside the image (a label on the axis's end sticks out by half its width)."""
    column = _px(_label_width_pt(labels, size) + 5)
    width = ax.get_figure().bbox.width - 2 * _PAD - column
    far = near = 0.0
    for value, text in ticks:
        half = max((_text_width(line, _SMALL_PT) for line in text.split("\n")), default=0) / 2
        # Distance from the far end, as a share of the plot width (which the margin reduces).
        share = min(max((upper - value) / upper, 0.0), 0.999)
        far = max(far, (half - share * width) / (1 - share))
        if value <= 0:
            near = max(near, half - column)
    margins = {"left": far, "right": column + near} if rtl else {"left": column + near,
                                                                 "right": far}
    _place(ax, top=top, bottom=bottom, **margins)


def _value_ticks_px(ticks: Sequence[tuple[float, str]]) -> float:
    """Room under the plot for its value ticks and their labels, in pixels."""
    lines = max((_line_count(text) for _, text in ticks), default=0)
    return _px(_TICK_PT) + _lines_px(lines, _SMALL_PT) if lines else 0.0


def _set_value_axis(ax, upper: float, ticks: Sequence[float], fmt: Format, rtl: bool,
                    size: float = _SMALL_PT) -> list[tuple[float, str]]:
    """A horizontal value axis from 0 to ``upper``; reversed for RTL so bars grow leftwards.

    Returns the ticks as (value, label), for :func:`_place_bars`.
    """
    ax.set_xlim((upper, 0) if rtl else (0, upper))
    texts = [_bidi(fmt(t), rtl) for t in ticks]
    ax.set_xticks(list(ticks), labels=texts, **_style(size, color=_MUTED))
    ax.tick_params(axis="x", length=3, color=_MUTED)
    ax.grid(axis="x", color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    return list(zip(ticks, texts))


def _bars(ax, bars, height: float) -> None:
    """Horizontal bars from 0 for (y, end, colour) each, as ``barh`` would draw them.

    Added as artists, without ``barh``'s data-limit bookkeeping (a path extent per bar): the
    value axis's limits are set by hand anyway.
    """
    for y, end, fill in bars:
        ax.add_artist(Rectangle((0, y - height / 2), end, height, facecolor=fill,
                                edgecolor="none", label="_nolegend_"))


def _end_label(ax, x: float, y: float, text: str, rtl: bool, size: float = _SMALL_PT,
               colour_: str = _INK) -> None:
    """Write ``text`` just past the end of a bar (to its left in RTL)."""
    ax.text(x, y, _bidi(text, rtl), transform=_offset(ax, -3 if rtl else 3, 0), clip_on=False,
            ha="right" if rtl else "left", va="center", color=colour_, **_style(size))


def _offset(ax, dx: float, dy: float):
    """Data coordinates moved by (dx, dy) points: a plain Text costs less than an Annotation."""
    return ax.transData + ScaledTranslation(dx / 72, dy / 72, ax.get_figure().dpi_scale_trans)


def _plot_px(width_cm: float, labels: Sequence[str], size: float) -> float:
    """Estimate the plot's width in pixels: the chart less its label column and margins."""
    label_px = (_label_width_pt(labels, size) + 12) * DPI / 72
    return width_cm * _CM * DPI - label_px - 0.35 * _CM * DPI


def _fit_upper(ends: Sequence[tuple[float, str]], size: float, plot_px: float,
               minimum: float) -> float:
    """Return the value-axis end that leaves room for each text written past its bar's end."""
    upper = minimum
    for end, text in ends:
        needed = max(_text_width(line, size) for line in text.split("\n")) + 4 * DPI / 72 + 2
        upper = max(upper, end * plot_px / max(plot_px - needed, 0.3 * plot_px))
    return upper


def _fit_text(text: str, size: float, max_px: float) -> str:
    """Return ``text`` on one line, shortened with '…' when wider than ``max_px``."""
    return _wrap(text, _Measure(), size, max_px, 1)


def _percent_ticks(upper: float) -> list[float]:
    step = 25 if upper <= 150 else 50
    return [float(t) for t in np.arange(0, upper + 0.01, step) if t <= upper]


def _legend(fig: Figure, handles: list, labels: list[str], rtl: bool, ncols: int | None = None,
            handler_map: dict | None = None) -> float:
    """A legend under the chart, read row by row; in RTL entries and markers start on the right.

    Returns the room it takes under the plot, in pixels.
    """
    if not handles:
        return 0.0
    n = len(handles)
    ncols = ncols or math.ceil(n / math.ceil(n / 4))
    # Each column gets an equal share of the width, less its marker and the column spacing.
    em_px = _SMALL_PT * DPI / 72
    max_px = 0.94 * fig.get_figwidth() * DPI / ncols - 4.4 * em_px
    labels = [_bidi(_wrap(label, _Measure(), _SMALL_PT, max_px, 2), rtl) for label in labels]
    # matplotlib fills the grid column by column from the left; order the entries so they read
    # row by row, from the right in RTL, padding the last row with blank entries.
    rows = math.ceil(n / ncols)
    order = []
    for column in range(ncols):
        from_start = ncols - 1 - column if rtl else column
        order += [row * ncols + from_start for row in range(rows)]
    blank = Patch(visible=False)
    handles = [handles[k] if k < n else blank for k in order]
    labels = [labels[k] if k < n else "" for k in order]
    legend = fig.legend(handles, labels, loc="lower center", ncols=ncols, frameon=False,
                        bbox_to_anchor=(0.5, _PAD / fig.bbox.height), borderaxespad=0,
                        markerfirst=not rtl, handler_map=handler_map, prop=_font(_SMALL_PT),
                        handlelength=1.6, columnspacing=1.6)
    for text in legend.get_texts():
        text.update({"parse_math": False, "linespacing": _linespacing(),
                     "multialignment": "right" if rtl else "left"})
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # _figure made it
    return legend.get_window_extent(canvas.get_renderer()).height + _GAP


def _status_swatch(statuses: Sequence[str]) -> tuple:
    """A legend handle showing each status colour used, side by side."""
    seen = list(dict.fromkeys(s for s in statuses if s))
    return tuple(Patch(facecolor=_hex(s), edgecolor="none") for s in seen) or (
        Patch(facecolor=_hex(NO_DATA), edgecolor="none"),)


# --- charts -------------------------------------------------------------------------------------


def status_distribution(items: Sequence[tuple[str, int, str]], title: str, *,
                        empty_message: str = "—", count_format: Format = _count,
                        width_cm: float = DEFAULT_WIDTH_CM, rtl: bool = True) -> bytes:
    """Return a PNG of counts by status: one horizontal bar per (label, count, status key).

    Bars are coloured by status, in the order given (statuses best first), each with its count.
    An empty ``items`` list gives a chart that only says ``empty_message``.
    """
    return _png(_draw_status_distribution(items, title, empty_message, count_format, width_cm, rtl))


def _draw_status_distribution(items, title, empty_message, count_format, width_cm, rtl) -> Figure:
    if not items:
        return _empty_chart(title, empty_message, width_cm, rtl)
    labels, size = _category_labels([i[0] for i in items], width_cm, len(items), 0.3)
    pitch = _row_pitch_cm(labels, size, 0.75)
    fig = _figure(width_cm, 1.6 + len(items) * pitch)
    top = _title(fig, title, rtl)
    ax = fig.add_subplot()
    counts = [max(0, int(i[1])) for i in items]
    texts = [count_format(count) for count in counts]
    upper = _fit_upper(list(zip(counts, texts)), size, _plot_px(width_cm, labels, size),
                       max(max(counts), 1) * 1.05)
    ys = np.arange(len(items))
    _bars(ax, zip(ys, counts, [_hex(i[2]) for i in items]), 0.62)
    for y, count, text in zip(ys, counts, texts):
        _end_label(ax, count, float(y), text, rtl, size)
    _setup_category_axis(ax, labels, size, rtl)
    ax.set_xlim((upper, 0) if rtl else (0, upper))
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    _place_bars(ax, labels, size, rtl, top=top)
    return fig


def score_bars(items: Sequence[tuple[str, float | None, str]], title: str, *,
               thresholds: tuple[float, float] = (95, 75), no_data_label: str = "—",
               empty_message: str = "—", value_format: Format = _percent,
               width_cm: float = DEFAULT_WIDTH_CM, rtl: bool = True) -> bytes:
    """Return a PNG of scores (percent, 0–100 or above up to the cap) as horizontal bars.

    One bar per (label, score, status key) — objectives of a sector, or sectors in the
    executive pack — coloured by status, with its value and dashed lines at the on-track and
    at-risk ``thresholds``. A score of None is drawn as ``no_data_label`` in grey, with no bar.
    """
    return _png(_draw_score_bars(items, title, thresholds, no_data_label, empty_message,
                                 value_format, width_cm, rtl))


def _draw_score_bars(items, title, thresholds, no_data_label, empty_message, value_format,
                     width_cm, rtl) -> Figure:
    if not items:
        return _empty_chart(title, empty_message, width_cm, rtl)
    labels, size = _category_labels([i[0] for i in items], width_cm, len(items))
    pitch = _row_pitch_cm(labels, size, 0.55)
    fig = _figure(width_cm, 2.2 + len(items) * pitch)
    # The threshold values are written above the plot.
    top = _title(fig, title, rtl) + _lines_px(1, _TINY_PT)
    ax = fig.add_subplot()
    plot_px = _plot_px(width_cm, labels, size)
    ends = [(0.0, _fit_text(no_data_label, size, 0.6 * plot_px)) if value is None
            else (max(0.0, float(value)), value_format(max(0.0, float(value))))
            for _, value, _ in items]
    upper = _fit_upper(ends, size, plot_px, 105.0)
    ys = np.arange(len(items))
    bar_height = 0.62 if len(items) <= 25 else 0.75
    drawn = [(y, end, _hex(status)) for y, (_, value, status), (end, _) in zip(ys, items, ends)
             if value is not None]
    _bars(ax, drawn, bar_height)
    for y, (_, value, _), (end, text) in zip(ys, items, ends):
        _end_label(ax, end, float(y), text, rtl, size, _INK if value is not None else _MUTED)
    ticks = _set_value_axis(ax, upper, _percent_ticks(upper), value_format, rtl)
    _setup_category_axis(ax, labels, size, rtl)
    _threshold_lines(ax, thresholds, value_format, rtl)
    _place_bars(ax, labels, size, rtl, top=top, bottom=_value_ticks_px(ticks), upper=upper,
                ticks=ticks)
    return fig


def _threshold_lines(ax, thresholds: tuple[float, float], fmt: Format, rtl: bool) -> None:
    """Dashed vertical lines at the on-track and at-risk thresholds, labelled above the plot."""
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for threshold, status in zip(thresholds, (ON_TRACK, AT_RISK)):
        ax.axvline(threshold, color=_hex(status), linestyle=(0, (4, 2)), linewidth=0.9, zorder=3)
        ax.text(threshold, 1.0, _bidi(fmt(threshold), rtl), transform=top, ha="center",
                va="bottom", color=_hex(status), **_style(_TINY_PT))


def score_trend(periods: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                title: str, *, thresholds: tuple[float, float] = (95, 75),
                empty_message: str = "—", value_format: Format = _percent,
                width_cm: float = DEFAULT_WIDTH_CM, rtl: bool = True) -> bytes:
    """Return a PNG of scores (percent) over periods: one line per (name, values) series.

    ``periods`` are the labels of the quarters, earliest first; each series has one value per
    period, None for a gap. Bands behind the lines show the on-track, at-risk and off-track zones
    in light status colours. With one series each point carries its value; with several, a
    legend names them. In RTL the earliest period is on the right and the value axis too.
    """
    return _png(_draw_score_trend(periods, series, title, thresholds, empty_message, value_format,
                                  width_cm, rtl))


def _draw_score_trend(periods, series, title, thresholds, empty_message, value_format, width_cm,
                      rtl) -> Figure:
    has_value = any(v is not None for _, values in series for v in values)
    if not periods or not series or not has_value:
        return _empty_chart(title, empty_message, width_cm, rtl)
    n = len(periods)
    legend_rows = math.ceil(len(series) / 4) if len(series) > 1 else 0
    fig = _figure(width_cm, 7.5 + 0.6 * legend_rows)
    top = _title(fig, title, rtl)
    ax = fig.add_subplot()
    measure = _Measure()
    slot_px = 0.8 * width_cm * _CM * DPI / n
    size = _SMALL_PT if n <= 8 else _TINY_PT
    period_labels = [_wrap(p, measure, size, slot_px, 2) for p in periods]

    values = np.array([[np.nan if v is None else float(v) for v in vals] for _, vals in series])
    upper = max(100.0, float(np.nanmax(values))) * 1.12
    on_track, at_risk = thresholds
    ax.axhspan(on_track, upper, color=_hex(ON_TRACK), alpha=0.10, linewidth=0, zorder=0)
    ax.axhspan(at_risk, on_track, color=_hex(AT_RISK), alpha=0.14, linewidth=0, zorder=0)
    ax.axhspan(0, at_risk, color=_hex(OFF_TRACK), alpha=0.07, linewidth=0, zorder=0)

    xs = np.arange(n)
    handles = []
    for k, (name, _) in enumerate(series):
        line, = ax.plot(xs, values[k], color=_SERIES[k % len(_SERIES)], linewidth=1.6,
                        marker=_SERIES_MARKERS[k % len(_SERIES_MARKERS)], markersize=4.5,
                        zorder=3 + k)
        handles.append(line)
    # Texts above a point or beside a tick, as (value, height above it in pixels).
    above = []
    if len(series) == 1:
        for x, v in zip(xs, values[0]):
            if not np.isnan(v):
                text = _bidi(value_format(v), rtl)
                ax.text(float(x), v, text, transform=_offset(ax, 0, 6), clip_on=False, ha="center",
                        va="bottom", color=_INK, **_style(size))
                above.append((v, _px(6) + _lines_px(_line_count(text), size)))
    ax.set_xlim((n - 0.5, -0.5) if rtl else (-0.5, n - 0.5))
    period_texts = [_bidi(p, rtl) for p in period_labels]
    ax.set_xticks(xs, labels=period_texts, **_style(size, color=_INK, multialignment="center"))
    ticks = _percent_ticks(upper)
    ax.set_ylim(0, upper)
    tick_texts = [_bidi(value_format(t), rtl) for t in ticks]
    ax.set_yticks(ticks, labels=tick_texts, **_style(_SMALL_PT, color=_MUTED))
    above += [(t, _lines_px(_line_count(text), _SMALL_PT) / 2)
              for t, text in zip(ticks, tick_texts)]
    if rtl:
        ax.yaxis.tick_right()
    ax.tick_params(length=3, color=_MUTED)
    ax.grid(axis="y", color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "left" if rtl else "right"):
        ax.spines[side].set_visible(False)
    for side in ("bottom", "right" if rtl else "left"):
        ax.spines[side].set_color(_MUTED)
    legend = 0.0
    if len(series) > 1:
        legend = _legend(fig, handles, [name for name, _ in series], rtl)
    bottom = legend + _px(_TICK_PT) + _lines_px(max(map(_line_count, period_texts)), size)
    side_px = _px(_TICK_PT) + max(_text_width(line, _SMALL_PT)
                                  for text in tick_texts for line in text.split("\n"))
    # Grow the top margin by whatever sticks out above the plot (a value near the top).
    height = _plot_height(fig, top, bottom)
    top += max([0.0] + [v / upper * height + extra - height for v, extra in above])
    _place(ax, top=top, bottom=bottom, **{"right" if rtl else "left": side_px})
    return fig


def target_vs_actual(items: Sequence[tuple], title: str, *, labels: tuple[str, str] = ("Target", "Actual"),
                     no_data_label: str = "—", empty_message: str = "—",
                     value_format: Format = _number, percent_format: Format = _percent,
                     width_cm: float = DEFAULT_WIDTH_CM, rtl: bool = True, cap: float = 150.0) -> bytes:
    """Return a PNG comparing target and actual per (label, target, actual, status, unit, achievement).

    Indicators have different units and directions, so each pair is drawn as achievement: the
    target bar at 100 %, the actual bar at the achievement (percent, cut at ``cap``) — for a
    lower-is-better indicator that is target ÷ actual, so a value above its target draws a short
    bar. Both bars are labelled with the raw values and unit. The actual bar has its status
    colour. Without an achievement (no actual, no target) no actual bar is drawn and
    ``no_data_label`` or the raw actual is written instead. Items of five values (no achievement)
    scale actual ÷ target, which is right only for higher-is-better indicators.
    """
    return _png(_draw_target_vs_actual(items, title, labels, no_data_label, empty_message,
                                       value_format, percent_format, width_cm, rtl, cap))


def _with_unit(value: float, unit: str, fmt: Format) -> str:
    unit = unit.strip()
    # A percent sign is written against its number; any other unit is a separate word.
    return fmt(value) + unit if unit in ("%", "٪") else f"{fmt(value)} {unit}".strip()


def _draw_target_vs_actual(items, title, labels, no_data_label, empty_message, value_format,
                           percent_format, width_cm, rtl, cap) -> Figure:
    if not items:
        return _empty_chart(title, empty_message, width_cm, rtl)
    pairs = []
    for item in items:
        _, target, actual, status, unit = item[:5]
        if len(item) > 5:
            achievement = item[5]
        else:
            achievement = actual / target * 100 if actual is not None and target else None
        scaled = None if achievement is None else max(0.0, achievement)
        target_text = no_data_label if target is None else _with_unit(target, unit, value_format)
        actual_text = no_data_label if actual is None else _with_unit(actual, unit, value_format)
        pairs.append((100.0 if target is not None else None, scaled, target_text, actual_text,
                      status))
    return _paired_bars(items, pairs, title, labels, percent_format, width_cm, rtl, cap=cap)


def project_progress(items: Sequence[tuple[str, float | None, float | None, str]], title: str, *,
                     labels: tuple[str, str] = ("Planned", "Actual"), no_data_label: str = "—",
                     empty_message: str = "—", value_format: Format = _percent,
                     width_cm: float = DEFAULT_WIDTH_CM, rtl: bool = True) -> bytes:
    """Return a PNG of planned against actual progress (percent 0–100) per project.

    Items are (label, planned, actual, status key); the actual bar has the project's status
    colour, the planned bar is neutral. None draws no bar and writes ``no_data_label``.
    """
    return _png(_draw_project_progress(items, title, labels, no_data_label, empty_message,
                                       value_format, width_cm, rtl))


def _draw_project_progress(items, title, labels, no_data_label, empty_message, value_format,
                           width_cm, rtl) -> Figure:
    if not items:
        return _empty_chart(title, empty_message, width_cm, rtl)
    pairs = []
    for _, planned, actual, status in items:
        pairs.append((
            None if planned is None else max(0.0, float(planned)),
            None if actual is None else max(0.0, float(actual)),
            no_data_label if planned is None else value_format(planned),
            no_data_label if actual is None else value_format(actual),
            status,
        ))
    return _paired_bars(items, pairs, title, labels, value_format, width_cm, rtl, cap=100.0)


def _paired_bars(items, pairs, title, legend_labels, axis_format, width_cm, rtl,
                 cap: float) -> Figure:
    """Two bars per category: a neutral reference (target, planned) above a status-coloured one.

    ``pairs`` holds (reference, value, reference text, value text, status) in axis units; a bar
    longer than ``cap`` is cut at the cap (its text still gives the real value).
    """
    labels, size = _category_labels([i[0] for i in items], width_cm, len(items), 0.32)
    pitch = _row_pitch_cm(labels, size, 0.9 if len(items) <= 25 else 0.6)
    fig = _figure(width_cm, 2.8 + len(items) * pitch)
    top = _title(fig, title, rtl)
    ax = fig.add_subplot()
    plot_px = _plot_px(width_cm, labels, size)
    bars = []  # (y, end or None, text, fill)
    half = 0.36
    for y, (reference, value, reference_text, value_text, status) in enumerate(pairs):
        for offset, amount, text, fill in ((-half / 2, reference, reference_text, _TARGET_FILL),
                                           (half / 2, value, value_text, _hex(status))):
            end = None if amount is None else min(amount, cap)
            bars.append((y + offset, end, _fit_text(text, _TINY_PT, 0.45 * plot_px), fill))
    upper = _fit_upper([(end or 0.0, text) for _, end, text, _ in bars], _TINY_PT, plot_px, 105.0)
    _bars(ax, [(y, end, fill) for y, end, _, fill in bars if end is not None], half)
    for bar_y, end, text, _ in bars:
        _end_label(ax, end or 0.0, bar_y, text, rtl, _TINY_PT, _INK if end is not None else _MUTED)
    ticks = _set_value_axis(ax, upper, [t for t in _percent_ticks(upper) if t <= cap],
                            axis_format, rtl)
    ax.axvline(100, color=_MUTED, linewidth=0.8, zorder=3)
    _setup_category_axis(ax, labels, size, rtl)
    handles = [Patch(facecolor=_TARGET_FILL, edgecolor="none"),
               _status_swatch([p[4] for p in pairs if p[1] is not None])]
    legend = _legend(fig, handles, list(legend_labels), rtl, ncols=2,
                     handler_map={tuple: HandlerTuple(ndivide=None, pad=0)})
    _place_bars(ax, labels, size, rtl, top=top, bottom=legend + _value_ticks_px(ticks),
                upper=upper, ticks=ticks)
    return fig


def status_heatmap(rows: Sequence[str], columns: Sequence[tuple[str, str]],
                   counts: Sequence[Sequence[int]], title: str, *, empty_message: str = "—",
                   count_format: Format = _count, width_cm: float = DEFAULT_WIDTH_CM,
                   rtl: bool = True) -> bytes:
    """Return a PNG grid of counts: one row per entity (sector), one column per (label, status).

    Each cell is shaded in its column's status colour, stronger for larger counts (relative to
    the largest count in the grid), and shows the count; zero cells stay white. In RTL the
    first column is on the right and the row labels too. Raises ValueError when ``counts`` does
    not have one row of ``len(columns)`` values per row label.
    """
    return _png(_draw_status_heatmap(rows, columns, counts, title, empty_message, count_format,
                                     width_cm, rtl))


def _draw_status_heatmap(rows, columns, counts, title, empty_message, count_format, width_cm,
                         rtl) -> Figure:
    if len(counts) != len(rows) or any(len(r) != len(columns) for r in counts):
        raise ValueError(f"counts must be {len(rows)} rows of {len(columns)} values")
    if not rows or not columns:
        return _empty_chart(title, empty_message, width_cm, rtl)
    labels, size = _category_labels(rows, width_cm, len(rows), 0.3)
    measure = _Measure()
    column_px = 0.62 * width_cm * _CM * DPI / len(columns)
    headers = [_wrap(label, measure, _SMALL_PT, column_px * 0.92, 2) for label, _ in columns]
    header_lines = max(_line_count(h) for h in headers)
    pitch = _row_pitch_cm(labels, size, 0.6)
    fig = _figure(width_cm, 1.4 + 0.4 * header_lines + len(rows) * pitch)
    top = _title(fig, title, rtl)
    ax = fig.add_subplot()
    grid = np.array(counts, dtype=float)
    peak = max(float(grid.max()), 1.0)
    m = len(columns)
    for r in range(len(rows)):
        for c, (_, status) in enumerate(columns):
            count = grid[r, c]
            strength = 0.0 if count <= 0 else 0.18 + 0.82 * count / peak
            x = m - 1 - c if rtl else c
            ax.add_artist(Rectangle((x - 0.5, r - 0.5), 1, 1, facecolor=_tint(status, strength),
                                    edgecolor="white", linewidth=1.5))
            ink = "#" + TEXT_COLOURS.get(status, "000000") if strength > 0.65 else _INK
            ax.text(x, r, _bidi(count_format(count), rtl), ha="center", va="center",
                    color=ink if count > 0 else "#BDBDBD", **_style(size))
    ax.set_xlim(-0.5, m - 0.5)
    positions = [m - 1 - c if rtl else c for c in range(m)]
    header_texts = [_bidi(h, rtl) for h in headers]
    ax.set_xticks(positions, labels=header_texts,
                  **_style(_SMALL_PT, color=_INK, multialignment="center", va="baseline"))
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0, pad=3)
    _setup_category_axis(ax, labels, size, rtl)
    ax.spines["bottom"].set_visible(False)
    top += _px(3) + max(_above_baseline_px(h, _SMALL_PT) for h in header_texts)
    _place(ax, top=top, **{"right" if rtl else "left": _px(_label_width_pt(labels, size) + 5)})
    return fig


def _above_baseline_px(text: str, size: float) -> float:
    """How far a text aligned on its (last line's) baseline reaches above it, in pixels.

    With a fixed linespacing matplotlib centres each line's ink in a slot of one line height, so
    the last line's slot reaches (line − ink height)/2 + ink descent below its baseline.
    """
    line = _lines_px(1, size)
    _, ink, descent = _text_metrics(text.split("\n")[-1], size)
    return _line_count(text) * line - (descent + (line - ink) / 2)


def warm_up() -> None:
    """Draw one tiny chart and discard it: loads the font and matplotlib's lazily built state, so
    that the next charts cost only themselves (a process that will draw a few charts can pay this
    while it waits for work). Changes no chart's bytes."""
    status_distribution([("تجربة", 1, ON_TRACK)], "تجربة")
