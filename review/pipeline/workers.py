"""Chart rendering for a build: in parallel worker processes, and cached by content hash.

Charts are pure (same :class:`ChartSpec`, same PNG bytes), which allows both:

* worker processes (one per core) render charts and packs side by side, and a chart service
  process, started with the build, draws the few charts a rebuild needs while the build reads
  its inputs; matplotlib is used only through ``review.charts``' object-oriented API, so
  processes share no pyplot state;
* a cache keyed by the SHA-256 of the spec and of the chart code skips charts whose data did not
  change — a rebuild after one sector's figures changed re-renders only that sector's charts;
  likewise sector packs, keyed by everything they show (:func:`pack_key`).

Shaping a chart's words (libraqm) is a good part of drawing it, and a rebuild draws the words of
the build before it: processes that draw hand back what they shaped, kept in one file of the cache
and handed to the next build's processes (``review.charts.figures.use_shaping``).

The caches live in ``<output root>/.cache/`` (written through ``review.archive.cache``): it is not part
of any archived revision, and deleting it only costs time.

When this matplotlib lacks a private API the charts' fast path needs, each process that draws finds
out for itself and draws the stock way; worker processes keep quiet about it and report it with
their results, and the build's process gives the one ``FastPathUnavailable`` warning.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
import sys
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from review.archive.cache import CACHE, code_fingerprint, collector_paused, has, read, store
from review.archive.canonical import digest
from review.charts import ChartSpec, draw
from review.model.layout import DEFAULT_TEMPLATE

if TYPE_CHECKING:  # compose is imported where packs are written: the chart service never needs it
    from review.compose.context import PackContext
    from review.language.phrases import Phrases
    from review.model.plan import Plan, Sector

#: Below this many charts a worker pool costs more than it saves.
MIN_PARALLEL = 6
CACHE_DIR = CACHE / "charts"
PACK_CACHE_DIR = CACHE / "packs"
#: Text shaping results of earlier builds (``review.charts.figures.use_shaping``), one file.
SHAPING_FILE = CACHE / "shaping.pickle"
#: At most this many shaping results are kept, the latest learnt (about 8 MB; a national plan's
#: charts hold about 1,200 texts, and each rebuild adds the few new numbers it drew).
SHAPING_MAX = 20_000


#: True in a worker process: the fast chart path's warning is left to the build's process.
_DEFERS_WARNING: list[bool] = [False]


def _defer_warning() -> None:
    """In a worker process: leave the fast chart path's warning to the process that started it."""
    _DEFERS_WARNING[0] = True


def _fast_path_missing() -> str | None:
    """Return what this process found missing for the fast chart path (None: nothing, or it drew nothing)."""
    charts = sys.modules.get("review.charts.figures")
    return charts.fast_path_missing() if charts is not None else None


def _warn_fast_path(missing: str | None) -> None:
    """Give the warning a worker deferred (once per build's process) when it found ``missing``."""
    if missing:
        from review.charts import figures as charts
        charts.warn_fast_path_unavailable(missing)


def _render(spec: ChartSpec) -> bytes:
    from review.charts import figures as charts
    if _DEFERS_WARNING[0]:
        charts.defer_fast_path_warning()
    if (shaping := _TASK_CONTEXT.pop("shaping", None)) is not None:
        charts.use_shaping(shaping)
    return draw(spec)


def _render_in_worker(spec: ChartSpec) -> tuple[bytes, str | None]:
    return _render(spec), _fast_path_missing()


def _learnt_shaping() -> dict:
    """Return what this process learnt about shaping text since last asked (none if it drew nothing)."""
    charts = sys.modules.get("review.charts.figures")
    return charts.take_learnt() if charts is not None else {}


def load_shaping(cache_root: Path | None) -> dict:
    """Return the text shaping results kept below ``cache_root`` by earlier builds of this code
    (see ``review.charts.figures.use_shaping``); none without a cache or when it cannot be read."""
    if cache_root is None:
        return {}
    try:
        kept = pickle.loads(read(Path(cache_root) / SHAPING_FILE))
        entries = kept["entries"] if kept["code"] == _code_fingerprint() else {}
        return entries if isinstance(entries, dict) else {}
    except Exception:  # noqa: BLE001 — missing, damaged or of other code: start afresh
        return {}


