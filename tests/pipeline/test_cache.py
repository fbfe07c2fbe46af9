"""The build cache: the plan and period folders read again only when their bytes changed; the
chart service draws what a worker would."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from review.archive import cache as cache_module
from review.pipeline.build import BuildOptions, build, load
from review.archive.cache import remembered
from review.errors import InputError
from review.model.periods import Period
from review.pipeline import workers
from review.pipeline.workers import CACHE_DIR, SHAPING_FILE, ChartService, _render
from review.charts import ChartSpec

DATA = {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,95\nW1,120\n"},
        "2024-Q2": {"indicators.csv": "indicator_id,value\nH1,72\nW1,180\n",
                    "projects.csv": "project_id,progress\nP1,40\n"}}


def test_remembered_computes_once_per_key(tmp_path):
    calls = []

    def compute(value):
        calls.append(value)
        return {"value": value}

    assert remembered(tmp_path, "kind", ("a",), lambda: compute(1)) == {"value": 1}
    assert remembered(tmp_path, "kind", ("a",), lambda: compute(2)) == {"value": 1}  # from the cache
    assert remembered(tmp_path, "kind", ("b",), lambda: compute(3)) == {"value": 3}
    assert remembered(None, "kind", ("a",), lambda: compute(4)) == {"value": 4}  # no cache: computed
    assert calls == [1, 3, 4]


def test_remembered_recomputes_a_damaged_entry_and_keeps_only_what_it_is_told(tmp_path):
    remembered(tmp_path, "kind", ("a",), lambda: 1)
    (entry,) = (tmp_path / "kind").iterdir()
    entry.write_bytes(b"not a pickle")
    assert remembered(tmp_path, "kind", ("a",), lambda: 2) == 2
    assert remembered(tmp_path, "kind", ("a",), lambda: 3) == 2  # written again

    assert remembered(tmp_path, "other", ("a",), lambda: "bad", keep=lambda value: False) == "bad"
    assert not (tmp_path / "other").exists()


def test_new_code_never_reuses_an_entry(tmp_path, monkeypatch):
    remembered(tmp_path, "kind", ("a",), lambda: "old code")
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another version")
    assert remembered(tmp_path, "kind", ("a",), lambda: "new code") == "new code"


def test_a_rebuild_reads_only_the_folder_that_changed(make_plan, tmp_path, monkeypatch):
    from review.intake import data as intake
    from review.intake import plan as intake_plan

    folder = make_plan(None, DATA)
    store = tmp_path / "cache"
    periods_read, plans_read = [], []
    read_period, load_plan = intake.read_period, intake_plan.load_plan
    monkeypatch.setattr(intake, "read_period", lambda plan, period, where: (periods_read.append(str(period)),
                                                                           read_period(plan, period, where))[1])
    monkeypatch.setattr(intake_plan, "load_plan", lambda where: (plans_read.append(where), load_plan(where))[1])

    first = load(folder, store)
    assert sorted(periods_read) == ["2024-Q1", "2024-Q2"] and len(plans_read) == 1
    (folder / "data/2024-Q2/indicators.csv").write_text("indicator_id,value\nH1,75\nW1,180\n", encoding="utf-8")
    second = load(folder, store)
    assert sorted(periods_read) == ["2024-Q1", "2024-Q2", "2024-Q2"] and len(plans_read) == 1
    assert second.data.get(Period.parse("2024-Q2")).indicators["H1"].value == 75
    assert second.data.get(Period.parse("2024-Q1")) == first.data.get(Period.parse("2024-Q1"))

    # What was read from the cache is what reading the files gives.
    fresh = load(folder)
    assert fresh.plan == second.plan
    assert fresh.data.periods == second.data.periods


def test_a_rebuild_reads_each_input_file_once(make_plan, tmp_path, monkeypatch):
    # The up-to-date check reads every input for the fingerprint; the intake's cache keys and the
    # snapshot take those bytes rather than reading each file again (a national plan has thousands).
    folder = make_plan(None, DATA)
    options = dict(period=Period.parse("2024-Q2"), issue_date=dt.date(2024, 8, 1), out_root=tmp_path / "out")
    build(BuildOptions(folder, **options))
    changed = folder / "data/2024-Q2/indicators.csv"
    changed.write_text("indicator_id,value\nH1,75\nW1,180\n", encoding="utf-8")
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if folder in path.parents:
            reads.append(path.relative_to(folder))
        return read_bytes(path)
    monkeypatch.setattr(Path, "read_bytes", counted)
    second = build(BuildOptions(folder, **options))
    assert second.name == "r2"
    unchanged = Path("data/2024-Q1/indicators.csv")
    assert reads.count(unchanged) == 1 and reads.count(Path("plan.yaml")) == 1
    assert reads.count(changed.relative_to(folder)) == 2  # read for the check, then read again to be parsed
    assert (second / "snapshot/data/2024-Q2/indicators.csv").read_bytes() == changed.read_bytes()


def test_a_reading_is_kept_only_for_the_bytes_its_key_was_made_of(make_plan, tmp_path):
    from review.intake.readers import data_files
    folder = make_plan(None, DATA)
    store = tmp_path / "cache"
    path = data_files(folder / "data/2024-Q2")[0]
    stale = {path: b"indicator_id,value\nH1,10\n"}  # what a check read before the file was edited
    read = load(folder, store, contents=stale)
    assert read.data.get(Period.parse("2024-Q2")).indicators["H1"].value == 72  # parsed from the file
    # Kept under neither key: the bytes on disk are not those the key was made of.
    assert load(folder, store, contents=stale).data.get(Period.parse("2024-Q2")).indicators["H1"].value == 72
    assert len(list((store / cache_module.INTAKE).glob("*.pickle"))) == 2  # the plan and 2024-Q1 only


def test_a_folder_with_errors_is_never_cached(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,سبعون\n"}})
    with pytest.raises(InputError):
        load(folder, tmp_path / "cache")
    assert len(list((tmp_path / "cache" / cache_module.INTAKE).glob("*.pickle"))) == 1  # the plan only


def chart(name: str, items) -> ChartSpec:
    return ChartSpec(name, "status_distribution", (items, "عنوان"), {"rtl": True}, "عنوان", "نص بديل")


def test_the_chart_service_draws_the_bytes_a_worker_draws():
    specs = [chart("a.png", [("على المسار", 3, "on_track")]), chart("b.png", [("متأخر", 2, "off_track")])]
    with ChartService() as service:
        service.draw(specs[:1])
        service.draw(specs[1:])  # answers come in order
        assert service.result() == [_render(specs[0])]
        assert service.result() == [_render(specs[1])]
        service.draw([ChartSpec("bad.png", "no_such_chart", (), {}, "", "")])
        assert service.result() is None  # a failure is reported, and the service goes on
        service.draw(specs[:1])
        assert service.result() == [_render(specs[0])]


def test_a_rebuild_with_the_chart_service_matches_a_single_process_build(make_plan, tmp_path, monkeypatch):
    options = dict(period=Period.parse("2024-Q2"), issue_date=dt.date(2024, 8, 1))

    def build_twice(out, worker_count: str):
        """Build r1, correct one figure, build r2; return r2."""
        monkeypatch.setenv("REVIEW_WORKERS", worker_count)
        folder = make_plan(None, DATA)
        build(BuildOptions(folder, out_root=out, **options))
        assert workers.load_shaping(out)  # what drawing r1 taught is kept for r2
        charts_before = set((out / CACHE_DIR).glob("*.png"))
        (folder / "data/2024-Q2/indicators.csv").write_text("indicator_id,value\nH1,79\nW1,180\n", encoding="utf-8")
        second = build(BuildOptions(folder, out_root=out, **options))
        assert second.name == "r2"
        assert set((out / CACHE_DIR).glob("*.png")) - charts_before  # the changed charts were drawn
        return second

    served = build_twice(tmp_path / "served", "2")  # two workers: the chart service draws
    single = build_twice(tmp_path / "single", "1")  # one process draws everything itself
    names = sorted(p.relative_to(single) for p in single.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert names == sorted(p.relative_to(served) for p in served.rglob("*") if p.is_file() and p.name != "manifest.json")
    for name in names:
        assert (served / name).read_bytes() == (single / name).read_bytes(), name


def test_files_the_tool_does_not_read_do_not_stop_a_cached_build(make_plan, tmp_path, monkeypatch):
    # Excel keeps a locked owner file (~$…) beside an open workbook; other files are ignored too.
    folder = make_plan(None, DATA)
    (folder / "data/2024-Q2/~$indicators.xlsx").write_bytes(b"locked")
    (folder / "data/2024-Q2/notes.txt").write_text("ملاحظات", encoding="utf-8")
    read_bytes = Path.read_bytes

    def locked(path):
        if path.name.startswith("~$"):
            raise PermissionError(13, "The process cannot access the file", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", locked)
    from review.intake import data as intake
    read_period, periods_read = intake.read_period, []
    monkeypatch.setattr(intake, "read_period", lambda plan, period, where: (periods_read.append(str(period)),
                                                                           read_period(plan, period, where))[1])
    cached = load(folder, tmp_path / "cache")
    assert load(folder, tmp_path / "cache").data.periods == cached.data.periods
    assert sorted(periods_read) == ["2024-Q1", "2024-Q2"]  # the second build read both from the cache
    assert cached.data.periods == load(folder).data.periods


def test_many_requests_sent_at_once_all_come_back_in_order():
    # Long labels make each request bigger than a pipe's buffer: the service reads requests while
    # it draws, so sending them all before reading any answer cannot deadlock.
    specs = [chart(f"{n}.png", [("تسمية " * 4000 + str(n), n + 1, "on_track")]) for n in range(12)]
    answers: list = []

    def converse():
        with ChartService() as service:
            for spec in specs:
                service.draw([spec])
            answers.extend(service.result() for _ in specs)

    worker = threading.Thread(target=converse, daemon=True)
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive(), "the build and the chart service wait on each other"
    assert answers == [[_render(spec)] for spec in specs]


def test_a_service_stopped_before_it_was_used_ends_at_once():
    service = ChartService()
    service.close()
    assert not service._process.is_alive()
    service.close()  # a second close does nothing


def test_shaping_is_kept_for_the_same_code_only(tmp_path, monkeypatch):
    a, b, c = (("metrics", text, 8.5) for text in "abc")
    assert workers.load_shaping(tmp_path) == {} and workers.load_shaping(None) == {}
    workers.save_shaping(tmp_path, {a: (1.0, 2.0, 0.0)}, {b: (3.0, 2.0, 0.5)})
    assert workers.load_shaping(tmp_path) == {a: (1.0, 2.0, 0.0), b: (3.0, 2.0, 0.5)}
    workers.save_shaping(tmp_path, {}, {})  # nothing learnt: nothing written
    assert workers.load_shaping(tmp_path) == {a: (1.0, 2.0, 0.0), b: (3.0, 2.0, 0.5)}
    monkeypatch.setattr(workers, "SHAPING_MAX", 2)
    workers.save_shaping(tmp_path, workers.load_shaping(tmp_path), {c: (4.0, 2.0, 0.5)})
    assert workers.load_shaping(tmp_path) == {b: (3.0, 2.0, 0.5), c: (4.0, 2.0, 0.5)}  # the newest
    monkeypatch.setattr(workers, "_code_fingerprint", lambda: b"other chart code")
    assert workers.load_shaping(tmp_path) == {}
    monkeypatch.undo()
    (tmp_path / SHAPING_FILE).write_bytes(b"not a pickle")
    assert workers.load_shaping(tmp_path) == {}


def test_shaping_of_another_shape_is_not_used(tmp_path):
    import pickle
    (tmp_path / SHAPING_FILE).parent.mkdir(parents=True)
    (tmp_path / SHAPING_FILE).write_bytes(pickle.dumps({"code": workers._code_fingerprint(), "entries": [1, 2]}))
    assert workers.load_shaping(tmp_path) == {}


@pytest.mark.parametrize("forks", [True, False])
def test_the_chart_service_starts_before_the_up_to_date_check_only_where_processes_fork(
        forks, make_plan, tmp_path, monkeypatch):
    # Forking the service costs milliseconds; spawning one (Windows) would slow an up-to-date build.
    monkeypatch.setenv("REVIEW_WORKERS", "1")
    monkeypatch.setattr(workers, "forks", lambda: forks)
    started = []
    monkeypatch.setattr(workers, "start_chart_service", lambda root: started.append(root))
    options = BuildOptions(make_plan(None, DATA), Period.parse("2024-Q2"), tmp_path / "out",
                           issue_date=dt.date(2024, 8, 1))
    assert build(options).name == "r1" and len(started) == 1
    assert build(options).name == "r1"  # up to date
    assert len(started) == (2 if forks else 1)


def test_the_chart_cache_keeps_plain_and_fast_charts_apart(monkeypatch):
    """Both paths draw the same pixels but encode them otherwise: a cached PNG of one is not the other's."""
    from review.pipeline import workers
    spec = chart("a.png", [("على المسار", 2, "on_track")])
    monkeypatch.delenv("REVIEW_PLAIN_CHARTS", raising=False)
    workers._code_fingerprint.cache_clear()
    fast = workers.chart_key(spec)
    monkeypatch.setenv("REVIEW_PLAIN_CHARTS", "1")
    workers._code_fingerprint.cache_clear()
    plain = workers.chart_key(spec)
    workers._code_fingerprint.cache_clear()
    assert fast != plain
