"""Chart and pack caches: reused only when nothing shown changed, and always byte-identical to a fresh render."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from review.pipeline.build import BuildOptions, build
from review.archive.canonical import canonical_bytes, digest
from review.model.periods import Period
from review.pipeline.workers import CACHE_DIR, PACK_CACHE_DIR

from tests.conftest import tool

DATA = {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,95\nW1,120\n",
                    "projects.csv": "project_id,progress,spent\nP1,20,100\n"}}


def run_build(folder, out):
    return build(BuildOptions(folder, Period.parse("2024-Q1"), out, issue_date=dt.date(2024, 5, 1)))


def header_text(path) -> str:
    document = docx.Document(str(path))
    return " ".join(p.text for section in document.sections for p in section.header.paragraphs)


def test_canonical_bytes_ignore_object_identity():
    shared = ["x" * 5]
    one = {"a": shared, "b": shared, "c": 1.5}
    two = {"c": 1.5, "b": ["x" * 5], "a": ["xxxxx"]}
    assert canonical_bytes(one) == canonical_bytes(two)
    assert digest(one) != digest({**one, "c": 1.50000001})


def test_canonical_bytes_spell_out_each_kind_of_value():
    import dataclasses
    import enum

    class Colour(str, enum.Enum):  # a str subclass: written as its text
        RED = "red"

    @dataclasses.dataclass
    class Point:
        x: float
        label: str

    value = ("a", 1, True, None, 1.5, [Point(0.1, "p")], {"b": 2, "a": (3,)}, Colour.RED, frozenset({2, 1}))
    assert canonical_bytes(value) == (
        b'["a",1,true,null,{"float":"1.5"},[{"Point":{"x":{"float":"0.1"},"label":"p"}}],'
        b'{"dict":[["a",[3]],["b",2]]},"red",{"set":[1,2]}]')
    assert canonical_bytes([1]) != canonical_bytes([True]) and canonical_bytes(1.0) != canonical_bytes(1)


def test_unchanged_sector_pack_is_reused_and_keeps_the_mark_of_its_revision(make_plan, tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEW_WORKERS", "1")
    folder = make_plan(None, DATA)
    out = tmp_path / "out"
    first = run_build(folder, out)
    assert "المراجعة 1" in header_text(first / "water.docx")
    packs = sorted((out / PACK_CACHE_DIR).glob("*.docx"))
    charts = sorted((out / CACHE_DIR).glob("*.png"))
    assert len(packs) == 2 and charts

    # Change only the health sector's figures.
    (folder / "data/2024-Q1/indicators.csv").write_text("indicator_id,value\nH1,71\nH2,95\nW1,120\n", encoding="utf-8")
    second = run_build(folder, out)
    assert second.name == "r2"
    new_packs = set((out / PACK_CACHE_DIR).glob("*.docx")) - set(packs)
    assert len(new_packs) == 1  # health was redrawn; water came from the cache
    # Its content did not change: it stays the pack of revision 1 (issue 20), the health pack is r2's.
    water = header_text(second / "water.docx")
    assert "المراجعة 1" in water and "المراجعة 2" not in water
    assert "المراجعة 2" in header_text(second / "health.docx")

    # The archive re-renders r2 from its snapshot with no cache at all: every byte must match.
    result = subprocess.run([str(tool("review")), "archive", "rebuild", str(folder), "--period", "2024-Q1",
                             "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identical" in result.stdout + result.stderr


def test_a_change_a_pack_shows_is_never_served_from_the_cache(make_plan, plan_dict, tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEW_WORKERS", "1")
    folder = make_plan(plan_dict, DATA)
    out = tmp_path / "out"
    run_build(folder, out)
    renamed = copy.deepcopy(plan_dict)
    renamed["sectors"][1]["name"] = {"ar": "المياه والصرف الصحي", "en": "Water and sanitation"}
    make_plan(renamed, DATA)
    second = run_build(folder, out)
    text = "\n".join(p.text for p in docx.Document(str(second / "water.docx")).paragraphs)
    assert "المياه والصرف الصحي" in text


def test_cached_and_fresh_builds_give_the_same_bytes(make_plan, tmp_path, monkeypatch):
    folder = make_plan(None, DATA)
    warm = tmp_path / "warm"
    run_build(folder, warm)
    (folder / "data/2024-Q1/projects.csv").write_text("project_id,progress,spent\nP1,25,100\n", encoding="utf-8")
    cached = run_build(folder, warm)  # r2: uses the caches
    cold_root = tmp_path / "cold"
    cold = run_build(folder, cold_root)  # r1 of an empty output: no cache
    marks = json.loads((cached / "manifest.json").read_text(encoding="utf-8"))["pack_revisions"]
    assert marks == {"executive.docx": 2, "health.docx": 2, "water.docx": 1}  # the project is health's
    for path in sorted(p for p in cold.rglob("*") if p.is_file() and "snapshot" not in p.parts
                       and p.name != "manifest.json"):
        other = cached / path.relative_to(cold)
        if path.suffix == ".docx" and marks[path.name] == 2:
            # Only the revision number in the draft mark differs (r1 against r2).
            assert header_text(path).replace("المراجعة 1", "المراجعة 2") == header_text(other), path.name
        else:
            assert path.read_bytes() == other.read_bytes(), path.name


@pytest.mark.parametrize("workers", ["1", "2"])
def test_worker_count_does_not_change_the_output(make_plan, tmp_path, monkeypatch, workers):
    monkeypatch.setenv("REVIEW_WORKERS", workers)
    folder = make_plan(None, DATA)
    built = run_build(folder, tmp_path / workers)
    monkeypatch.setenv("REVIEW_WORKERS", "1")
    reference = run_build(folder, tmp_path / f"ref{workers}")
    for path in sorted(p for p in reference.rglob("*") if p.is_file() and p.name != "manifest.json"):
        assert path.read_bytes() == (built / path.relative_to(reference)).read_bytes(), path.name


# A build whose matplotlib lacks a private API the fast chart path needs (the check patched), with
# the chart service and the pack workers all drawing (SERVICE_MAX 0: the service draws the
# executive pack's charts, the workers their sectors').
MISSING_API_BUILD = """
import sys
from review.charts import _fast_agg
from review.pipeline import workers
_fast_agg.missing_api = lambda: "FT2Font._layout"
workers.SERVICE_MAX = 0
from review.cli.main import main
sys.exit(main(["build", sys.argv[1], "--period", "2024-Q1", "--out", sys.argv[2], "--issue-date", "2024-05-01"]))
"""


def test_a_missing_fast_path_api_is_reported_once_per_build(make_plan, tmp_path):
    folder = make_plan(None, DATA)
    env = {**os.environ, "REVIEW_WORKERS": "2", "PYTHONWARNINGS": "default"}
    env.pop("REVIEW_PLAIN_CHARTS", None)
    result = subprocess.run([sys.executable, "-c", MISSING_API_BUILD, str(folder), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=600, env=env, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if "FastPathUnavailable" in line]
    assert len(lines) == 1, result.stderr
    # It names the API and points at the caller outside review (here the -c script), not into review.
    location, _, message = lines[0].partition(": FastPathUnavailable: ")
    assert "has no FT2Font._layout" in message
    assert location.startswith("<string>:"), lines[0]


# -- the default worker count follows the cores free now (issue 20) -------------------------------

@pytest.mark.parametrize("loadavg, cores, host, expected", [
    ("0.10 0.20 0.30 1/300 99\n", 4, 4, 4),     # only this process runs: every core
    ("3.00 2.00 1.00 3/300 99\n", 4, 4, 2),     # two others: two cores left
    ("9.00 9.00 9.00 12/300 99\n", 4, 4, 1),    # a busy machine: one process, never none
    ("9.00 9.00 9.00 33/900 99\n", 2, 64, 1),   # 32 others on a 64-core host, 2 of them ours: 1 busy
    ("9.00 9.00 9.00 17/900 99\n", 4, 64, 3),   # 16 others over 64 cores: 1 of our 4 busy
    ("garbled\n", 4, 4, 4),                      # unreadable: every core
])
def test_free_cores_counts_the_threads_running_now(tmp_path, monkeypatch, loadavg, cores, host, expected):
    from review.pipeline import workers
    (tmp_path / "loadavg").write_text(loadavg, encoding="ascii")
    monkeypatch.setattr(workers, "LOADAVG", tmp_path / "loadavg")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: host)
    assert workers.free_cores(samples=2) == expected
    monkeypatch.delenv("REVIEW_WORKERS", raising=False)
    assert workers.worker_count(todo=2) == min(2, expected)
    monkeypatch.setenv("REVIEW_WORKERS", "3")
    assert workers.worker_count(todo=10) == 3


def test_a_one_sector_change_recomputes_only_that_sectors_parts_of_the_plan_wide_outputs(make_plan, tmp_path, monkeypatch):
    from collections import Counter
    from review.archive import cache
    from review.pipeline.build import PARTS
    monkeypatch.setenv("REVIEW_WORKERS", "1")
    made: Counter = Counter()
    remembered = cache.remembered

    def recording(root, kind, key, compute, keep=lambda value: True):
        return remembered(root, kind, key, lambda: made.update([key[0]] if kind == PARTS else []) or compute(), keep)

    monkeypatch.setattr(cache, "remembered", recording)
    folder = make_plan(None, DATA)
    out = tmp_path / "out"
    run_build(folder, out)
    # The dashboard's section and the deck's slides of each of the two sectors, the deck's
    # compressed entries (the decisions' rows when there are decisions), the executive pack's rows
    # of the items health has listed there (water has none), and its two entity tables' rows
    # (data sources, completeness), kept by their cells.
    assert made["dashboard-sector"] == made["deck-sector"] == 2 and made["zip-entries"] >= 1
    assert made["executive-sector"] == 1 and made["rows"] == 2
    made.clear()
    (folder / "data/2024-Q1/indicators.csv").write_text("indicator_id,value\nH1,71\nH2,95\nW1,120\n", encoding="utf-8")
    second = run_build(folder, out)
    assert made["dashboard-sector"] == made["deck-sector"] == made["executive-sector"] == 1  # health's, not water's
    fresh = run_build(folder, tmp_path / "fresh")  # no cache
    for name in ("dashboard.html", "deck.pptx"):  # (the executive pack: tests/compose/test_executive.py)
        assert (second / name).read_bytes() == (fresh / name).read_bytes(), name


def test_the_free_cores_are_counted_once_for_the_questions_of_one_moment(tmp_path, monkeypatch):
    from review.pipeline import workers
    counted = []
    monkeypatch.setattr(workers, "LOADAVG", tmp_path / "loadavg")  # a key of its own
    monkeypatch.setattr(workers, "free_cores", lambda: counted.append(1) or 3)
    monkeypatch.delenv("REVIEW_WORKERS", raising=False)
    assert [workers.worker_count(todo=2), workers.worker_count(todo=10)] == [2, 3]
    assert len(counted) == 1  # each count samples for milliseconds: a build asks several times
    clock = iter([1000.0, 1000.0 + workers.FREE_CORES_SECONDS + 0.1])
    monkeypatch.setattr(workers, "_FREE_CORES", {})
    import time
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    workers.worker_count(todo=4)
    workers.worker_count(todo=4)
    assert len(counted) == 3  # a count older than FREE_CORES_SECONDS is taken again


def test_a_rebuild_indexes_the_sources_and_decisions_once_whatever_the_number_of_sectors(make_plan, tmp_path, monkeypatch):
    # The pack cache's key asks what each sector shows; asked of a context of its own per sector
    # (one with a placeholder draft mark), every sector indexed the whole period again: quadratic.
    from review.compose import facts, sections
    monkeypatch.setenv("REVIEW_WORKERS", "1")
    folder = make_plan(None, DATA)
    out = tmp_path / "out"
    run_build(folder, out)
    counted: dict[str, int] = {"sources": 0, "decisions": 0}
    index, number = sections._SourcesIndex.__init__, facts._decisions

    def counting_index(self, ctx):
        counted["sources"] += 1
        index(self, ctx)

    def counting_decisions(ctx):
        counted["decisions"] += 1
        return number(ctx)
    monkeypatch.setattr(sections._SourcesIndex, "__init__", counting_index)
    monkeypatch.setattr(facts, "_decisions", counting_decisions)
    (folder / "data/2024-Q1/indicators.csv").write_text("indicator_id,value\nH1,71\nH2,95\nW1,120\n", encoding="utf-8")
    run_build(folder, out)
    # The build's context once, and the changed (health) pack's own context once (its mark is a
    # placeholder, so that the cached pack serves every revision); not once per sector.
    assert counted == {"sources": 2, "decisions": 2}