def save_shaping(cache_root: Path | None, known: dict, learnt: dict) -> None:
    """Keep ``known`` and the newly ``learnt`` shaping results for later builds.

    Past :data:`SHAPING_MAX` the results learnt longest ago are dropped, even if still drawn:
    a dropped text is shaped again by the next build that draws it, and kept anew.
    """
    if cache_root is None or not learnt:
        return
    entries = {**known, **learnt}
    if len(entries) > SHAPING_MAX:
        entries = dict(list(entries.items())[-SHAPING_MAX:])
    content = pickle.dumps({"code": _code_fingerprint(), "entries": entries}, protocol=pickle.HIGHEST_PROTOCOL)
    store((Path(cache_root) / SHAPING_FILE).parent, SHAPING_FILE.name, content)


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """Return a hash of what else decides a chart's pixels: the chart code, the statuses' colours
    (``review/model/status.py``), matplotlib, the font package (the fonts drawn with are the
    package's file and matplotlib's own DejaVu Sans) and Pillow (the plain path's PNG encoder).

    Read from files and package metadata, without importing matplotlib: a rebuild whose charts
    all come from the cache never needs it.
    """
    from importlib.metadata import PackageNotFoundError, version

    from review import __version__
    digest = hashlib.sha256()
    for source in sorted((Path(__file__).resolve().parents[1] / "charts").glob("*.py")):
        digest.update(source.read_bytes())
    # Chart colours come from the statuses.
    digest.update((Path(__file__).resolve().parents[1] / "model" / "status.py").read_bytes())
    # The plain path encodes its PNGs with Pillow.
    for package in ("matplotlib", "fontpkg-noto-sans-arabic", "pillow"):
        try:
            digest.update(f"{package}={version(package)}|".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=?|".encode())
    # The plain path (REVIEW_PLAIN_CHARTS=1) draws the same pixels but encodes them otherwise.
    digest.update(f"plain charts={os.environ.get('REVIEW_PLAIN_CHARTS') == '1'}|".encode())
    digest.update(f"{__version__}|zlib {zlib.ZLIB_RUNTIME_VERSION}".encode())  # PNGs are deflated
    return digest.digest()


def chart_key(spec: ChartSpec) -> str:
    """Return the cache key of a chart: SHA-256 of its function, data, options and the chart code."""
    return digest(_code_fingerprint().hex(), spec.function, spec.args, spec.kwargs)


def worker_count(todo: int) -> int:
    """Return how many worker processes to use: ``REVIEW_WORKERS`` if set, else one per core that
    is free now (:func:`free_cores`), at most ``todo`` and at least one."""
    configured = os.environ.get("REVIEW_WORKERS", "").strip()
    workers = int(configured) if configured.isdigit() and int(configured) > 0 else _free_cores_lately()
    return max(1, min(workers, todo))


#: How long a count of free cores stands for the next question (one build asks several times;
#: each count samples for some milliseconds).
FREE_CORES_SECONDS = 1.0
_FREE_CORES: dict[Path, tuple[float, int]] = {}


def _free_cores_lately() -> int:
    """Return :func:`free_cores`, counted at most :data:`FREE_CORES_SECONDS` ago."""
    import time
    now = time.monotonic()
    counted = _FREE_CORES.get(LOADAVG)
    if counted is None or now - counted[0] > FREE_CORES_SECONDS:
        counted = _FREE_CORES[LOADAVG] = (now, free_cores())
    return counted[1]


#: Where Linux tells how many threads are runnable at this instant (the fourth field, "2/345").
LOADAVG = Path("/proc/loadavg")


def free_cores(samples: int = 5) -> int:
    """Return the cores this process may use that no other work keeps busy right now.

    On a machine already busy, workers that wait for a core only add the cost of starting them:
    the default must never be slower than one process. Runnable threads are read from
    :data:`LOADAVG` a few times (the least count is kept, a transient spike is not), this process
    counting as one, and the others spread over the machine's cores (in a container limited to
    some of a large host's cores, the host's count is scaled down to ours); elsewhere (Windows,
    macOS) every usable core is taken as free.
    """
    import time
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    running = None
    for sample in range(samples):
        try:
            field = LOADAVG.read_text(encoding="ascii").split()[3]
            count = int(field.split("/")[0])
        except (OSError, IndexError, ValueError):
            return cores
        running = count if running is None else min(running, count)
        if sample + 1 < samples:
            time.sleep(0.002)
    others = max(0, (running or 1) - 1) * cores // max(cores, os.cpu_count() or 1)
    return max(1, cores - others)


def forks() -> bool:
    """Whether worker processes are forked (Linux, macOS) rather than spawned (Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _pool_context():
    # fork starts workers in milliseconds with matplotlib already imported; spawn elsewhere (Windows).
    return multiprocessing.get_context("fork" if forks() else "spawn")


def render_charts(specs: list[ChartSpec], cache_root: Path | None = None,
                  parallel: bool = True) -> dict[str, bytes]:
    """Return each chart's PNG bytes by name, rendering only charts missing from the cache.

    ``cache_root`` is the output root (the cache is ``.cache/charts`` below it); None disables
    the cache. Rendering runs in worker processes when there are enough charts and ``parallel``.
    """
    keys = {spec.name: chart_key(spec) for spec in specs} if cache_root is not None else {}
    cache = Path(cache_root) / CACHE_DIR if cache_root is not None else None
    pngs: dict[str, bytes] = {}
    todo: list[ChartSpec] = []
    for spec in specs:
        cached = cache / f"{keys[spec.name]}.png" if cache is not None else None
        if cached is not None and has(cached):
            pngs[spec.name] = read(cached)
        else:
            todo.append(spec)
    workers = worker_count(len(todo)) if parallel else 1
    if len(todo) >= MIN_PARALLEL and workers > 1:
        # Import matplotlib and register the font before forking, so that workers inherit them
        # instead of each paying for it again.
        from review.charts import figures as charts
        charts.font_path()
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=_defer_warning) as pool:
            answers = list(pool.map(_render_in_worker, todo, chunksize=max(1, len(todo) // (workers * 4))))
        rendered = [png for png, _ in answers]
        _warn_fast_path(next((missing for _, missing in answers if missing), None))
    else:
        rendered = [_render(spec) for spec in todo]
    for spec, png in zip(todo, rendered):
        pngs[spec.name] = png
        if cache is not None:
            store(cache, f"{keys[spec.name]}.png", png)
    return {spec.name: pngs[spec.name] for spec in specs}


# -- The chart service -------------------------------------------------------------------------
# Importing matplotlib and drawing a first chart cost a worker more than drawing the few charts a
# rebuild changes. The service is one worker process started when a build begins: it pays that
# cost while the build reads and evaluates its inputs, then draws the charts it is sent.

#: A rebuild missing at most this many charts has the service draw them all; beyond that (a cold
#: build) the pack workers draw their own sectors' charts too, side by side.
SERVICE_MAX = 12


def _serve_charts(connection, builds_end, cache_root: Path | None) -> None:
    """Body of the service process: warm up, then answer each list of specs with their PNGs and
    what it learnt about shaping text (see ``review.charts.figures.use_shaping``).

    A thread reads the requests as they come (also while warming up), so the build can send all
    of them at once without ever waiting on a full pipe; another sends the answers, so the service
    draws on while the build is busy elsewhere and has not read them yet. Stops when told to, when
    the build's end of the pipe closes, or when the build is gone (workers forked by the build
    hold its end too).
    """
    import queue
    import signal
    import threading
    builds_end.close()  # inherited under fork: holding it, this process would never see the pipe close
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the build's to handle: it stops the service
    _exit_with_parent()
    requests: queue.SimpleQueue = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                message = None
            requests.put(message)
            if message is None:
                return

    replies: queue.SimpleQueue = queue.SimpleQueue()

    def send() -> None:
        while (reply := replies.get()) is not None:
            try:
                connection.send(reply)
            except OSError:
                return  # the build is gone

    threading.Thread(target=read, name="review-charts-requests", daemon=True).start()
    sender = threading.Thread(target=send, name="review-charts-replies", daemon=True)
    sender.start()
    from review.charts import figures as charts
    from review.language import formats as formatting  # specs carry its functions: import it ahead
    _defer_warning()
    charts.defer_fast_path_warning()  # also while warming up: the build reports it (see ChartService.missing)
    if requests.empty():  # nothing to draw yet: pay for the first chart's lazy set-up meanwhile
        charts.warm_up()
    formatting.format_number(1.5, 1, "ar", formatting.ARABIC)
    charts.take_learnt()  # the warm-up's text is worth nothing to later builds
    charts.use_shaping(load_shaping(cache_root))
    gc.freeze()
    while (specs := requests.get()) is not None:
        try:
            replies.put(([_render(spec) for spec in specs], charts.take_learnt(), charts.fast_path_missing()))
        except Exception as exc:  # noqa: BLE001 — reported to the build, which draws them itself
            replies.put(RuntimeError(f"{type(exc).__name__}: {exc}"))
    replies.put(None)
    sender.join()  # every answer is sent before the process ends


class ChartService:
    """A worker process that draws charts on request (see :data:`SERVICE_MAX`); a context manager.

    Pure like the charts: the PNGs are the bytes ``review.charts`` returns in any process.
    """

    def __init__(self, cache_root: Path | None = None) -> None:
        context = _pool_context()
        self._connection, child = context.Pipe()
        self._pending = 0  # requests not answered yet
        self._used = False
        #: Shaping results the service learnt while drawing (see ``review.charts.figures.use_shaping``).
        self.learnt: dict = {}
        #: The private matplotlib API the service found missing when it drew (its fast path was
        #: off); the service does not warn of it, the build does.
        self.missing: str | None = None
        try:
            self._process = context.Process(target=_serve_charts, args=(child, self._connection, cache_root),
                                            name="review-charts", daemon=True)
            self._process.start()
        except BaseException:
            self._connection.close()
            raise
        finally:
            child.close()

    def draw(self, specs: list[ChartSpec]) -> None:
        """Ask for the PNGs of ``specs``; :meth:`result` returns them (answers come in order).

        Never waits for the service: it reads its requests as they come.
        """
        try:
            self._connection.send(list(specs))
            self._pending += 1
            self._used = True
        except OSError:
            pass  # the service is gone: result() says so

    def result(self) -> list[bytes] | None:
        """Return the PNGs of the oldest unanswered :meth:`draw`, or None when the service failed."""
        try:
            reply = self._connection.recv()
        except (EOFError, OSError):
            return None
        finally:
            self._pending -= 1
        if isinstance(reply, BaseException):
            return None
        pngs, learnt, missing = reply
        self.learnt.update(learnt)
        self.missing = self.missing or missing
        return pngs

    def close(self) -> None:
        """Stop the service (once; later calls do nothing).

        A service that answered everything it was asked ends by itself; one still warming up or
        drawing for a build that stopped early is terminated: it holds nothing worth waiting for.
        """
        if self._connection.closed:
            return
        idle = self._used and self._pending == 0
        try:
            self._connection.send(None)
        except OSError:
            pass
        self._connection.close()
        if idle:
            self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> "ChartService":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def start_chart_service(cache_root: Path | None) -> ChartService | None:
    """Return a started :class:`ChartService` for a build that caches charts below ``cache_root``
    on a machine with several cores, else None: single-process builds stay single-process, and a
    service that cannot start leaves the workers to draw every chart."""
    if cache_root is None or worker_count(2) < 2:
        return None
    try:
        return ChartService(cache_root)
    except OSError:
        return None


# -- Packs ------------------------------------------------------------------------------------
# Each sector's charts and pack are one task, and the executive pack another, so that a pool of
# workers keeps every core busy from the first chart to the last pack. Workers receive the pack
# context once, when they start (inherited under fork, pickled once under spawn).

_TASK_CONTEXT: dict = {}


def _exit_with_parent() -> None:
    """End this worker process when the build's process ends: a killed build leaves no workers."""
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="review-parent-watch", daemon=True).start()


