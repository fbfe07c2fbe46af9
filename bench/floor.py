"""Time rendering a build's charts alone: the floor under the chart stage of a build.

    python bench/floor.py PLAN_DIR --period P [--repeat N] [--issue-date YYYY-MM-DD]

Runs in process. It loads the plan like ``review build`` (``review.pipeline.build.prepare``), lets
``review.pipeline.build.render_outputs`` compose the chart specs of every sector pack and the executive
pack, and stops it at its call to ``review.pipeline.workers.render_packs`` (so the specs are exactly a
real build's, whatever context ``render_outputs`` builds). Then it times, ``--repeat`` times each:

- ``serial``: every chart drawn one after another in this process, by calling the
  ``review.charts`` function a spec names — the plain cost of the charts;
- ``render_charts``: ``review.pipeline.workers.render_charts(specs)`` without a chart cache, in worker
  processes (the floor of drawing the charts in parallel, as a build does).

Before timing, one chart is drawn untimed (``warmup``: importing matplotlib, loading the font).
Prints one JSON object on stdout; seconds throughout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


class _Stop(Exception):
    """Raised by the stand-in for render_packs once it holds the specs."""


def capture_specs(plan_dir: Path, period: str, issue_date: dt.date, out_root: Path) -> tuple[list, dict]:
    """Return the chart specs a build of ``period`` renders, and the seconds spent reaching them.

    Raises SystemExit when ``render_outputs`` never calls ``review.pipeline.workers.render_packs``.
    """
    from review.pipeline import build
    from review.pipeline import workers as rendering
    from review.model.periods import Period

    captured: list = []

    def stand_in(context, sector_specs, executive_specs, *args, **kwargs):
        captured.extend(spec for specs in sector_specs.values() for spec in specs)
        captured.extend(executive_specs)
        raise _Stop

    options = build.BuildOptions(Path(plan_dir), Period.parse(period), out_root=out_root, issue_date=issue_date)
    start = time.perf_counter()
    loaded = build.prepare(options)
    prepared = time.perf_counter()
    original = rendering.render_packs
    rendering.render_packs = stand_in
    try:
        build.render_outputs(loaded, options, issue_date)
    except _Stop:
        pass
    finally:
        rendering.render_packs = original
    composed = time.perf_counter()
    if not captured:
        raise SystemExit("floor: review.pipeline.build.render_outputs did not call review.pipeline.workers.render_packs; "
                         "bench/floor.py needs updating to the build's new chart stage")
    return captured, {"prepare": prepared - start, "to_charts": composed - prepared}


def render_serial(specs: list) -> dict[str, float]:
    """Draw every chart in this process; return seconds per chart function."""
    from review.charts import draw
    spent: dict[str, float] = {}
    for spec in specs:
        start = time.perf_counter()
        draw(spec)
        spent[spec.function] = spent.get(spec.function, 0.0) + time.perf_counter() - start
    return spent


def render_with_build(specs: list) -> None:
    """Render through the build's own render_charts (worker processes), with no chart cache."""
    from review.pipeline import workers as rendering
    rendering.render_charts(specs, cache_root=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan_dir", type=Path)
    parser.add_argument("--period", required=True)
    parser.add_argument("--repeat", type=int, default=1, help="timed repetitions of each way (default 1)")
    parser.add_argument("--issue-date", type=dt.date.fromisoformat, default=dt.date(2026, 1, 15))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="review-floor-") as out_root:
        specs, stages = capture_specs(args.plan_dir, args.period, args.issue_date, Path(out_root))
        start = time.perf_counter()
        render_serial(specs[:1])
        warmup = time.perf_counter() - start
        serial, by_function, via_build = [], {}, []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            by_function = render_serial(specs)
            serial.append(time.perf_counter() - start)
            start = time.perf_counter()
            render_with_build(specs)
            via_build.append(time.perf_counter() - start)
    counts: dict[str, int] = {}
    for spec in specs:
        counts[spec.function] = counts.get(spec.function, 0) + 1
    report = {"charts": len(specs), **stages, "warmup": warmup,
              "serial": serial, "serial_median": statistics.median(serial),
              "render_charts": via_build, "render_charts_median": statistics.median(via_build),
              "by_function": {name: {"charts": counts[name], "seconds": seconds} for name, seconds in sorted(by_function.items())}}
    json.dump(report, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
