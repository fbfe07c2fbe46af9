"""The build cache below ``<output root>/.cache/``: work a rebuild can skip, found by content hash.

Nothing here is part of an archived revision, and deleting the folder only costs time. Every key
is a SHA-256 of what decides the value — input bytes, options, and :func:`code_fingerprint` (the
package's source and the rendering libraries' versions), so a new version never reuses an old
entry. Entries are written atomically; a cache that cannot be read or written is simply not used.
The cache is bounded (``REVIEW_CACHE_MB``, :func:`trim` after each build): entries are read
through :func:`read` and :func:`has`, which refresh their time, and the least recently used go
first; ``review cache stats|clear`` show and empty it.

* ``charts/`` and ``packs/``: PNGs and sector packs (``review.pipeline.workers``);
* ``shaping.pickle``: how chart texts were measured and shaped, as plain numbers, so that a
  rebuild's few new charts do not shape their words again (``review.pipeline.workers``, kept with the
  chart code's fingerprint inside: other code starts afresh);
* ``intake/``: the parsed plan and each period folder's data, so that a rebuild after one
  figure changed reads only the folder that changed (``review.pipeline.build``, ``review.intake.data``);
* ``evaluation/``: the evaluations of the periods before the one built, by what they were read
  from, so that such a rebuild evaluates only its own period (``review.evaluate``);
* ``parts/``: each sector's part of the plan-wide outputs (``review.compose.sections``).

Parsed entries are pickles: the cache is the user's own output folder, as trusted as the code.
A build reads its inputs inside :func:`held_back`, so that a build refused for its input (or its
options) writes no cache entry either: nothing at all under ``--out``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from review.archive.canonical import digest

CACHE = Path(".cache")
INTAKE = "intake"

T = TypeVar("T")


class HeldEntries:
    """Cache entries :func:`store` was given inside :func:`held_back`, not written yet."""

    def __init__(self) -> None:
        self.entries: dict[Path, bytes] = {}

    def write(self) -> None:
        """Write every held entry (once: they are dropped from here as they are written)."""
        while self.entries:
            path, content = self.entries.popitem()
            _write(path.parent, path.name, content)


_HELD: ContextVar[HeldEntries | None] = ContextVar("review_cache_held", default=None)


@contextlib.contextmanager
def held_back() -> Iterator[HeldEntries]:
    """Hold back the entries :func:`store` is given while the block runs; return them to be
    written (:meth:`HeldEntries.write`) once what they were read from proves acceptable.

    A build reads its inputs inside the block and writes the entries only when it accepts them,
    so a refused build leaves no cache entry; entries never written cost only time. Held entries
    are read back by :func:`remembered` like written ones. The block should start no process: a
    forked one would hold back its entries in its own copy, for good.
    """
    held = HeldEntries()
    token = _HELD.set(held)
    try:
        yield held
    finally:
        _HELD.reset(token)


#: The distributions whose version can change the bytes of an output: the libraries that read the
#: inputs, compute or write the outputs, draw the charts, and the bundled font. Nothing else
#: installed (nor where the command runs) enters the caches' keys.
RENDERING_DISTRIBUTIONS = (
    "babel", "fontpkg", "fontpkg-noto-sans-arabic", "fonttools", "hijridate", "jinja2", "lxml",
    "markupsafe", "matplotlib", "numpy", "openpyxl", "pillow", "pydantic", "pydantic-core",
    "python-docx", "python-pptx", "pyyaml", "xlsxwriter",
)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Return a hash of the package's files (source and data) and version, of Python's version, of the
    versions of :data:`RENDERING_DISTRIBUTIONS`, and of the zlib in use (cached packs are stamped
    without compressing them again).

    Independent of the working folder and of unrelated installed distributions: a ``*.dist-info``
    or ``*.egg-info`` folder where the command runs changes nothing; upgrading a rendering library
    starts the caches afresh.
    """
    from review import __version__
    fingerprint = hashlib.sha256(f"{__version__}|{sys.version}|zlib {zlib.ZLIB_RUNTIME_VERSION}|".encode())
    fingerprint.update("|".join(f"{name}={found}" for name, found in _rendering_versions().items()).encode())
    package = Path(__file__).resolve().parents[1]
    # Every file of the package: its code, and the data it renders with (the dashboard's templates,
    # stylesheet and script, the page numbers' font); not Python's compiled copies.
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        try:
            content = path.read_bytes()
        except OSError:  # a stray file nobody may read (the build reads none such): its name counts
            content = b"\0unreadable"
        fingerprint.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0" + content)
    return fingerprint.hexdigest()


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _rendering_versions() -> dict[str, str]:
    """Return the installed version of each of :data:`RENDERING_DISTRIBUTIONS` ("-" if absent),
    read from the names of the ``*.dist-info`` folders on ``sys.path`` (the first one wins, as
    for an import): a listing per folder, ten times cheaper than ``importlib.metadata``."""
    wanted = {_normal(name) for name in RENDERING_DISTRIBUTIONS}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project, _, version = name.rsplit(".", 1)[0].partition("-")
                key = _normal(project)
                if key in wanted and key not in found:
                    found[key] = version
    return {name: found.get(name, "-") for name in sorted(wanted)}