def _start_worker(*context) -> None:
    _exit_with_parent()
    _defer_warning()
    _init_worker(*context)


def _init_worker(context, sector_specs, executive_specs, cache_root, shaping=None) -> None:
    # Everything alive now lives as long as the worker: keep the collector from rescanning it
    # (about a tenth of chart time).
    gc.freeze()
    _TASK_CONTEXT.update(context=context, sector_specs=sector_specs, executive_specs=executive_specs,
                         cache_root=cache_root)
    if shaping:
        _TASK_CONTEXT["shaping"] = shaping  # handed to review.charts by the first chart drawn


def _pack_task(sector_id: str | None) -> tuple[dict[str, bytes], dict, str | None]:
    """Render one pack and its charts; None stands for the executive pack.

    Returns the files, what drawing taught this process about shaping text and the private
    matplotlib API it found missing (None: none, or it drew nothing; see :func:`_warn_fast_path`)."""
    from review.pause import pause_at
    from review.compose.executive import EXECUTIVE, write_executive_pack
    pause_at("rendering")
    context, cache_root = _TASK_CONTEXT["context"], _TASK_CONTEXT["cache_root"]
    specs = _TASK_CONTEXT["executive_specs"] if sector_id is None else _TASK_CONTEXT["sector_specs"][sector_id]
    pngs = render_charts(specs, cache_root, parallel=False)
    if sector_id is None:
        document, name = write_executive_pack(context, specs, pngs), EXECUTIVE
    else:
        document, name = _sector_pack(context, sector_id, specs, pngs, cache_root), sector_id
    files = {f"charts/{chart}": png for chart, png in pngs.items()}
    files[f"{name}.docx"] = document
    return files, _learnt_shaping(), _fast_path_missing()


