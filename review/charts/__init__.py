"""Charts for the packs: which chart to draw (:class:`ChartSpec`) and :func:`draw`, which draws it.

This module is light on purpose (no matplotlib): a build whose charts all come from the cache,
and the chart service unpickling its requests, import only this. The drawing lives in
:mod:`review.charts.figures`, with its fast path (every use of matplotlib's private API) in
:mod:`review.charts._fast_agg`: the only two modules that import matplotlib.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: The chart kinds a spec may name: the public drawing functions of :mod:`review.charts.figures`.
CHART_KINDS = ("status_distribution", "score_bars", "score_trend", "target_vs_actual",
               "project_progress", "status_heatmap")


@dataclass(frozen=True)
class ChartSpec:
    """A chart to render: ``review.charts.figures.<function>(*args, **kwargs)``, saved as ``charts/<name>``.

    ``function`` is one of :data:`CHART_KINDS`.
    """

    name: str
    function: str
    args: tuple
    kwargs: dict
    title: str
    alt_text: str
    #: What the chart shows, in a sentence, for the figure's caption ("" for the title).
    caption: str = ""

def draw(spec: ChartSpec) -> bytes:
    """Return the PNG bytes of the chart ``spec`` describes (imports matplotlib on first use)."""
    from review.charts import figures
    kinds: dict[str, Callable[..., bytes]] = {"status_distribution": figures.status_distribution, "score_bars": figures.score_bars,
             "score_trend": figures.score_trend, "target_vs_actual": figures.target_vs_actual,
             "project_progress": figures.project_progress, "status_heatmap": figures.status_heatmap}
    if spec.function not in kinds:
        raise ValueError(f"unknown chart kind {spec.function!r}: expected one of {', '.join(kinds)}")
    return kinds[spec.function](*spec.args, **spec.kwargs)
