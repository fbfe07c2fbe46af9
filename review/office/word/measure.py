"""Text widths for typeset tables: the longest word and the whole text of a cell, in EMU.

Word and LibreOffice break a line inside a word only when the word is wider than its cell, so a
column at least as wide as its longest word never breaks one. Widths are measured with the font
the project bundles (Noto Sans Arabic from the pip package ``fontpkg-noto-sans-arabic``, which has
Latin letters and digits too), shaped by Pillow (raqm when present: joined Arabic letters, right
to left), then widened by :data:`SAFETY`: the fonts a reader's Word (Arial) or LibreOffice (Arial's
substitutes; DejaVu Sans for Arabic on a bare Linux) draw Arabic up to 20% wider than Noto (bold
DejaVu Sans); Latin text, drawn by Arial or Liberation Sans, is narrower than Noto's and gets 5%.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

import fontpkg
from PIL import ImageFont

FONT_PACKAGE = "noto-sans-arabic"
#: Size the font is loaded at; widths scale linearly with the size.
_REFERENCE_PT = 100
#: Factor covering wider substitutes of Arabic letters (see the module docstring).
SAFETY = 1.25
#: The same for Latin letters and digits: Arial and Liberation Sans are narrower than Noto's.
LATIN_SAFETY = 1.05
#: EMU per point.
_EMU_PER_PT = 12700
#: Invisible marks the writer adds (LRM, RLM): no width.
_MARKS = re.compile("[\u200e\u200f\u200b\u2066-\u2069]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Where a line may break: spaces, and the line breaks a cell holds.
_BREAKS = re.compile(r"[ \t\n]+")


@lru_cache(maxsize=2)
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(os.fsdecode(fontpkg.path(FONT_PACKAGE)), _REFERENCE_PT)
    try:
        axes = font.get_variation_axes()
    except (OSError, ValueError):  # a static build of the font: its one weight
        return font
    wanted = {b"Weight": 700.0 if bold else 400.0, b"Width": 100.0}
    font.set_variation_by_axes([float(wanted.get(axis["name"], axis["default"] or 0)) for axis in axes])
    return font


@lru_cache(maxsize=65536)
def _reference_width(text: str, bold: bool) -> float:
    """Return the advance width of ``text`` at the reference size, in points."""
    if not text:
        return 0.0
    direction = "rtl" if _ARABIC.search(text) else "ltr"
    try:
        return float(_font(bold).getlength(text, direction=direction))
    except (KeyError, ValueError, OSError):  # no raqm: direction is not supported by the basic layout
        return float(_font(bold).getlength(text))


@lru_cache(maxsize=131072)
def text_width(text: str, size_pt: float, bold: bool = False) -> int:
    """Return the width of ``text`` on one line at ``size_pt`` points, in EMU (safety included)."""
    clean = _MARKS.sub("", text)
    safety = SAFETY if _ARABIC.search(clean) else LATIN_SAFETY
    return int(_reference_width(clean, bold) * size_pt / _REFERENCE_PT * safety * _EMU_PER_PT)


def words(text: str) -> list[str]:
    """Return the pieces of ``text`` a line may not break inside (split at spaces and line breaks)."""
    return [w for w in _BREAKS.split(_MARKS.sub("", text)) if w]


@lru_cache(maxsize=131072)  # a pack's cells repeat (units, entities, statuses): measured once
def longest_word(text: str, size_pt: float, bold: bool = False) -> int:
    """Return the width of the widest word of ``text`` in EMU; 0 for an empty text."""
    return max((text_width(w, size_pt, bold) for w in words(text)), default=0)


@lru_cache(maxsize=131072)
def longest_line(text: str, size_pt: float, bold: bool = False) -> int:
    """Return the width of the widest line of ``text`` (lines as written, unwrapped) in EMU.

    A line is measured as its words plus the spaces between them: Arabic letters never join
    across a space, so this is the shaped width, and each word is measured once per pack.
    """
    space = text_width(" ", size_pt, bold)
    widths = []
    for line in _MARKS.sub("", text).split("\n"):
        pieces = words(line)
        widths.append(sum(text_width(w, size_pt, bold) for w in pieces) + space * max(len(pieces) - 1, 0))
    return max(widths, default=0)