#: Stands for the revision number in a cached pack's draft mark (plain letters: XML leaves them be).
REVISION_PLACEHOLDER = "REVIEWREVISIONPLACEHOLDER"


def _pack_slot(context, sector_id: str, specs: list[ChartSpec], cache_root: Path | None):
    """Return (context with the revision placeholder, cache file of the pack, revision text), or
    None when the pack is not cached at all (no cache, or no draft mark to stamp)."""
    from dataclasses import replace

    revision = _revision_text(context)
    if cache_root is None or revision is None:
        return None
    from review.compose.sections import sector_digest
    generic = replace(context, draft_mark=context.draft_mark.replace(revision, REVISION_PLACEHOLDER))
    sector = context.plan.sector_by_id[sector_id]
    # What the pack shows of the sector is the same whatever the draft mark says: asked of the
    # build's context, whose memory holds it once for every sector (a replaced context starts a
    # memory of its own, and every sector asking there would index the whole period again).
    key = pack_key(generic, sector, [chart_key(spec) for spec in specs], sector_digest(context, sector))
    return generic, Path(cache_root) / PACK_CACHE_DIR / f"{key}.docx", revision


def _sector_pack(context, sector_id: str, specs: list[ChartSpec], pngs: dict[str, bytes],
                 cache_root: Path | None) -> bytes:
    """Return a sector pack, from the pack cache when nothing it shows has changed.

    Every new revision changes the draft mark on every page, so cached packs hold a placeholder
    for the revision number, stamped into the page headers on the way out — the same bytes as a
    pack written with the number directly.
    """
    from review.compose.sector import write_sector_pack
    from review.office.word.writer import replace_in_headers
    sector = context.plan.sector_by_id[sector_id]
    slot = _pack_slot(context, sector_id, specs, cache_root)
    if slot is None:
        return write_sector_pack(context, sector, specs, pngs)
    generic, cached, revision = slot
    if has(cached):
        document = read(cached)
    else:
        document = write_sector_pack(generic, sector, specs, pngs)
        store(cached.parent, cached.name, document)
    return replace_in_headers(document, REVISION_PLACEHOLDER, revision)


