"""Time `review validate` on hostile plans against a short one (issue 14: a plan with hundreds of
thousands of unknown keys is refused as fast as a short one).

    .venv/bin/python bench/hostile.py [--runs 5] [--out BENCHMARKS.md]

Each plan is the mini plan of the tests with lines added: 200,000 unknown keys under a sector
(refused at the 5,001st key, the rest never read), and 100,000 indicators each with two problems
(every problem counted, twenty described). Every run is a fresh subprocess; the table shows
medians and the largest peak memory, and is written to the "hostile" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from conftest import base_plan  # noqa: E402  (the tests' mini plan)
from run import MB, log, review_command, run_command, write_section, child_env  # noqa: E402

CASES = [
    ("short plan (the tests' mini plan)", None, [], 0),
    ("200,000 unknown keys under a sector", "- id: health", [f"  k{i}: {i}" for i in range(200_000)], 2),
    ("100,000 indicators, 200,000 problems", "    indicators:",
     [f"    - {{id: X{i}, name: \"n\\a\", entity: MOH, targets: {{2024: x}}}}" for i in range(50_000)], 2),
]


def write_plan(folder: Path, after: str | None, lines: list[str]) -> Path:
    text = yaml.safe_dump(base_plan(), allow_unicode=True, sort_keys=False).splitlines()
    if after is not None:
        at = text.index(after) + 1
        text = text[:at] + lines + text[at:]
    folder.mkdir(parents=True)
    (folder / "plan.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per plan; medians are reported (default 5)")
    parser.add_argument("--out", type=Path, default=HERE.parent / "BENCHMARKS.md", help="the report")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for n, (label, after, lines, code) in enumerate(CASES):
            folder = write_plan(Path(work) / f"plan{n}", after, lines)
            size = (folder / "plan.yaml").stat().st_size
            runs = []
            for _ in range(args.runs):
                measured = run_command([*review_command(), "validate", str(folder)], child_env())
                if measured.exit_code != code:
                    raise SystemExit(f"bench: {label}: exit {measured.exit_code}, expected {code}\n{measured.stderr[-2000:]}")
                runs.append(measured)
            seconds = statistics.median(m.seconds for m in runs)
            peak = max(m.maxrss for m in runs) / MB
            log(f"{label}: {seconds:.2f} s, {peak:.0f} MB")
            rows.append(f"| {label} | {size / 1024:,.0f} KB | {code} | {seconds:.2f} s | {peak:.0f} MB |")
    body = "\n".join([
        "## Hostile plans: `review validate` (bench/hostile.py)", "",
        f"Medians of {args.runs} runs, fresh processes; peak is the largest resident set.", "",
        "| plan | size | exit | time | peak memory |", "|---|---|---|---|---|", *rows])
    write_section(args.out, "hostile", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
