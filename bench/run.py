"""Benchmark ``review`` on synthetic plans and write the table to BENCHMARKS.md.

    python bench/run.py [--scales 1 2 5] [--runs 5] [--kinds …] [--out BENCHMARKS.md]
    python bench/run.py --profile            # one cold 1× build under cProfile instead

For each scale: generate a plan (bench/generate.py) into a temporary folder, then run, each as a
fresh ``review`` subprocess, ``--runs`` times:

  validate   ``review validate PLAN --period 2025-Q4``
  cold       ``review build PLAN --period 2025-Q4 --out OUT`` into an empty OUT
  no-change  the same build again into the OUT of a cold build (nothing changed)
  one-sector the same build after one value of one sector's indicator changed in an entity's
             indicators CSV for 2025-Q4

Runs take turns across scales (run 1 of every scale, then run 2, …), so that a slow spell of a
shared machine falls on runs of every scale rather than on all the runs of one.
Before every no-change and one-sector run, OUT is restored to the state the first cold build left
and the CSV to its original bytes, so every run measures the same thing; replaced output folders
are set aside and deleted only after the last run (see :func:`set_aside`). Medians are reported.
Wall time is ``time.perf_counter`` around the subprocess. Peak memory comes from the standard
library: ``os.wait4`` gives the child's own rusage (``ru_maxrss``: the peak RSS of the largest
single process, the child or a descendant it waited for), and on Linux a sampler sums the memory
of the child's whole process tree from /proc every 50 ms (PSS, so pages that forked workers share
count once; worker processes included; short peaks may be missed). The table shows the larger. Builds use a fixed ``--issue-date`` and ``SOURCE_DATE_EPOCH``.
The runner relies only on exit codes and wall time, never on the output folder's layout.

Also measured once per scale: the chart floor (bench/floor.py), the time to draw the same charts
alone in one process. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402  (bench/ is not a package)

PERIOD = generate.PERIODS[-1]
ISSUE_DATE = "2026-01-15"
SOURCE_DATE_EPOCH = "1768435200"  # 2026-01-15T00:00:00Z
MB = 1024 * 1024

#: (key, label, limit) at 1×; the seconds limits apply to medians, memory to the peak.
TARGETS = [("cold", "cold full build", 10.0), ("nochange", "no-change rebuild", 1.0),
           ("onesector", "one-sector rebuild", 3.0)]
RSS_LIMIT_MB = 500
SCALING_LIMIT = 2.2
#: The one-sector rebuild at 5× may cost at most this many times its cost at 1× (it should cost
#: what the changed sector costs, not grow with the plan).
ONE_SECTOR_SCALING_LIMIT = 1.3
KINDS = [("validate", "validate"), ("cold", "cold build"), ("nochange", "no-change rebuild"),
         ("onesector", "one-sector rebuild"), ("serialcold", "cold build, REVIEW_WORKERS=1"),
         ("serialone", "one-sector rebuild, REVIEW_WORKERS=1"), ("nodeck", "cold build --no-deck"),
         ("nodashboard", "cold build --no-dashboard")]
#: Each output's share of the cold build at 1×: the build with it ÷ the build without it (issues
#: 18 and 19: the dashboard and the deck each add at most 10 %). Measured at 1× only, each right
#: after a cold build of the same run, so that the two see the same machine.
OUTPUT_SHARES = [("nodeck", "--no-deck", "deck.pptx"), ("nodashboard", "--no-dashboard", "dashboard.html")]
OUTPUT_SHARE_LIMIT = 1.10
#: The default worker count against one process (issue 20, item 4: parallelism never loses):
#: (kind measured with ``REVIEW_WORKERS=1``, the default kind it is paired with, scales).
SERIAL_PAIRS = [("serialcold", "cold", (1,)), ("serialone", "onesector", (1, 2, 5))]
#: The default may take at most this share of one process's time (median of the paired ratios).
SERIAL_LIMIT = 1.0

BEGIN, END = "<!-- bench:{}:begin -->", "<!-- bench:{}:end -->"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- running one command ---------------------------------------------------------------------------

@dataclass
class Measurement:
    seconds: float
    exit_code: int
    maxrss: int  # bytes, largest single process (wait4)
    tree_rss: int  # bytes, sampled PSS sum over the process tree (0 when not sampled)
    stderr: str

    @property
    def peak(self) -> int:
        return max(self.maxrss, self.tree_rss)


class TreeSampler(threading.Thread):
    """Sample the summed memory (PSS) of a process and its descendants from /proc (Linux only)."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.done = threading.Event()

    @staticmethod
    def available() -> bool:
        return Path("/proc/self/stat").exists()

    def sample(self) -> int:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            for child, ppid in parents.items():
                if ppid == parent and child not in tree:
                    tree.add(child)
                    frontier.append(child)
        total = 0
        for pid in tree:
            total += self.memory(pid)
        return total

    def memory(self, pid: int) -> int:
        """Return a process's proportional set size (shared pages split among the processes sharing
        them, so forked workers are not counted twice), or its RSS when PSS is not available."""
        try:
            match = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)
            if match:
                return int(match.group(1)) * 1024
        except OSError:
            pass
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.page
        except (OSError, IndexError, ValueError):
            return 0

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, self.sample())