def _revision_text(context) -> str | None:
    """Return the revision number as written in the context's draft mark, or None (no mark)."""
    mark = context.draft_mark
    if not mark:
        return None
    prefix, _, suffix = context.phrases("pack.draft", revision=REVISION_PLACEHOLDER).partition(REVISION_PLACEHOLDER)
    if not (mark.startswith(prefix) and mark.endswith(suffix)) or len(mark) <= len(prefix) + len(suffix):
        return None
    revision = mark[len(prefix):len(mark) - len(suffix)]
    return revision if mark.count(revision) == 1 else None


def _cached_sector(context, sector_id: str, specs: list[ChartSpec], cache_root: Path | None) -> dict[str, bytes] | None:
    """Return a sector's pack and charts from the caches when all of them are there, else None."""
    from review.office.word.writer import replace_in_headers
    slot = _pack_slot(context, sector_id, specs, cache_root)
    if slot is None or cache_root is None:  # no slot without a cache
        return None
    _, pack, revision = slot
    charts = {spec.name: Path(cache_root) / CACHE_DIR / f"{chart_key(spec)}.png" for spec in specs}
    if not has(pack) or not all(has(path) for path in charts.values()):
        return None
    files = {f"charts/{name}": read(path) for name, path in charts.items()}
    files[f"{sector_id}.docx"] = replace_in_headers(read(pack), REVISION_PLACEHOLDER, revision)
    return files