# -- the cache's bound: least recently used entries go first -------------------------------------

#: ``REVIEW_CACHE_MB``: the cache's size cap in megabytes (default below; 0 keeps nothing).
CACHE_MB_DEFAULT = 1024
#: An entry used this recently is kept even past the cap: a build running beside the one that
#: trims may be about to read it (every use refreshes the entry's time, see :func:`read`).
GRACE_SECONDS = 600


def cache_limit() -> int:
    """Return the cache's cap in bytes, from ``REVIEW_CACHE_MB`` (UsageError when not a number)."""
    from review.errors import UsageError
    configured = os.environ.get("REVIEW_CACHE_MB", "").strip()
    if not configured:
        return CACHE_MB_DEFAULT * 1024 * 1024
    if not configured.isdigit():
        raise UsageError(f"REVIEW_CACHE_MB={configured[:40]!r}: expected a whole number of megabytes")
    return int(configured) * 1024 * 1024


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def has(path: Path) -> bool:
    """Whether the cache entry ``path`` exists; counts as a use (its time is refreshed)."""
    if path.is_file():
        _touch(path)
        return True
    return False


def read(path: Path) -> bytes:
    """Return the cache entry ``path``, refreshing its time (the cap evicts by last use)."""
    content = path.read_bytes()
    _touch(path)
    return content


def entries(cache: Path) -> list[tuple[float, int, Path]]:
    """Return every entry below ``cache`` as (last use, size, path), oldest first."""
    found = []
    for folder, _, names in os.walk(cache):
        for name in names:
            path = Path(folder) / name
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((info.st_mtime, info.st_size, path))
    return sorted(found)


def trim(cache: Path | None, limit: int, now: float | None = None) -> tuple[int, int]:
    """Remove the least recently used entries until the cache holds at most ``limit`` bytes;
    return (entries removed, bytes freed). Entries used in the last :data:`GRACE_SECONDS` stay."""
    import time
    if cache is None or not cache.is_dir():
        return 0, 0
    now = time.time() if now is None else now
    found = entries(cache)
    total = sum(size for _, size, _ in found)
    removed = freed = 0
    for used, size, path in found:
        if total <= limit or used > now - GRACE_SECONDS:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed, freed = removed + 1, freed + size
    return removed, freed


def stats(cache: Path) -> dict[str, tuple[int, int]]:
    """Return ``{kind: (entries, bytes)}`` of the cache (kind: its first folder, or the file)."""
    totals: dict[str, tuple[int, int]] = {}
    for _, size, path in entries(cache) if cache.is_dir() else []:
        kind = path.relative_to(cache).parts[0]
        count, total = totals.get(kind, (0, 0))
        totals[kind] = (count + 1, total + size)
    return dict(sorted(totals.items()))


def clear(cache: Path) -> tuple[int, int]:
    """Remove every entry of the cache; return (entries removed, bytes freed)."""
    return trim(cache, -1, now=float("inf")) if cache.is_dir() else (0, 0)


def cache_dir(out_root: Path | None) -> Path | None:
    """Return the cache folder of an output root, or None (no output root: no cache)."""
    return None if out_root is None else Path(out_root) / CACHE


def store(folder: Path, name: str, content: bytes) -> None:
    """Write one cache entry atomically, or hold it back inside :func:`held_back`; a cache that
    cannot be written is simply not used."""
    held = _HELD.get()
    if held is not None:
        held.entries[folder / name] = content
        return
    _write(folder, name, content)


def _write(folder: Path, name: str, content: bytes) -> None:
    from review.archive.revisions import replace_file
    try:
        replace_file(folder / name, content, durable=False)
    except OSError:
        pass


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector from running while the block runs.

    Reading a cached period or building an evaluation allocates hundreds of thousands of objects
    that all stay alive; the collector, run every few hundred allocations, would scan them again
    and again (unpickling a 5× plan's eight periods took three times as long). Nothing in such a
    block makes cycles to collect; the collector runs as before once it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def remembered(cache: Path | None, kind: str, key: tuple, compute: Callable[[], T],
               keep: Callable[[T], bool] = lambda value: True) -> T:
    """Return ``compute()``, or the value it returned before for the same ``key`` and code.

    ``key`` holds plain values (see :mod:`review.archive.canonical`) that decide the value entirely.
    ``cache`` None computes. Only values that ``compute`` returns and ``keep`` accepts are
    remembered: what it raises is raised again next time, and a failing build writes nothing.
    """
    if cache is None:
        return compute()
    entry = f"{digest(code_fingerprint(), kind, key)}.pickle"
    folder = cache / kind
    held = _HELD.get()
    try:
        content = held.entries[folder / entry] if held is not None and folder / entry in held.entries else read(folder / entry)
        with collector_paused():
            return pickle.loads(content)
    except Exception:  # noqa: BLE001 — missing or damaged: a miss, written (again) below
        pass
    value = compute()
    if keep(value):
        store(folder, entry, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value