def run_command(command: list[str], env: dict[str, str]) -> Measurement:
    """Run ``command`` as a fresh subprocess; return its wall time, exit code and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO)
        sampler = TreeSampler(process.pid) if TreeSampler.available() else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if sampler:
            sampler.done.set()
            sampler.join()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    maxrss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return Measurement(seconds, process.returncode, maxrss, sampler.peak if sampler else 0, stderr)


def review_command() -> list[str]:
    """Return how to start ``review``: its console script beside this Python, else ``python -m review``."""
    script = Path(sys.executable).with_name("review")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "review"]


def compile_package() -> None:
    """Byte-compile the ``review`` package, as Python does on a user's first run.

    With ``PYTHONDONTWRITEBYTECODE`` set (as in some containers) Python never writes the cache,
    and every measured process would compile the package's modules again (about 0.2 s of CPU per
    build, spread over its processes). A regular ``pip install`` compiles them at install time.
    """
    import compileall
    spec = importlib.util.find_spec("review")
    for folder in spec.submodule_search_locations or ():
        compileall.compile_dir(folder, quiet=1)


def child_env() -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONUNBUFFERED": "1"}


def check(measurement: Measurement, what: str) -> Measurement:
    if measurement.exit_code != 0:
        tail = "\n".join(measurement.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"bench: {what} failed with exit code {measurement.exit_code}:\n{tail}")
    return measurement


# -- the scenario ----------------------------------------------------------------------------------

def tree_listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def restore(snapshot: Path, target: Path) -> None:
    set_aside(target)
    shutil.copytree(snapshot, target, symlinks=True)
    settle()


def set_aside(path: Path) -> None:
    """Move ``path`` (if there) into the ``.trash`` folder beside it instead of deleting it.

    Deleting thousands of files just before a measurement slows the measured build down: ext4
    without a journal (as on this benchmark's virtual machines) skips inodes freed in the last
    minute when it allocates new ones, so a build writing its thousand files right after the
    benchmark deleted the previous output spent up to ten times longer creating them. Nothing is
    deleted until every run is over (:func:`empty_trash`).
    """
    if not path.exists():
        return
    trash = path.parent / ".trash"
    trash.mkdir(exist_ok=True)
    path.rename(trash / f"{path.name}-{len(list(trash.iterdir())) + 1}")


def empty_trash(work: Path) -> None:
    """Delete what :func:`set_aside` kept below ``work``, once nothing is measured any more."""
    for folder in [work, *work.iterdir()]:
        shutil.rmtree(folder / ".trash", ignore_errors=True)


def settle() -> None:
    """Flush the benchmark's own file writes before a measurement.

    A build makes its revision durable with one ``os.sync()``, which also writes out every other
    dirty page on the machine; without this, the measured build would pay for the copy the
    benchmark just made of the previous output (tens of MB at 1×).
    """
    if hasattr(os, "sync"):
        os.sync()


def pick_change(plan_dir: Path) -> tuple[Path, str, str, str]:
    """Return (CSV file, indicator id, sector id, new value): one value of one sector's indicator
    in one entity's indicators CSV of the benchmarked period."""
    import yaml
    plan = yaml.safe_load((plan_dir / "plan.yaml").read_text(encoding="utf-8"))
    folder = plan_dir / "data" / PERIOD
    sector = plan["sectors"][0]
    for objective in sector["objectives"]:
        for indicator in objective["indicators"]:
            path = folder / f"indicators-{indicator['entity']}.csv"
            if not path.is_file():
                continue
            for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
                if row and row[0] == indicator["id"] and row[1].strip():
                    western = row[1].translate(str.maketrans("٠١٢٣٤٥٦٧٨٩٫", "0123456789.", "٬,"))
                    return path, indicator["id"], sector["id"], f"{float(western) * 0.9 + 1:.1f}"
    raise SystemExit(f"bench: no reported indicator of sector {sector['id']!r} in {folder}")


def edit_value(path: Path, indicator_id: str, value: str) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row and row[0] == indicator_id:
            row[1] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="\n")


@dataclass
class ScaleResult:
    scale: float
    counts: dict
    generate_seconds: float
    runs: dict[str, list[Measurement]] = field(default_factory=dict)
    floor: dict | None = None
    notes: list[str] = field(default_factory=list)
    #: What the :data:`MEASUREMENTS` found, by their own keys.
    extra: dict = field(default_factory=dict)

    def median(self, kind: str) -> float | None:
        values = [m.seconds for m in self.runs.get(kind, [])]
        return statistics.median(values) if values else None

    def peak(self) -> tuple[int, str]:
        best = (0, "")
        for kind, label in KINDS:
            for m in self.runs.get(kind, []):
                if m.peak > best[0]:
                    best = (m.peak, label)
        return best


