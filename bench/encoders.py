"""Time the charts' own PNG encoder against matplotlib's (Pillow), on the sample plans' charts.

    REVIEW_WORKERS=1 python bench/encoders.py [--repeat N]

Builds both sample plans (``plans/services-1444`` 1444-Q4, ``plans/diversification-2024``
2025-Q2) in this process into a temporary folder, keeping the spec of every chart the build draws
(through ``review.charts.draw``). Then, for each chart, the median of ``--repeat`` runs of:

- ``draw``: the whole chart, fast path (``review.charts.draw``: lay out, draw, encode);
- ``draw_plain``: the same with ``REVIEW_PLAIN_CHARTS=1`` (stock matplotlib, Pillow's PNG);
- ``own``: ``review.charts._fast_agg.encode_png`` of the chart's RGBA pixels;
- ``pillow``: the same pixels through ``matplotlib.image.imsave`` as the plain path writes them.

Prints one JSON object: the sums over all charts (seconds), the encoders' share of ``draw``, and
the PNG sizes (bytes). Not a test: nothing here is collected or run by the test suite.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [("services-1444", "1444-Q4"), ("diversification-2024", "2025-Q2")]


def capture_specs(out: Path) -> list:
    """Return the chart specs a build of each sample plan draws (building them into ``out``)."""
    import review.charts
    specs = []
    draw = review.charts.draw

    def keep(spec):
        specs.append(spec)
        return draw(spec)

    # Before the pipeline imports its ``from review.charts import draw``.
    review.charts.draw = keep
    from review.cli.main import main
    for plan, period in SAMPLES:
        code = main(["build", str(ROOT / "plans" / plan), "--period", period, "--out", str(out),
                     "--issue-date", "2026-01-01", "--quiet"])
        if code != 0:
            sys.exit(f"building {plan} failed (exit {code})")
    review.charts.draw = draw
    return specs


def encode_with_pillow(rgba: np.ndarray, dpi: float) -> bytes:
    """Return ``rgba`` as a PNG written the plain path's way (matplotlib's imsave, Pillow)."""
    import matplotlib.image
    out = io.BytesIO()
    matplotlib.image.imsave(out, rgba, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def median_seconds(action, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if os.environ.get("REVIEW_WORKERS") != "1":
        sys.exit("run with REVIEW_WORKERS=1: the build must draw its charts in this process")

    from PIL import Image

    from review.charts import draw, _fast_agg
    from review.charts.figures import DPI, PLAIN_ENV

    with tempfile.TemporaryDirectory() as out:
        specs = capture_specs(Path(out))
    totals = dict.fromkeys(("draw", "draw_plain", "own", "pillow"), 0.0)
    sizes = {"own": 0, "pillow": 0}
    for spec in specs:
        png = draw(spec)
        with Image.open(io.BytesIO(png)) as image:
            rgba = np.ascontiguousarray(np.asarray(image.convert("RGBA")))
        totals["draw"] += median_seconds(functools.partial(draw, spec), args.repeat)
        os.environ[PLAIN_ENV] = "1"
        totals["draw_plain"] += median_seconds(functools.partial(draw, spec), args.repeat)
        del os.environ[PLAIN_ENV]
        totals["own"] += median_seconds(functools.partial(_fast_agg.encode_png, rgba, DPI),
                                        args.repeat)
        totals["pillow"] += median_seconds(functools.partial(encode_with_pillow, rgba, DPI),
                                           args.repeat)
        sizes["own"] += len(png)
        sizes["pillow"] += len(encode_with_pillow(rgba, DPI))
    report = {"charts": len(specs), "repeat": args.repeat,
              "seconds": {k: round(v, 4) for k, v in totals.items()},
              "per_chart_ms": {k: round(1000 * v / len(specs), 2) for k, v in totals.items()},
              "saved_share_of_draw": round((totals["pillow"] - totals["own"]) / totals["draw"], 3),
              "png_bytes": sizes}
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