def _side_task(function, args: tuple) -> dict[str, bytes]:
    return function(_TASK_CONTEXT["context"], *args)


def render_packs(context, sector_specs: dict[str, list[ChartSpec]], executive_specs: list[ChartSpec],
                 cache_root: Path | None, progress=lambda message: None,
                 side_tasks: Sequence[tuple] = (), chart_service: ChartService | None = None,
                 while_waiting=None) -> dict[str, bytes]:
    """Return every pack and chart of a build as ``{relative path: bytes}``.

    ``sector_specs`` maps each sector to build to its charts. Sector packs whose content did not
    change come from the cache (stamped with this revision's number); the others and the
    executive pack are rendered in worker processes. ``side_tasks`` are more ``(function, args)``
    to run there: each module-level ``function(context, *args)`` returns more files.
    ``chart_service`` (with a cache only) draws the charts that are missing, or the executive
    pack's when many are (see :data:`SERVICE_MAX`), while the workers start on the rest.
    ``while_waiting()``, when given, is called once, when this process has nothing else to do.
    """
    while_waiting = while_waiting or (lambda: None)
    files: dict[str, bytes] = {}
    shaping = load_shaping(cache_root)
    learnt: dict = {}
    _init_worker(context, sector_specs, executive_specs, cache_root, shaping)
    workers = worker_count(1 + len(sector_specs) + len(side_tasks))
    if workers == 1 or not sector_specs:
        while_waiting()
        for function, args in side_tasks:
            files.update(function(context, *args))
        for number, task in enumerate([None, *sector_specs], start=1):
            cached = _cached_sector(context, task, sector_specs[task], cache_root) if task else None
            if cached is None:
                cached, taught, _ = _pack_task(task)  # drawn here: any warning was given already
                learnt.update(taught)
            files.update(cached)
            progress(f"Pack {number}/{1 + len(sector_specs)} written: {_pack_name(task)}")
        _TASK_CONTEXT.clear()
        save_shaping(cache_root, shaping, learnt)
        return files

    # The service stores what it draws in the chart cache, so it serves only a build that has one.
    service = chart_service if cache_root is not None else None
    missing: dict = {}
    if service is not None:
        # The executive pack shows every sector, so its changed charts are asked for at once,
        # while this process finds out which sector packs the cache already holds.
        missing[None] = _missing_charts(executive_specs, cache_root)
        if missing[None]:
            service.draw(missing[None])
    reused = 0
    with collector_paused():  # what each sector shows, asked of every sector: all of it is kept
        for sector_id, specs in sector_specs.items():
            cached = _cached_sector(context, sector_id, specs, cache_root)
            if cached is None:
                missing[sector_id] = _missing_charts(specs, cache_root)
            else:
                files.update(cached)
                reused += 1
    if reused:
        progress(f"{reused} of {len(sector_specs)} sector packs unchanged: taken from the cache")
    if service is None:
        # The executive pack shows every sector, so it is always drawn (by a worker).
        missing = {None: _missing_charts(executive_specs, cache_root), **missing}
        delegated = []
    else:
        delegated = list(missing) if sum(map(len, missing.values())) <= SERVICE_MAX else [None]
    workers_draw = any(missing[task] for task in missing if task not in delegated)
    if forks() and workers_draw:
        # The workers will draw too: import matplotlib once, here, for all of them to inherit
        # (the chart service is drawing meanwhile). When only the service draws, they never need it,
        # nor the shaping results (megabytes, pickled for each spawned worker).
        from review.charts import figures as charts
        charts.font_path()
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=_start_worker,
                             initargs=(context, sector_specs, executive_specs, cache_root,
                                       shaping if workers_draw else None)) as pool:
        futures: dict[str | None, Future[tuple[dict[str, bytes], dict, str | None]]] = {}
        if service is None:
            futures[None] = pool.submit(_pack_task, None)  # first: it waits for no chart service
        side = [pool.submit(_side_task, function, args) for function, args in side_tasks]
        if service is None:
            futures.update((sector_id, pool.submit(_pack_task, sector_id)) for sector_id in missing
                           if sector_id is not None)
            while_waiting()
        else:
            # Packs whose charts the service does not draw start now; the others as soon as it
            # has drawn theirs, pack by pack.
            futures.update((task, pool.submit(_pack_task, task)) for task in missing
                           if task not in delegated or not missing[task])
            requests = [task for task in delegated if missing[task]]
            for task in requests:
                if task is not None:  # the executive pack's were asked for already
                    service.draw(missing[task])
            while_waiting()
            assert cache_root is not None  # there is a service only with a cache (see above)
            chart_dir = Path(cache_root) / CACHE_DIR
            for task in requests:
                pngs = service.result()
                for spec, png in zip(missing[task], pngs or ()):  # None (it failed): the worker draws them
                    store(chart_dir, f"{chart_key(spec)}.png", png)
                futures[task] = pool.submit(_pack_task, task)
            service.close()  # done: its memory goes back before the workers' peak
            learnt.update(service.learnt)
            _warn_fast_path(service.missing)
        for job in side:
            files.update(job.result())
        for number, (task, future) in enumerate(futures.items(), start=1):
            written, taught, missing_api = future.result()
            files.update(written)
            learnt.update(taught)
            _warn_fast_path(missing_api)
            progress(f"Pack {number}/{len(futures)} written: {_pack_name(task)}")
    _TASK_CONTEXT.clear()
    save_shaping(cache_root, shaping, learnt)
    return files