@dataclass
class Scenario:
    """What a measurement of :data:`MEASUREMENTS` gets for one scale: the plan, the output folder
    of the first cold build (``baseline``: copy it, never build into it), a folder of its own to
    work in (below ``work``), the build command, the environment, and the one-sector change (the
    CSV, the indicator, the new value: :func:`edit_value`; restore the file's bytes afterwards)."""

    plan_dir: Path
    baseline: Path
    work: Path
    build: list[str]
    env: dict[str, str]
    csv: Path
    indicator_id: str
    value: str


#: More measurements, each ``measure(scenario, result)``, run once per scale after its runs:
#: it stores what it found in ``result.extra`` (and may add ``result.notes``). Their rows in the
#: report come from :data:`TARGET_ROWS` (and the results table shows nothing of them).
MEASUREMENTS: list = []


def bench_scale(scale: float, runs: int, work: Path, floor_runs: int, kinds: frozenset[str] = frozenset(k for k, _ in KINDS)):
    """Generate a plan at ``scale`` under ``work`` and measure every command ``runs`` times.

    A generator: it pauses after each run (so runs of several scales can take turns, see
    :func:`interleave`) and returns the :class:`ScaleResult`.
    """
    review, env = review_command(), child_env()
    plan_dir, out, baseline = work / "plan", work / "out", work / "baseline"
    tag = f"[{scale:g}×]"
    log(f"{tag} generating the plan in {plan_dir}")
    start = time.perf_counter()
    counts = generate.generate(scale, plan_dir)
    result = ScaleResult(scale, counts, time.perf_counter() - start)
    build = [*review, "build", str(plan_dir), "--period", PERIOD, "--out", str(out), "--issue-date", ISSUE_DATE]
    validate = [*review, "validate", str(plan_dir), "--period", PERIOD]
    path, indicator_id, sector_id, new_value = pick_change(plan_dir)
    original, stat = path.read_bytes(), path.stat()
    plan_files = tree_listing(plan_dir)

    def record(kind: str, command: list[str], number: int, workers: str | None = None) -> Measurement:
        m = check(run_command(command, env if workers is None else {**env, "REVIEW_WORKERS": workers}), f"{tag} {kind}")
        result.runs.setdefault(kind, []).append(m)
        log(f"{tag} {kind:<10} run {number}/{runs}: {m.seconds:7.2f} s, peak {m.peak / MB:6.0f} MB")
        return m

    for number in range(1, runs + 1):
        if "validate" in kinds:
            record("validate", validate, number)

        if number == 1 or "cold" in kinds:  # the first cold build is every rebuild's starting point
            set_aside(out)
            settle()
            record("cold", build, number)
        for kind, flag, _ in OUTPUT_SHARES:
            if scale == 1 and kind in kinds:  # into a folder of their own: the rebuilds start from `out`
                shares = work / f"out-{kind}"
                set_aside(shares)
                settle()
                record(kind, [*build[:build.index("--out") + 1], str(shares), *build[build.index("--out") + 2:], flag],
                       number)
        if "serialcold" in kinds and scale == 1:  # right after the default cold build: the same machine
            serial = work / "out-serialcold"
            set_aside(serial)
            settle()
            record("serialcold", [*build[:build.index("--out") + 1], str(serial), *build[build.index("--out") + 2:]],
                   number, workers="1")
        if number == 1:
            added = tree_listing(plan_dir) - plan_files
            if added:
                result.notes.append(f"the build wrote into the plan folder ({len(added)} paths, e.g. {sorted(added)[0]}); "
                                    "later cold builds may not be cold")
            restore(out, baseline)

        if "nochange" in kinds:
            restore(baseline, out)
            before = tree_listing(out)
            record("nochange", build, number)
            if number == 1:
                added = tree_listing(out) - before
                if added:
                    result.notes.append(f"the no-change rebuild wrote {len(added)} new paths under --out (a new revision?)")

        for kind, workers in (("onesector", None), ("serialone", "1")):
            if kind not in kinds:
                continue
            restore(baseline, out)
            edit_value(path, indicator_id, new_value)
            try:
                record(kind, build, number, workers)
            finally:
                path.write_bytes(original)
                os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        yield
    result.notes.append(f"one-sector change: {path.name}, indicator {indicator_id} (sector {sector_id}) set to {new_value}")
    scenario = Scenario(plan_dir, baseline, work, build, env, path, indicator_id, new_value)
    for measure in MEASUREMENTS:
        log(f"{tag} {measure.__name__}")
        measure(scenario, result)

    log(f"{tag} chart floor (bench/floor.py, {floor_runs} run(s))")
    floor = subprocess.run([sys.executable, str(BENCH / "floor.py"), str(plan_dir), "--period", PERIOD,
                            "--repeat", str(floor_runs), "--issue-date", ISSUE_DATE],
                           capture_output=True, text=True, env=env, cwd=REPO)
    if floor.returncode == 0:
        result.floor = json.loads(floor.stdout.strip().splitlines()[-1])
        log(f"{tag} chart floor: {result.floor['charts']} charts, {result.floor['serial_median']:.2f} s in one process")
    else:
        result.notes.append("chart floor failed: " + (floor.stderr.strip().splitlines() or ["?"])[-1])
        log(f"{tag} chart floor failed:\n{floor.stderr[-2000:]}")
    return result


