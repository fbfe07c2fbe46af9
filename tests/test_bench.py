"""The benchmark's plan generator (bench/generate.py): valid plans, deterministic files.

Performance itself is measured by ``python bench/run.py``, never by timed tests.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "bench" / "generate.py"


def generate(out: Path, *extra: str) -> None:
    subprocess.run([sys.executable, str(GENERATE), "--scale", "0.05", "--out", str(out), *extra],
                   check=True, capture_output=True, text=True)


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "plan"
    generate(out)
    return out


def test_tiny_plan_validates(tiny_plan):
    from review.cli.main import main
    assert main(["validate", "-q", str(tiny_plan)]) == 0


def test_tiny_plan_has_every_kind_of_file(tiny_plan):
    periods = sorted(p.name for p in (tiny_plan / "data").iterdir())
    assert periods == [f"{y}-Q{q}" for y in (2024, 2025) for q in range(1, 5)]
    last = {p.name for p in (tiny_plan / "data" / "2025-Q4").iterdir()}
    assert {"challenges.csv", "recommendations.csv"} <= last
    assert any(n.startswith("indicators-") for n in last) and any(n.startswith("projects-") for n in last)


def test_same_seed_same_files(tiny_plan, tmp_path):
    generate(tmp_path / "again")
    assert files_of(tmp_path / "again") == files_of(tiny_plan)


def test_other_seed_other_files(tiny_plan, tmp_path):
    generate(tmp_path / "other", "--seed", "7")
    assert files_of(tmp_path / "other") != files_of(tiny_plan)


def test_refuses_to_overwrite_without_force(tiny_plan):
    result = subprocess.run([sys.executable, str(GENERATE), "--scale", "0.05", "--out", str(tiny_plan)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "already holds a plan (use --force to replace it)" in result.stderr


def load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen  # dataclasses look their module up there
    try:
        spec.loader.exec_module(gen)
    finally:
        del sys.modules[spec.name]
    return gen


def test_scale_given_as_int_or_float_is_one_plan():
    # bench/run.py passes floats from its command line, ints from its defaults.
    gen = load_generator()
    assert gen.Generator(1).rng.random() == gen.Generator(1.0).rng.random()
    assert gen.Generator(2).rng.random() != gen.Generator(1.0).rng.random()


def test_scale_multiplies_counts():
    gen = load_generator()
    assert gen.scaled_counts(1) == {"sectors": 12, "objectives": 48, "indicators": 600, "entities": 60, "projects": 120}
    assert gen.scaled_counts(0.5) == {"sectors": 6, "objectives": 24, "indicators": 300, "entities": 30, "projects": 60}
    assert gen.scaled_counts(2)["indicators"] == 1200


def load_runner(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))  # run.py imports its neighbour generate.py
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    runner = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = runner
    try:
        spec.loader.exec_module(runner)
    finally:
        del sys.modules[spec.name]
    return runner


def test_runs_of_several_scales_take_turns(monkeypatch):
    runner = load_runner(monkeypatch)
    order = []

    def scale(name: str, runs: int):
        for number in range(1, runs + 1):
            order.append(f"{name}{number}")
            yield
        return name.upper()

    assert runner.interleave([scale("a", 2), scale("b", 3), scale("c", 1)]) == ["A", "B", "C"]
    assert order == ["a1", "b1", "c1", "a2", "b2", "b3"]


def test_outputs_are_set_aside_during_runs_and_deleted_after(monkeypatch, tmp_path):
    # Deleting right before a measurement would slow the measured build (see set_aside).
    runner = load_runner(monkeypatch)
    scale = tmp_path / "scale-1"
    out, baseline = scale / "out", scale / "baseline"
    baseline.mkdir(parents=True)
    (baseline / "r1.txt").write_text("baseline", encoding="utf-8")
    out.mkdir()
    (out / "r2.txt").write_text("one-sector build", encoding="utf-8")
    runner.restore(baseline, out)
    assert sorted(p.name for p in out.iterdir()) == ["r1.txt"]
    runner.set_aside(out)
    runner.set_aside(out)  # nothing there any more: nothing to do
    assert not out.exists()
    kept = sorted((scale / ".trash").iterdir())
    assert [sorted(p.name for p in folder.iterdir()) for folder in kept] == [["r2.txt"], ["r1.txt"]]
    runner.empty_trash(tmp_path)
    assert not (scale / ".trash").exists() and (baseline / "r1.txt").is_file()


def test_the_chart_floor_finds_the_build_s_charts(tiny_plan, tmp_path):
    """bench/floor.py reaches into the build to take its chart specs: it must follow the layout."""
    import datetime as dt
    spec = importlib.util.spec_from_file_location("floor", ROOT / "bench" / "floor.py")
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    periods = sorted(p.name for p in (tiny_plan / "data").iterdir())
    specs, stages = floor.capture_specs(tiny_plan, periods[-1], dt.date(2026, 1, 15), tmp_path)
    assert specs and {s.function for s in specs} <= {"status_distribution", "score_bars", "score_trend",
                                                     "target_vs_actual", "project_progress", "status_heatmap"}
    assert set(stages) == {"prepare", "to_charts"}


# -- the archive's rows (issue 20) ------------------------------------------------------------------

def test_archive_rows_count_a_shared_file_once(monkeypatch, tmp_path):
    runner = load_runner(monkeypatch)
    r1, r2 = tmp_path / "r1", tmp_path / "r2"
    (r1 / "charts").mkdir(parents=True)
    (r1 / "a.docx").write_bytes(b"a" * 100)
    (r1 / "charts" / "c.png").write_bytes(b"c" * 50)
    (r2 / "charts").mkdir(parents=True)
    os.link(r1 / "charts" / "c.png", r2 / "charts" / "c.png")  # shared: adds nothing
    (r2 / "a.docx").write_bytes(b"A" * 30)
    seen: set = set()
    assert runner.added_bytes(r1, seen) == (150, [(100, "a.docx"), (50, "charts/c.png")])
    assert runner.added_bytes(r2, seen) == (30, [(30, "a.docx")])


def test_the_archive_grows_by_the_new_files_less_the_freed_ones(monkeypatch, tmp_path):
    runner = load_runner(monkeypatch)
    folder = tmp_path / "2025-Q4"
    (folder / "r1").mkdir(parents=True)
    (folder / "r1" / "a.docx").write_bytes(b"a" * 100)
    (folder / "r1" / "c.png").write_bytes(b"c" * 50)
    first = runner.folder_files(folder)
    assert runner.growth({}, first)[0] == 150
    # r2: a new a.docx, c.png shared (a link: once); r1's a.docx becomes two chunks in the store.
    (folder / "r2").mkdir()
    (folder / "r2" / "a.docx").write_bytes(b"A" * 30)
    os.link(folder / "r1" / "c.png", folder / "r2" / "c.png")
    (folder / ".store" / "ab").mkdir(parents=True)
    (folder / ".store" / "ab" / "one.z").write_bytes(b"z" * 7)
    (folder / ".store" / "ab" / "two").write_bytes(b"y" * 5)
    (folder / "r1" / "a.docx").unlink()
    size, disk, freed, files = runner.growth(first, runner.folder_files(folder))
    assert (size, freed) == (30 + 12 - 100, 100) and disk >= size
    assert files == [(30, "r2/a.docx"), (12, ".store/ (2 new chunks)")]


def test_archive_section_compares_each_revision_with_a_full_one(monkeypatch):
    runner = load_runner(monkeypatch)
    monkeypatch.delenv("REVIEW_CACHE_MB", raising=False)
    mb = runner.MB
    result = {"scale": 1, "corrections": 2, "archive": 112 * mb, "disk": 120 * mb, "cache": 20 * mb,
              "change": "x.csv, indicator I1",
              "revisions": [{"revision": "r1", "added": 100 * mb, "disk": 104 * mb, "freed": 0,
                             "files": [(100 * mb, "a.docx")]},
                            {"revision": "r2", "added": 4 * mb, "disk": 6 * mb, "freed": 90 * mb,
                             "files": [(4 * mb, "a.docx")]},
                            {"revision": "r3", "added": 8 * mb, "disk": 10 * mb, "freed": 2 * mb,
                             "files": [(8 * mb, "a.docx")]}]}
    text = runner.archive_section(result, "python bench/run.py --archive", "2026-01-01 00:00")
    assert "| added by r2 (the first correction) | 4.00 MB (4.0 % of r1; on disk 6.00 MB) | ≤ 5 % | pass |" in text
    assert ("| added per correction, median (largest) | 6.00 MB (6.0 %; largest 8.0 %; on disk 8.00 MB) | "
            "≤ 5 % | **FAIL** |") in text
    assert "| archive after 2 corrections | 112.0 MB (1.1 full revisions for 3; on disk 120.0 MB) | | |" in text
    assert "it frees 90.00 MB of r1." in text and "What r3 adds: `a.docx` 8.00 MB; it frees 2.00 MB." in text
    assert "| cache (`output/.cache`) after 2 corrections | 20.0 MB | ≤ 1024 MB (the default) | pass |" in text


def test_the_one_sector_rows_compare_5x_with_1x_and_the_cold_build_with_the_floor(monkeypatch):
    runner = load_runner(monkeypatch)

    def result(scale, onesector, cold, floor):
        found = runner.ScaleResult(scale, {}, 0.0)
        found.runs["onesector"] = [runner.Measurement(s, 0, 0, 0, "") for s in onesector]
        found.runs["cold"] = [runner.Measurement(cold, 0, 0, 0, "")]
        found.floor = {"serial_median": floor, "charts": 1}
        return found

    one, five = result(1, [2.0, 2.4, 9.0], 8.0, 4.0), result(5, [2.9, 3.0, 3.1], 30.0, 12.0)
    rows = runner.one_sector_rows([one, five])
    assert rows[0] == "| one-sector rebuild at 1× / 5× | — | 2.40 s / 3.00 s | reported |"  # medians
    assert rows[1] == "| one-sector rebuild 5× ÷ 1× | ≤ 1.3 | 1.25 | pass |"
    assert runner.one_sector_rows([one, result(5, [3.2], 30.0, 12.0)])[1].endswith("| 1.33 | **FAIL** |")
    assert "not measured (needs scales 1 and 5)" in runner.one_sector_rows([one])[-1]
    assert runner.floor_rows([one, five]) == [
        "| 1× cold build ÷ charts alone (floor, same run) | — | 2.00 (8.00 s ÷ 4.00 s) | reported |",
        "| 5× cold build ÷ charts alone (floor, same run) | — | 2.50 (30.00 s ÷ 12.00 s) | reported |"]
    assert runner.TARGET_ROWS[-4:] == [runner.one_sector_rows, runner.floor_rows, runner.output_share_rows,
                                       runner.serial_rows]


def test_each_outputs_share_is_the_median_of_the_runs_paired_ratios(monkeypatch):
    runner = load_runner(monkeypatch)
    one = runner.ScaleResult(1, {}, 0.0)
    one.runs["cold"] = [runner.Measurement(s, 0, 0, 0, "") for s in (8.8, 7.0, 6.6)]
    one.runs["nodeck"] = [runner.Measurement(s, 0, 0, 0, "") for s in (8.0, 6.0, 6.0)]
    one.runs["nodashboard"] = [runner.Measurement(s, 0, 0, 0, "") for s in (8.0, 6.4, 6.0)]
    deck, dashboard = runner.output_share_rows([one])
    # Deck: 8.8/8.0 = 1.100, 7.0/6.0 = 1.167, 6.6/6.0 = 1.100 → median 1.100 (≤ 1.10: pass).
    assert deck == ("| 1× cold build ÷ cold build --no-deck (deck.pptx's share) | ≤ 1.10 | 1.100 "
                    "(medians 7.00 s and 6.00 s) | pass |")
    # Dashboard: 1.100, 7.0/6.4 = 1.094, 1.100 → median 1.100.
    assert dashboard.endswith("| 1.100 (medians 7.00 s and 6.40 s) | pass |")
    one.runs["nodeck"] = [runner.Measurement(s, 0, 0, 0, "") for s in (7.0, 6.0, 6.0)]  # 1.257, 1.167, 1.100
    assert runner.output_share_rows([one])[0].endswith("| 1.167 (medians 7.00 s and 6.00 s) | **FAIL** |")
    assert "not measured (needs scale 1)" in runner.output_share_rows([runner.ScaleResult(5, {}, 0.0)])[0]


def test_the_default_workers_are_held_to_one_process_by_the_paired_runs(monkeypatch):
    runner = load_runner(monkeypatch)
    one, five = runner.ScaleResult(1, {}, 0.0), runner.ScaleResult(5, {}, 0.0)
    runs = lambda *values: [runner.Measurement(s, 0, 0, 0, "") for s in values]  # noqa: E731
    one.runs.update(cold=runs(6.0, 9.0, 7.0), serialcold=runs(10.0, 9.0, 7.7),  # 0.60, 1.00, 0.909
                    onesector=runs(2.0, 2.2), serialone=runs(2.0, 2.0))          # 1.00, 1.10
    five.runs.update(onesector=runs(8.0), serialone=runs(10.0))                   # 0.80
    assert runner.serial_rows([one, five]) == [
        "| 1× cold build, default workers ÷ REVIEW_WORKERS=1 | ≤ 1.00 | 0.91 (medians 7.00 s and 9.00 s) | pass |",
        "| 1× one-sector rebuild, default workers ÷ REVIEW_WORKERS=1 | ≤ 1.00 | 1.05 (medians 2.10 s and 2.00 s) | **FAIL** |",
        "| 5× one-sector rebuild, default workers ÷ REVIEW_WORKERS=1 | ≤ 1.00 | 0.80 (medians 8.00 s and 10.00 s) | pass |"]
    five.runs["cold"], five.runs["serialcold"] = runs(30.0), runs(20.0)  # the cold pair is measured at 1× only
    assert len(runner.serial_rows([one, five])) == 3
    assert "not measured" in runner.serial_rows([runner.ScaleResult(1, {}, 0.0)])[0]
