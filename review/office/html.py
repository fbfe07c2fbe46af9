"""Self-contained HTML pages and their SVG charts — format only, no domain.

Pages are rendered by Jinja2 with autoescaping on, from the templates in ``pages/`` beside this
module; their stylesheet and script are inlined, so a page needs nothing but itself (no request
to any address). Charts are SVG written here with every text kept as text (selectable, shaped by
the browser); each text goes through :func:`markupsafe.escape`. The same values give the same bytes.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

#: The page templates, stylesheet and script.
PAGES_DIR = Path(__file__).resolve().parent / "pages"

Format = Callable[[float], str]


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(PAGES_DIR), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals["asset"] = _asset
    return env


@functools.lru_cache(maxsize=None)
def _asset(name: str) -> Markup:
    """Return a stylesheet or script of ``pages/`` to inline (trusted text of the project)."""
    text = (PAGES_DIR / name).read_text(encoding="utf-8")
    if "</" in text:  # would close the <style> or <script> element it is inlined into
        raise ValueError(f"{name}: '</' cannot be inlined")
    return Markup(text)


def render_page(template: str, page: dict) -> bytes:
    """Return the page ``template`` of ``pages/`` filled with ``page`` as UTF-8 bytes (every value escaped)."""
    return _environment().get_template(template).render(page=page).encode("utf-8")


def render_fragment(template: str, page: dict, **values) -> Markup:
    """Return a part of a page: the template ``template`` of ``pages/`` filled with ``page`` and
    ``values`` (every value escaped), as markup that :func:`render_page` inserts as it is."""
    return Markup(_environment().get_template(template).render(page=page, **values))


# -- charts ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    """A line of a chart: its name, one value per label (None: no point), colour (#hex), dashed or not."""

    name: str
    values: Sequence[float | None]
    colour: str
    dashed: bool = False


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _short(value: float) -> float:
    """Return a coordinate rounded to one decimal (short JSON, the same on every machine); a
    whole number as an int, which JSON writes without ``.0``."""
    rounded = round(float(value), 1)  # as _n: both round the exact binary value half to even
    return int(rounded) if rounded.is_integer() else rounded


def _n(value: float) -> str:
    """Return a coordinate with at most one decimal (short, and the same on every machine)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def chart_geometry(labels: Sequence[str], series: Sequence[Series], value_format: Format, *,
                   rtl: bool = True, width: int = 520, height: int = 190,
                   bands: Sequence[tuple[float, float, str]] = ()) -> dict:
    """Return where everything of a line chart goes, as plain JSON-ready values (pixels, texts):
    ``w``/``h`` the size, ``gx`` the plot's left and right, ``ax`` the value axis's middle, ``ly``
    the period labels' baseline, ``t`` the ticks ``[y, text]``, ``x`` one position per label
    (right to left when ``rtl``), ``b`` the bands ``[top, height, #hex]``, ``l`` the lines
    ``{"c": #hex, "k": dashed 0/1, "p": [[x, y] or None (no value), … one per label]}``.

    One geometry, two renderers: :func:`line_chart` here, and the page's script for the charts
    it draws only when asked (the indicators' series), so that both look the same.
    """
    present = [v for s in series for v in s.values if v is not None]
    low = min([0.0, *present])
    high = max([*present, *(b[1] for b in bands)], default=1.0)
    if high <= low:
        high = low + 1
    step = _nice_step((high - low) * 1.08, 4)
    low, high = math.floor(low / step) * step, math.ceil(high * 1.04 / step) * step
    side, top, bottom = 46, 10, 24
    plot_w, plot_h = width - side - 10, height - top - bottom
    left = 10 if rtl else side
    count = len(labels)

    def x(index: int) -> float:
        position = (index + 0.5) * plot_w / max(count, 1)
        return _short(left + (plot_w - position if rtl else position))

    def y(value: float) -> float:
        return _short(top + plot_h - (value - low) / (high - low) * plot_h)

    ticks, tick = [], low
    while tick <= high + step / 1000:
        ticks.append([y(tick), value_format(tick)])
        tick += step
    bands_at = []
    for band_low, band_high, colour in bands:
        lo, hi = max(band_low, low), min(band_high, high)
        if hi > lo:
            bands_at.append([y(hi), _short(y(lo) - y(hi)), colour])
    lines = [{"c": line.colour, "k": int(line.dashed),
              "p": [None if v is None else [x(i), y(v)] for i, v in enumerate(line.values)]}
             for line in series if any(v is not None for v in line.values)]
    return {"w": width, "h": height, "gx": [left, left + plot_w],
            "ax": _short(left + plot_w + side / 2 if rtl else side / 2), "ly": height - 6,
            "t": ticks, "x": [x(i) for i in range(count)], "b": bands_at, "l": lines}


def path_of(points: Sequence[Sequence[float] | None]) -> str:
    """Return the SVG path through ``points``, broken where a point is None (the script's pathOf too)."""
    path, pen = [], "M"
    for point in points:
        if point is None:
            pen = "M"
            continue
        path.append(f"{pen}{_n(point[0])} {_n(point[1])}")
        pen = "L"
    return "".join(path)


def line_chart(labels: Sequence[str], series: Sequence[Series], value_format: Format, title: str, *,
               rtl: bool = True, width: int = 520, height: int = 190,
               bands: Sequence[tuple[float, float, str]] = ()) -> Markup:
    """Return an SVG line chart of ``series`` over ``labels`` (time runs right to left when ``rtl``).

    ``bands`` are shaded value ranges ``(low, high, #hex)`` drawn behind the lines (e.g. the status
    thresholds); ``title`` is the chart's accessible name. Tick and axis texts are SVG text,
    anchored in their middle so that they sit the same way in any text direction. With no value
    at all, the chart is the axes alone. Geometry: :func:`chart_geometry`.
    """
    g = chart_geometry(labels, series, value_format, rtl=rtl, width=width, height=height, bands=bands)
    left, right = g["gx"]
    parts = [f'<svg class="chart" viewBox="0 0 {g["w"]} {g["h"]}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    parts += [f'<rect x="{left}" y="{_n(top)}" width="{right - left}" height="{_n(height_)}" '
              f'fill="{escape(colour)}" fill-opacity=".12"/>' for top, height_, colour in g["b"]]
    for tick_y, text in g["t"]:
        parts.append(f'<line x1="{left}" x2="{right}" y1="{_n(tick_y)}" y2="{_n(tick_y)}" class="grid"/>'
                     f'<text x="{_n(g["ax"])}" y="{_n(tick_y + 4)}" class="tick">{escape(text)}</text>')
    parts += [f'<text x="{_n(px)}" y="{g["ly"]}" class="tick">{escape(label)}</text>'
              for px, label in zip(g["x"], labels)]
    for line in g["l"]:
        dash = ' stroke-dasharray="5 4"' if line["k"] else ""
        parts.append(f'<path d="{path_of(line["p"])}" stroke="{escape(line["c"])}"{dash} class="line"/>')
        if not line["k"]:
            parts += [f'<circle cx="{_n(p[0])}" cy="{_n(p[1])}" r="3" fill="{escape(line["c"])}"/>'
                      for p in line["p"] if p is not None]
    parts.append("</svg>")
    return Markup("".join(parts))


def json_script(value: object, members: dict[str, dict[str, str]] | None = None) -> Markup:
    """Return ``value`` as JSON to put inside ``<script type="application/json">``: keys sorted,
    and ``<``, ``>`` and ``&`` written as escapes, so no text in it can end the element.

    ``members``: for keys of ``value`` (a dict) that stand for objects whose members are already
    JSON texts made by :func:`json_text` (``{key: {member: text}}``), spliced in key order: the
    same text as the objects written whole."""
    if not members:
        return Markup(json_text(value))
    assert isinstance(value, dict)
    marks = {key: f"\0{key}\0" for key in members}
    text = json_text({**value, **marks})
    for key, found in members.items():
        text = text.replace(json_text(marks[key]), "{" + ",".join(f"{json_text(member)}:{found[member]}"
                                                                   for member in sorted(found)) + "}", 1)
    return Markup(text)


def json_text(value: object) -> str:
    """Return ``value`` as :func:`json_script` writes it (a plain string)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