def interleave(scales) -> list[ScaleResult]:
    """Advance the :func:`bench_scale` generators in turns — run 1 of every scale, then run 2, … —
    and return their results in order. A slow spell of a shared machine then falls on runs of
    every scale, and the medians absorb it, instead of on all the runs of one scale."""
    results: dict[int, ScaleResult] = {}
    pending = list(enumerate(scales))
    while pending:
        still = []
        for index, runs in pending:
            try:
                next(runs)
                still.append((index, runs))
            except StopIteration as done:
                results[index] = done.value
        pending = still
    return [results[index] for index in sorted(results)]


# -- the archive's growth and the cache's size (issue 20) ------------------------------------------

#: One-figure corrections built one after the other for the archive's rows.
CORRECTIONS = 30
#: A revision after a one-figure correction adds at most this share of a full revision's bytes.
ARCHIVE_LIMIT_PERCENT = 5.0


def folder_files(folder: Path) -> dict[tuple[int, int], tuple[int, int, str]]:
    """Return ``{(device, inode): (size, bytes on disk, a name relative to folder)}`` of every file
    below ``folder``: hard links once (the first name in sorted order)."""
    found: dict[tuple[int, int], tuple[int, int, str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        stat = path.stat()
        found.setdefault((stat.st_dev, stat.st_ino),
                         (stat.st_size, getattr(stat, "st_blocks", 0) * 512 or stat.st_size,
                          path.relative_to(folder).as_posix()))
    return found


def growth(before: dict, after: dict) -> tuple[int, int, int, list[tuple[int, str]]]:
    """Return what a period folder grew by between two :func:`folder_files`: ``(bytes, bytes on
    disk, bytes freed, [(size, name)] of the new files, largest first)``, the content store's new
    chunks as one line. Freed: the files that are gone (an earlier revision's files replaced by
    recipes)."""
    new = [after[key] for key in after.keys() - before.keys()]
    gone = [before[key] for key in before.keys() - after.keys()]
    size = sum(s for s, _, _ in new) - sum(s for s, _, _ in gone)
    disk = sum(d for _, d, _ in new) - sum(d for _, d, _ in gone)
    def is_chunk(name: str) -> bool:  # not the store's records (borrowed.json, converting.json)
        return name.startswith(".store/") and not name.endswith(".json")
    chunks = [s for s, _, name in new if is_chunk(name)]
    listed = [(s, name) for s, _, name in new if not is_chunk(name)]
    if chunks:
        listed.append((sum(chunks), f".store/ ({len(chunks)} new chunks)"))
    return size, disk, sum(s for s, _, _ in gone), sorted(listed, reverse=True)


def added_bytes(revision: Path, seen: set[tuple[int, int]]) -> tuple[int, list[tuple[int, str]]]:
    """Return the bytes the files of ``revision`` add to the disk beyond the files in ``seen``
    ((device, inode) of the earlier revisions' files, updated): a hard link to an earlier file adds
    nothing. Also returns (size, name) of each added file, largest first."""
    added = []
    for path in sorted(p for p in revision.rglob("*") if p.is_file()):
        found = path.stat()
        if (found.st_dev, found.st_ino) not in seen:
            seen.add((found.st_dev, found.st_ino))
            added.append((found.st_size, path.relative_to(revision).as_posix()))
    return sum(size for size, _ in added), sorted(added, reverse=True)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def bench_archive(scale: float, corrections: int, work: Path) -> dict:
    """Build a plan at ``scale``, then ``corrections`` revisions each after a one-figure correction
    (the value the one-sector rebuild changes, a different value each time); return what each
    build added to the period's folder and the cache's size at the end.

    *Added* is what the whole period folder grew by: the new revision's files it does not share
    (hard links once), the content store's new chunks, its index of borrowed chunks and the
    recipes, minus what the earlier revision freed (files it now keeps as recipes, and the index
    it replaced). Bytes are file sizes; ``disk`` counts the
    blocks the file system allocates (a small chunk takes a whole block)."""
    review, env = review_command(), child_env()
    plan_dir, out = work / "plan", work / "out"
    log(f"[{scale:g}×] archive: generating the plan in {plan_dir}")
    generate.generate(scale, plan_dir)
    build = [*review, "build", str(plan_dir), "--period", PERIOD, "--out", str(out), "--issue-date", ISSUE_DATE]
    path, indicator_id, sector_id, value = pick_change(plan_dir)
    revisions = []
    before: dict = {}
    for number in range(corrections + 1):
        if number:
            edit_value(path, indicator_id, f"{float(value) + number:.1f}")
        check(run_command(build, env), f"archive build {number + 1}")
        folder = next(out.glob(f"*/{PERIOD}"))
        revision = folder / f"r{number + 1}"
        after = folder_files(folder)
        added, disk, freed, files = growth(before, after)
        before = after
        revisions.append({"revision": revision.name, "total": folder_bytes(revision), "added": added,
                          "disk": disk, "freed": freed, "files": files})
        log(f"[{scale:g}×] archive: {revision.name} adds {added / MB:.2f} MB ({disk / MB:.2f} MB on disk; "
            f"{freed / MB:.2f} MB freed) in {len(files)} files")
    return {"scale": scale, "corrections": corrections, "revisions": revisions,
            "archive": sum(r["added"] for r in revisions), "disk": sum(r["disk"] for r in revisions),
            "cache": folder_bytes(out / ".cache"),
            "change": f"{path.name}, indicator {indicator_id} (sector {sector_id})"}


def archive_section(result: dict, command: str, started: str) -> str:
    """Return the archive section of BENCHMARKS.md for :func:`bench_archive`'s result."""
    revisions = result["revisions"]
    full = revisions[0]["added"]
    later = [r["added"] for r in revisions[1:]]
    first = revisions[1] if len(revisions) > 1 else None
    percent = [100 * added / full for added in later]
    limit = os.environ.get("REVIEW_CACHE_MB", "").strip()
    cap = f"{limit} MB (REVIEW_CACHE_MB)" if limit else "1024 MB (the default)"
    lines = [
        "## Archive and cache after one-figure corrections",
        "",
        f"Command: `{command}`; run on {started} UTC. A {result['scale']:g}× plan built once, then "
        f"{result['corrections']} times after a one-figure correction ({result['change']}, a new value "
        "each time), each build a new revision. *Added* is what the whole period folder grew by: the "
        "new revision's files it does not share with an earlier one (a hard link adds nothing), the "
        "content store's new chunks, its index of borrowed chunks (`borrowed.json`, rewritten: counted "
        "by what it grew) and the recipes, minus the files the previous revision freed (kept as "
        "recipes since); file sizes, and in brackets the blocks allocated on disk.",
        "",
        "| measured | value | target | result |",
        "|---|---|---|---|",
        f"| full revision (r1) | {full / MB:.2f} MB | | |",
    ]
    if first is not None:
        ok = max(percent) <= ARCHIVE_LIMIT_PERCENT
        lines += [
            f"| added by r2 (the first correction) | {first['added'] / MB:.2f} MB ({percent[0]:.1f} % of r1; "
            f"on disk {first['disk'] / MB:.2f} MB) | "
            f"≤ {ARCHIVE_LIMIT_PERCENT:g} % | {'pass' if percent[0] <= ARCHIVE_LIMIT_PERCENT else '**FAIL**'} |",
            f"| added per correction, median (largest) | {statistics.median(later) / MB:.2f} MB "
            f"({statistics.median(percent):.1f} %; largest {max(percent):.1f} %; on disk "
            f"{statistics.median(r['disk'] for r in revisions[1:]) / MB:.2f} MB) | ≤ {ARCHIVE_LIMIT_PERCENT:g} % | "
            f"{'pass' if ok else '**FAIL**'} |",
            f"| archive after {len(later)} corrections | {result['archive'] / MB:.1f} MB "
            f"({result['archive'] / full:.1f} full revisions for {len(revisions)}; on disk "
            f"{result['disk'] / MB:.1f} MB) | | |",
        ]
    lines += [f"| cache (`output/.cache`) after {len(later)} corrections | {result['cache'] / MB:.1f} MB | "
              f"≤ {cap} | {'pass' if result['cache'] <= int(limit or 1024) * MB else '**FAIL**'} |", ""]
    if first is not None:
        lines.append(f"What r2 adds ({len(first['files'])} files; the largest): "
                     + ", ".join(f"`{name}` {size / MB:.2f} MB" for size, name in first["files"][:10])
                     + f"; it frees {first['freed'] / MB:.2f} MB of r1.")
        last = revisions[-1]
        lines.append(f"What {last['revision']} adds: "
                     + ", ".join(f"`{name}` {size / MB:.2f} MB" for size, name in last["files"][:10])
                     + f"; it frees {last['freed'] / MB:.2f} MB.")
    return "\n".join(lines)


# -- the report ------------------------------------------------------------------------------------

def _spin(_: int) -> int:
    total = 0
    for i in range(3_000_000):
        total += i * i
    return total


def parallel_probe() -> str:
    """Return how much faster two processes get through CPU-bound work than one (2.0 on two free cores).

    A machine shared with other work shows less; then the build's worker processes cannot help.
    """
    import multiprocessing
    if "fork" not in multiprocessing.get_all_start_methods():
        return "not measured"
    start = time.perf_counter()
    for n in range(4):
        _spin(n)
    serial = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, range(2))  # start the workers before timing
        start = time.perf_counter()
        pool.map(_spin, range(4), chunksize=1)
        parallel = time.perf_counter() - start
    return f"{serial / parallel:.2f}× the throughput of one (2.00 on two free cores)"


def machine(probes: tuple[str, str]) -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    try:
        from importlib.metadata import version
        review_version = version("review")
    except Exception:
        review_version = "?"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return [("CPU", cpu), ("cores", f"{os.cpu_count()} logical, {usable} usable"), ("RAM", ram),
            ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
            ("OS", platform.platform()), ("review", f"{review_version} at {commit or '?'}{' (uncommitted changes)' if dirty else ''}"),
            ("load average (1/5/15 min) at the end", load), ("two processes at the start", probes[0]),
            ("two processes at the end", probes[1])]


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def results_section(results: list[ScaleResult], command: str, runs: int, started: str,
                    probes: tuple[str, str]) -> str:
    lines = ["## Results", "", f"Command: `{command}` — {runs} run(s) per measurement, medians shown; run on {started} UTC.", "",
             "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine(probes)]
    lines += ["", "| scale | sectors | indicators | validate | cold build | no-change rebuild | one-sector rebuild "
              "| charts alone (floor) | peak memory |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        peak, what = r.peak()
        floor = f"{r.floor['serial_median']:.2f} s ({r.floor['charts']} charts)" if r.floor else "—"
        lines.append(f"| {r.scale:g}× | {r.counts['sectors']} | {r.counts['indicators']} | {seconds(r.median('validate'))} "
                     f"| {seconds(r.median('cold'))} | {seconds(r.median('nochange'))} | {seconds(r.median('onesector'))} "
                     f"| {floor} | {peak / MB:.0f} MB ({what}) |")
    lines += ["", "Every run (seconds; peak memory in MB as largest process's RSS / whole process tree's PSS, sampled):", ""]
    for r in results:
        for kind, label in KINDS:
            ms = r.runs.get(kind, [])
            if not ms:
                continue
            lines.append(f"- {r.scale:g}× {label}: " + ", ".join(
                f"{m.seconds:.2f} ({m.maxrss / MB:.0f}/{m.tree_rss / MB:.0f} MB)" for m in ms))
    lines += ["", "## Targets (2-core machine, 1×)", "", "| target | limit | measured | result |", "|---|---|---|---|"]
    for rows in TARGET_ROWS:
        lines += rows(results)
    lines += ["", "The scaling target: a 2× plan (twice the sectors, indicators, entities and projects) must build "
              f"in at most {SCALING_LIMIT:g} × the 1× time, i.e. close to linear. A one-sector rebuild must cost what "
              f"the changed sector costs: at 5× at most {ONE_SECTOR_SCALING_LIMIT:g} × its 1× time. The cold build is "
              "also shown as a ratio to the chart floor measured in the same run (drawing the same charts in one "
              "process), which no machine load can flatter. The deck and the dashboard may each make the 1× cold "
              f"build at most {(OUTPUT_SHARE_LIMIT - 1) * 100:.0f} % longer: each run builds the plan cold with and "
              "without it, one after the other, and the median of the runs' ratios is shown. The parallel default "
              "must never lose to one process: each run also builds with `REVIEW_WORKERS=1` right after the default "
              "build (cold at 1×, one-sector at every scale), and the median of the paired ratios is shown."]
    notes = [f"{r.scale:g}×: {note}" for r in results for note in r.notes]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cores != 2:
        notes.append(f"this machine has {cores} usable cores; the targets are for 2 cores")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    floors = [r for r in results if r.floor]
    if floors:
        lines += ["", "Chart floor by chart function (one process, seconds):", ""]
        for r in floors:
            parts = ", ".join(f"{name} {v['seconds']:.2f} ({v['charts']})" for name, v in r.floor["by_function"].items())
            lines.append(f"- {r.scale:g}×: {parts}; through `render_charts` without cache: "
                         f"{r.floor['render_charts_median']:.2f} s; before the charts: load {r.floor['prepare']:.2f} s, "
                         f"evaluate and compose {r.floor['to_charts']:.2f} s")
    return "\n".join(lines)


# -- the targets table: one function per measurement, each returning its rows -----------------------

def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def at_scale(results: list[ScaleResult], scale: float) -> ScaleResult | None:
    return next((r for r in results if r.scale == scale), None)


def time_rows(results: list[ScaleResult]) -> list[str]:
    """The seconds targets at 1× (medians) and peak memory."""
    one, lines = at_scale(results, 1), []
    for key, label, limit in TARGETS:
        value = one.median(key) if one else None
        lines.append(f"| {label} | ≤ {limit:g} s | {seconds(value)} | {verdict(value <= limit) if value is not None else 'not measured'} |")
    if one:
        peak = one.peak()[0] / MB
        lines.append(f"| peak RSS | ≤ {RSS_LIMIT_MB} MB | {peak:.0f} MB | {verdict(peak <= RSS_LIMIT_MB)} |")
    else:
        lines.append(f"| peak RSS | ≤ {RSS_LIMIT_MB} MB | — | not measured |")
    return lines


def scaling_rows(results: list[ScaleResult]) -> list[str]:
    """The cold build at 2× against 1×."""
    one, two = at_scale(results, 1), at_scale(results, 2)
    if one and two and one.median("cold") and two.median("cold"):
        ratio = two.median("cold") / one.median("cold")
        return [f"| 2× cold build ÷ 1× cold build | ≤ {SCALING_LIMIT:g} | {ratio:.2f} | {verdict(ratio <= SCALING_LIMIT)} |"]
    return [f"| 2× cold build ÷ 1× cold build | ≤ {SCALING_LIMIT:g} | — | not measured (needs scales 1 and 2) |"]


def one_sector_rows(results: list[ScaleResult]) -> list[str]:
    """The one-sector rebuild at every scale measured, and 5× against 1×."""
    measured = [r for r in results if r.median("onesector") is not None]
    lines = []
    if measured:
        lines.append("| one-sector rebuild at " + " / ".join(f"{r.scale:g}×" for r in measured) + " | — | "
                     + " / ".join(seconds(r.median("onesector")) for r in measured) + " | reported |")
    one, five = at_scale(results, 1), at_scale(results, 5)
    label = "one-sector rebuild 5× ÷ 1×"
    if one and five and one.median("onesector") and five.median("onesector"):
        ratio = five.median("onesector") / one.median("onesector")
        lines.append(f"| {label} | ≤ {ONE_SECTOR_SCALING_LIMIT:g} | {ratio:.2f} | {verdict(ratio <= ONE_SECTOR_SCALING_LIMIT)} |")
    else:
        lines.append(f"| {label} | ≤ {ONE_SECTOR_SCALING_LIMIT:g} | — | not measured (needs scales 1 and 5) |")
    return lines


def floor_rows(results: list[ScaleResult]) -> list[str]:
    """The cold build against the chart floor of the same run, at every scale."""
    lines = []
    for r in results:
        if r.floor and r.median("cold"):
            ratio = r.median("cold") / r.floor["serial_median"]
            lines.append(f"| {r.scale:g}× cold build ÷ charts alone (floor, same run) | — | {ratio:.2f} "
                         f"({seconds(r.median('cold'))} ÷ {seconds(r.floor['serial_median'])}) | reported |")
    return lines or ["| cold build ÷ charts alone (floor) | — | — | not measured |"]


def output_share_rows(results: list[ScaleResult]) -> list[str]:
    """The cold build at 1× with an output ÷ without it (the deck, the dashboard): the median of
    each run's ratio, a cold build and one without the output made one after the other."""
    one, lines = at_scale(results, 1), []
    for kind, flag, output in OUTPUT_SHARES:
        label = f"1× cold build ÷ cold build {flag} ({output}'s share)"
        pairs = list(zip(one.runs.get("cold", []), one.runs.get(kind, []))) if one else []
        if not pairs:
            lines.append(f"| {label} | ≤ {OUTPUT_SHARE_LIMIT:.2f} | — | not measured (needs scale 1) |")
            continue
        ratio = statistics.median(full.seconds / without.seconds for full, without in pairs)
        lines.append(f"| {label} | ≤ {OUTPUT_SHARE_LIMIT:.2f} | {ratio:.3f} (medians {seconds(one.median('cold'))} "
                     f"and {seconds(one.median(kind))}) | {verdict(ratio <= OUTPUT_SHARE_LIMIT)} |")
    return lines


def serial_rows(results: list[ScaleResult]) -> list[str]:
    """The default worker count against one process (``REVIEW_WORKERS=1``): the median of each
    run's ratio, the two builds made one after the other (issue 20: parallelism never loses)."""
    lines = []
    for kind, default, scales in SERIAL_PAIRS:
        label = dict(KINDS)[default]
        for r in results:
            pairs = list(zip(r.runs.get(default, []), r.runs.get(kind, []))) if r.scale in scales else []
            if not pairs:
                continue
            ratio = statistics.median(parallel.seconds / one.seconds for parallel, one in pairs)
            lines.append(f"| {r.scale:g}× {label}, default workers ÷ REVIEW_WORKERS=1 | ≤ {SERIAL_LIMIT:.2f} | {ratio:.2f} "
                         f"(medians {seconds(r.median(default))} and {seconds(r.median(kind))}) | {verdict(ratio <= SERIAL_LIMIT)} |")
    return lines or [f"| default workers ÷ REVIEW_WORKERS=1 | ≤ {SERIAL_LIMIT:.2f} | — | not measured |"]


#: The targets table's rows, in order: each ``rows(results) -> list of table lines``. A new
#: measurement (:data:`MEASUREMENTS`) adds its function here.
TARGET_ROWS: list = [time_rows, scaling_rows, one_sector_rows, floor_rows, output_share_rows, serial_rows]


def profile_section(work: Path, command: str) -> str:
    """Run one cold 1× build under cProfile; return the section with the top 25 by cumulative time."""
    plan_dir, out, stats_file = work / "plan", work / "out", work / "build.prof"
    log("[profile] generating the 1× plan")
    generate.generate(1, plan_dir)
    profiled = [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "review", "build", str(plan_dir),
                "--period", PERIOD, "--out", str(out), "--issue-date", ISSUE_DATE]
    log("[profile] cold 1× build under cProfile")
    m = check(run_command(profiled, child_env()), "profiled build")
    log(f"[profile] {m.seconds:.2f} s under the profiler")
    stats = pstats.Stats(str(stats_file), stream=io.StringIO())

    def label(func: tuple) -> str:
        filename, line, name = func
        where = re.sub(r"^.*?/(site-packages|lib/python3\.\d+)/", "", filename).replace(str(REPO) + "/", "")
        return f"{where}:{line}({name})" if line else name

    def bootstrap(func: tuple) -> bool:
        # The interpreter's and runpy's frames around the entry point say nothing about the build.
        filename, _, name = func
        return "runpy" in filename or name in ("<module>", "<built-in method builtins.exec>")

    def rows(order: str, count: int) -> list[str]:
        key = 3 if order == "cumulative" else 2
        funcs = sorted((f for f in stats.stats if not bootstrap(f)), key=lambda f: stats.stats[f][key], reverse=True)
        lines = []
        for func in funcs[:count]:
            cc, nc, tt, ct, _ = stats.stats[func]
            calls = f"{nc}" if nc == cc else f"{nc}/{cc}"
            lines.append(f"| {ct:.2f} | {tt:.2f} | {calls} | `{label(func)}` |")
        return lines

    header = ["| cumulative | own | calls | function |", "|---|---|---|---|"]
    return "\n".join([
        "## Profile: one cold 1× build", "",
        f"Command: `{command}`, which runs `python -m cProfile -o build.prof -m review build PLAN --period {PERIOD} "
        f"--out OUT --issue-date {ISSUE_DATE}` on the 1× plan; {m.seconds:.2f} s wall under the profiler "
        f"(on {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores). "
        "Seconds; work in worker processes is not profiled (the main process waiting for it shows as "
        "lock acquisition); the interpreter's start-up frames are left out.", "",
        "Top 25 by cumulative time:", "", *header, *rows("cumulative", 25), "",
        "Top 15 by own time:", "", *header, *rows("own", 15)])


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) the named section of BENCHMARKS.md, keeping the others."""
    begin, end = BEGIN.format(name), END.format(name)
    text = path.read_text(encoding="utf-8") if path.exists() else (
        "# Benchmarks\n\nWritten by `python bench/run.py` (see [bench/README.md](bench/README.md)); "
        "do not edit by hand.\n")
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="See bench/README.md.")
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 2, 5], help="scale factors (default 1 2 5)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement; medians are reported (default 5)")
    parser.add_argument("--floor-runs", type=int, default=1, help="runs of the chart floor per scale (default 1)")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md", help="report file (default BENCHMARKS.md at the repository root)")
    parser.add_argument("--profile", action="store_true", help="profile one cold 1× build instead and write its section")
    parser.add_argument("--keep", action="store_true", help="keep the temporary plans and outputs (their folder is printed)")
    parser.add_argument("--archive", action="store_true",
                        help="instead: measure the archive's growth and the cache's size over --corrections "
                             "one-figure corrections at --archive-scale, and write their section")
    parser.add_argument("--corrections", type=int, default=CORRECTIONS,
                        help=f"one-figure corrections for --archive (default {CORRECTIONS})")
    parser.add_argument("--archive-scale", type=float, default=1.0, help="plan scale for --archive (default 1)")
    parser.add_argument("--kinds", nargs="+", choices=[k for k, _ in KINDS], default=[k for k, _ in KINDS],
                        help="measure only these (default all; the first cold build of each scale always runs)")
    args = parser.parse_args(argv)
    if args.runs < 1 or any(s <= 0 for s in args.scales):
        parser.error("--runs must be at least 1 and every scale positive")
    if args.corrections < 1 or args.archive_scale <= 0:
        parser.error("--corrections must be at least 1 and --archive-scale positive")
    if importlib.util.find_spec("review") is None:
        parser.error(f"{sys.executable} cannot import review; run with the project's Python, e.g. .venv/bin/python bench/run.py")
    command = "python " + " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    compile_package()
    work = Path(tempfile.mkdtemp(prefix="review-bench-"))
    log(f"working in {work}")
    try:
        if args.profile:
            write_section(args.out, "profile", profile_section(work, command))
        elif args.archive:
            started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
            result = bench_archive(args.archive_scale, args.corrections, work / "archive")
            write_section(args.out, "archive", archive_section(result, command, started))
        else:
            started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
            probe = parallel_probe()
            log(f"two processes: {probe}")
            results = interleave([bench_scale(scale, args.runs, work / f"scale-{scale:g}", args.floor_runs,
                                              frozenset(args.kinds)) for scale in args.scales])
            probe_end = parallel_probe()
            log(f"two processes at the end: {probe_end}")
            empty_trash(work)
            write_section(args.out, "results", results_section(results, command, args.runs, started,
                                                               (probe, probe_end)))
        log(f"wrote {args.out}")
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
