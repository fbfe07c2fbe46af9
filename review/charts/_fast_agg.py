"""The fast way to draw charts: every use of matplotlib's private API, behind one door.

:mod:`review.charts.figures` lays charts out with public matplotlib API and asks a drawing path
to measure text, make the canvas and encode the PNG. :class:`FastAgg` here is the fast path, the
default; the plain path (stock ``FigureCanvasAgg``, stock text, Pillow's PNG) sits beside it in
``figures`` and is used when ``REVIEW_PLAIN_CHARTS=1`` or when this matplotlib lacks what the fast
path needs (:meth:`FastAgg.usable` then warns once, :class:`FastPathUnavailable`; a worker process
defers that warning to the build, which gives it once for all its processes). With
matplotlib 3.11 the two draw the same pixels; ``tests/charts/test_paths.py`` holds them to a mean
difference of at most 0.05 per channel and at most 0.02 % of pixels off by more than 32 levels.
The fast path's bytes (its own PNG encoder) are what the chart cache and the golden builds know.

Private matplotlib API used, and why (names as in matplotlib 3.11):

- ``FontManager._find_fonts_by_props``: the font files (with the fallback) of our
  ``FontProperties``, looked up once rather than again for every text and every line.
- ``FT2Font._layout``: shapes a line (libraqm) into positioned glyphs. Shaping is the dear part
  of text, so each line is shaped once per process and its glyph run kept as plain data that
  later processes take over (:meth:`FastAgg.use_shaping`, :meth:`FastAgg.take_learnt`).
- ``FT2Font._set_transform``, ``FT2Font._render_glyph`` and ``RendererAgg._renderer``'s
  ``draw_text_image``: draw each kept glyph exactly as ``RendererAgg._draw_text_glyphs_and_boxes``
  does, with the per-glyph transform (the same for every unrotated glyph) built once.
- ``RendererAgg._prepare_font`` (overridden): skips the font look-up matplotlib repeats per text.
- ``renderer._get_font_height_metrics`` (a hook ``Text._get_layout`` calls when a renderer has
  it): answers line heights from a cache instead of reading the font's OS/2 table per text.
  Not checked: a matplotlib that stops calling it computes the heights itself.
- ``FigureCanvasAgg._lastKey``: the canvas's renderer-reuse key, kept as ``get_renderer`` keeps
  it, so that the canvas draws with our renderer subclass.
- ``backend_agg.get_hinting_flag``: the glyph hinting matplotlib draws with (undocumented), so
  that our glyphs are its glyphs.

Not private API but a speed trick all the same, so here too: a line is measured from its words
(which recur from chart to chart) rather than shaped whole, and :func:`encode_png` writes the PNG
unfiltered at zlib level 3, faster than Pillow (``bench/README.md``, "PNG encoder").
"""

from __future__ import annotations

import functools
import os
import struct
import sys
import threading
import warnings
import zlib
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager, ft2font
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure

_RLM = "\u200f"

# FreeType's 16.16 transform matrix of an unrotated, unslanted glyph.
_UNROTATED = np.array([[0x10000, 0], [0, 0x10000]])


class FastPathUnavailable(RuntimeWarning):
    """This matplotlib lacks a private API the fast chart path needs: charts are drawn the stock way."""


def missing_api() -> str | None:
    """Return the name of the first private matplotlib API the fast path needs that is missing,
    or None when all are there."""
    needed: list[tuple[Any, str]] = [(font_manager.FontManager, "_find_fonts_by_props"),
              (ft2font.FT2Font, "_layout"), (ft2font.FT2Font, "_set_transform"),
              (ft2font.FT2Font, "_render_glyph"), (RendererAgg, "_prepare_font"),
              (FigureCanvasAgg, "_lastKey"), (backend_agg, "get_hinting_flag")]
    for owner, name in needed:
        if not hasattr(owner, name):
            return f"{owner.__name__}.{name}"
    # An instance attribute: the C++ Agg renderer, which blits the glyph bitmaps.
    if not hasattr(getattr(RendererAgg(1, 1, 72), "_renderer", None), "draw_text_image"):
        return "RendererAgg._renderer.draw_text_image"
    return None