def _missing_charts(specs: list[ChartSpec], cache_root: Path | None) -> list[ChartSpec]:
    """Return the specs whose PNG the chart cache lacks (all of them without a cache)."""
    if cache_root is None:
        return list(specs)
    return [spec for spec in specs if not has(Path(cache_root) / CACHE_DIR / f"{chart_key(spec)}.png")]


def _pack_name(task: str | None) -> str:
    return "executive.docx" if task is None else f"{task}.docx"


# -- the pack cache's key ------------------------------------------------------------------------

def pack_key(ctx: PackContext, sector: Sector, chart_keys: list[str], shown: str | tuple | None = None) -> str:
    """Return the SHA-256 of everything :func:`write_sector_pack` reads for ``sector``.

    The key of the pack cache: a pack is reused only when all of it is unchanged; what it shows of
    the sector is :func:`review.compose.sections.sector_key` (hashed once: ``sector_digest``),
    ``shown`` when the caller has it already (from a context that differs only in its draft mark).
    """
    from review.compose.sections import sector_digest
    template = Path(ctx.template) if ctx.template else DEFAULT_TEMPLATE
    facts = (
        _shared_digest(ctx.plan, ctx.phrases, template),       # code, every name and setting, wording, styles
        ctx.issue_date.isoformat(), ctx.draft_mark, ctx.logo,  # cover, header
        sector_digest(ctx, sector) if shown is None else shown,  # everything the sector's pages show
        chart_keys,                                            # the pictures
    )
    return digest(*facts)


_SHARED: list = []  # [(plan, phrases, template, digest)] of the current build


def _shared_digest(plan: Plan, phrases: Phrases, template: Path) -> str:
    """Return the digest of what every pack of a build shares (computed once per process and build).

    Remembered by object identity; holding the objects keeps their identities from being reused.
    """
    if not (_SHARED and _SHARED[0][0] is plan and _SHARED[0][1] is phrases and _SHARED[0][2] == template):
        plan_json = hashlib.sha256(plan.model_dump_json().encode("utf-8")).hexdigest()
        value = digest(code_fingerprint(), plan_json, phrases.entries, hashlib.sha256(template.read_bytes()).hexdigest())
        _SHARED[:] = [(plan, phrases, template, value)]
    return _SHARED[0][3]