def _stacklevel_outside_review() -> int:
    """Return the ``stacklevel`` that makes a warning given by this module's caller point at the
    first frame outside the ``review`` package (past the outermost frame when there is none)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    level = 1  # the function calling warnings.warn
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        level, frame = level + 1, frame.f_back
    return level


def encode_png(rgba: np.ndarray, dpi: float) -> bytes:
    """Return 8-bit RGBA pixels (rows × columns × 4) as a PNG with its resolution (pHYs) only.

    Written here rather than by Pillow, whose per-row adaptive filtering costs more than the rest
    of the encoding: charts are mostly flat colour, which zlib packs well unfiltered (level 3 gives
    files about the size of Pillow's default at a quarter of the time).
    """
    height, width, _ = rgba.shape
    rows = np.zeros((height, width * 4 + 1), np.uint8)  # each row: filter type 0 (None), pixels
    rows[:, 1:] = rgba.reshape(height, -1)
    per_metre = round(dpi / 0.0254)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        chunk(b"IDAT", zlib.compress(rows, 3)),  # type: ignore[arg-type]  # ndarray is a buffer; numpy's stubs omit it
        chunk(b"IEND", b""),
    ])


class FastAgg:
    """The fast drawing path for text in one font family (``font(size)``) at one ``dpi``.

    Its caches are process-wide (one instance per process): measurements and glyph runs by text
    and size, which a process can hand to later ones as plain data (:meth:`take_learnt`,
    :meth:`use_shaping`; ``review.pipeline.workers`` keeps them in the build cache): given the
    same text, size, fonts and code they are the same numbers.
    """

    def __init__(self, font: Callable[[float], font_manager.FontProperties], dpi: float):
        self.font = font
        self.dpi = dpi
        #: Shaping results handed in by :meth:`use_shaping`, by key.
        self.known: dict = {}
        #: Shaping results this process computed that :attr:`known` lacked.
        self.learnt: dict = {}
        #: The font objects of each thread by file, for glyph runs taken from :attr:`known`.
        self.fonts: dict = {}
        #: The private API found missing (the fast path is then off), None when all are there or
        #: before the first check.
        self.missing: str | None = None
        #: Whether :meth:`usable` warns when it finds one missing; a worker process turns it off
        #: and reports :attr:`missing` to the process that started it, which warns (:meth:`warn`).
        self.warns = True
        self._checked = False
        self._warned = False
        # Caches of this instance's methods (process-wide, as the instance is).
        self.text_metrics = functools.lru_cache(maxsize=8192)(self._text_metrics)
        self.line_metrics = functools.lru_cache(maxsize=8192)(self._line_metrics)
        self.shaped = functools.lru_cache(maxsize=4096)(self._shaped)
        self.height_metrics = functools.cache(self._height_metrics)
        self.font_paths = functools.cache(self._font_paths)
        self._measuring_renderer = functools.cache(self._new_measuring_renderer)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget_fonts)

    # --- the door -----------------------------------------------------------------------------

    def usable(self) -> bool:
        """Return whether this matplotlib has every private API the fast path needs.

        Checked once per process; when one is missing the charts are drawn the stock way and,
        unless :attr:`warns` was turned off, :meth:`warn` says which.
        """
        if not self._checked:
            self.missing = missing_api()
            self._checked = True
            if self.missing and self.warns:
                self.warn(self.missing)
        return self.missing is None

    def warn(self, missing: str) -> None:
        """Warn (:class:`FastPathUnavailable`) that the fast path is off for lack of ``missing``;
        once per process, whoever asks. The warning points at the first caller outside ``review``."""
        if self._warned:
            return
        self._warned = True
        warnings.warn(f"matplotlib {matplotlib.__version__} has no {missing}, which fast chart drawing uses: "
                      "charts are drawn by stock matplotlib instead", FastPathUnavailable,
                      stacklevel=_stacklevel_outside_review())

    def words_width(self, words: Sequence[str], size: float) -> float:
        """Return the width in pixels of ``words`` joined by spaces.

        Exact, not an estimate: Arabic letters never join across a space and widths are advances.
        """
        if not words:
            return 0.0
        space = self.line_metrics("\u00a0", size)[0]
        return sum(self.line_metrics(w, size)[0] for w in words) + space * (len(words) - 1)

    def new_canvas(self, fig: Figure) -> FigureCanvasAgg:
        """Return the canvas ``fig`` is drawn on: a ``FigureCanvasAgg`` drawing with our renderer."""
        canvas = _Canvas(fig)
        canvas.fast = self
        return canvas

    def png(self, fig: Figure) -> bytes:
        """Return ``fig`` drawn and encoded as a PNG with no clock or version metadata."""
        fig.canvas.draw()
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)  # new_canvas made it
        return encode_png(np.asarray(canvas.buffer_rgba()), self.dpi)

    def use_shaping(self, entries: dict) -> None:
        """Use ``entries`` (from :meth:`take_learnt` in this or another process) instead of shaping
        their texts again. Entries computed with other fonts or code must not be passed."""
        self.known.update(entries)

    def take_learnt(self) -> dict:
        """Return the shaping results computed here since the last call, for :meth:`use_shaping`."""
        learnt = dict(self.learnt)
        self.learnt.clear()
        return learnt

    # --- measuring ----------------------------------------------------------------------------

    def _text_metrics(self, text: str, size: float) -> tuple[float, float, float]:
        """(width, height, descent) in pixels of ``text`` shaped whole in our font."""
        if not text:
            return 0.0, 0.0, 0.0
        key = ("metrics", text, size)
        if (known := self.known.get(key)) is not None:
            return known
        metrics = RendererAgg.get_text_width_height_descent(self._measuring_renderer(), text,
                                                            self.font(size), ismath=False)
        self.learnt[key] = metrics
        return metrics

    def _line_metrics(self, line: str, size: float) -> tuple[float, float, float]:
        """(width, height, descent) in pixels of one line, as our renderer measures it.

        A line is measured from its words, which recur from chart to chart: Arabic letters never
        join across a space and widths are advances, so the line is as wide as its words and
        spaces, as high as its highest ascent and deepest descent. A space or a leading RLM has no
        width, and no ink, but puts the baseline inside the box.
        """
        words = line.removeprefix(_RLM).split(" ")
        if len(words) == 1 and len(words[0]) == len(line):
            return self.text_metrics(line, size)
        parts = [self.text_metrics(word, size) for word in words]
        width = sum(w for w, _, _ in parts) + self.text_metrics("\u00a0", size)[0] * (len(words) - 1)
        ascent = max(0.0, *(h - d for _, h, d in parts))
        descent = max(0.0, *(d for _, _, d in parts))
        return width, ascent + descent, descent

    def _new_measuring_renderer(self) -> RendererAgg:
        # Ours, for its _prepare_font: RendererAgg's looks the font files up again for every text.
        renderer = _Renderer(8, 8, self.dpi)
        renderer.fast = self
        return renderer

    def _height_metrics(self, size: float) -> tuple[float, float, float]:
        """(ascent, descent, line gap) in pixels of our font, as ``Text`` reads them from OS/2."""
        font = ft2font.FT2Font(self.font_paths()[0])
        os2, head = font.get_sfnt_table("OS/2"), font.get_sfnt_table("head")
        assert os2 is not None and head is not None  # the font package's fonts have both tables
        scale = size * self.dpi / 72 / head["unitsPerEm"]
        return (os2["sTypoAscender"] * scale, -os2["sTypoDescender"] * scale,
                os2["sTypoLineGap"] * scale)

    def _font_paths(self) -> tuple:
        """The font files our text is drawn with: the font, then its fallback."""
        return tuple(font_manager.fontManager._find_fonts_by_props(self.font(1.0)))

    def ft_font(self) -> ft2font.FT2Font:
        """The FT2Font (with its fallback) that matplotlib draws our text with.

        Not kept here: matplotlib's ``get_font`` gives each thread its own and drops them in a
        forked child (FreeType faces share the parent's file offsets and must not be used across a
        fork).
        """
        return font_manager.get_font(self.font_paths())

    # --- shaping ------------------------------------------------------------------------------

    def _shaped(self, line: str, size: float, flags, thread: int) -> tuple:
        """The glyphs of one line as Agg draws them: (font, glyph index, x, y) each, in pixels.

        The fonts are the calling thread's (``thread`` is part of the key); a forked child starts
        with none (see :meth:`ft_font`).
        """
        key = ("glyphs", line, size, str(flags))
        fonts = self.fonts.setdefault(thread, {})
        primary = self.ft_font()
        fonts.setdefault(primary.fname, primary)
        if (known := self.known.get(key)) is not None and all(file in fonts for file, *_ in known):
            return tuple((fonts[file], glyph, x, y) for file, glyph, x, y in known)
        font = self.ft_font()
        font.clear()
        font.set_size(size, self.dpi)
        glyphs = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                       for item in font._layout(line, flags=flags))
        fonts.update((glyph[0].fname, glyph[0]) for glyph in glyphs)  # the fallback font's object too
        # Interned: a pickle of many runs then holds each file name once.
        self.learnt[key] = tuple((sys.intern(os.fsdecode(glyph[0].fname)), *glyph[1:]) for glyph in glyphs)
        return glyphs

    def _forget_fonts(self) -> None:
        self.shaped.cache_clear()
        self.fonts.clear()


class _Renderer(RendererAgg):
    """An Agg renderer that knows our font: it measures our text through the caches of its
    :class:`FastAgg` and skips the font look-ups matplotlib repeats for every text and line."""

    fast: FastAgg

    def _our_size(self, prop) -> float | None:
        size = prop.get_size_in_points()
        return size if self.dpi == self.fast.dpi and prop == self.fast.font(size) else None

    def get_text_width_height_descent(self, s, prop, ismath):
        if not ismath and (size := self._our_size(prop)):
            return self.fast.line_metrics(s, size)
        return super().get_text_width_height_descent(s, prop, ismath)

    def _get_font_height_metrics(self, prop):
        # Asked by Text._get_layout (matplotlib ≥ 3.11); None falls back to its own look-up.
        size = self._our_size(prop)
        return self.fast.height_metrics(size) if size else (None, None, None)

    def _prepare_font(self, font_prop):
        if not (size := self._our_size(font_prop)):
            return super()._prepare_font(font_prop)
        font = self.fast.ft_font()
        font.clear()
        font.set_size(size, self.dpi)
        return font

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        # RendererAgg.draw_text for our unrotated text, with two savings that leave the pixels
        # as they were: a line is shaped once per process (tick and value labels recur from
        # chart to chart), and the per-glyph transform, the same for every glyph, is built once.
        size = self._our_size(prop)
        if (ismath or not size or angle or mtext is not None
                and (mtext.get_fontfeatures() is not None or mtext.get_language() is not None)):
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        flags = backend_agg.get_hinting_flag()
        mode = ft2font.RenderMode.NORMAL if gc.get_antialiased() else ft2font.RenderMode.MONO
        height = self.height
        for font, glyph, dx, dy in self.fast.shaped(s, size, flags, threading.get_ident()):
            font.set_size(size, self.dpi)
            font._set_transform(_UNROTATED,
                                [round(0x40 * (x + dx)), round(0x40 * (height - y + dy))])
            bitmap = font._render_glyph(glyph, flags, mode)
            buffer = bitmap.buffer
            if mode is ft2font.RenderMode.MONO:
                buffer *= 0xff
            self._renderer.draw_text_image(buffer, bitmap.left,
                                           int(height) - bitmap.top + buffer.shape[0], 0, gc)


class _Canvas(FigureCanvasAgg):
    fast: FastAgg

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _Renderer(w, h, self.figure.dpi)
            self.renderer.fast = self.fast
            self._lastKey = key
        return self.renderer
