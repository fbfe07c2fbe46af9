"""The build cache below ``<output root>/.cache/``: work a rebuild can skip, found by content hash.

Nothing here is part of an archived revision, and deleting the folder only costs time. Every key
is a SHA-256 of what decides the value — input bytes, options, and :func:`code_fingerprint` (the
package's source), so a new version never reuses an old entry. Entries are written atomically;
a cache that cannot be read or written is simply not used.

* ``charts/`` and ``packs/``: PNGs and sector packs (``review.pipeline.workers``);
* ``shaping.pickle``: how chart texts were measured and shaped, as plain numbers, so that a
  rebuild's few new charts do not shape their words again (``review.pipeline.workers``, kept with the
  chart code's fingerprint inside: other code starts afresh);
* ``intake/``: the parsed plan and each period folder's data, so that a rebuild after one
  figure changed reads only the folder that changed (``review.pipeline.build``, ``review.intake.data``).

Parsed entries are pickles: the cache is the user's own output folder, as trusted as the code.
A build reads its inputs inside :func:`held_back`, so that a build refused for its input (or its
options) writes no cache entry either: nothing at all under ``--out``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
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


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Return a hash of the package's source files and version, of Python's version, of every
    installed distribution's name and version, and of the zlib in use (cached packs are stamped
    without compressing them again).

    Installed distributions are known by their ``*.dist-info`` folders on ``sys.path`` (a listing,
    not a metadata read): upgrading any library starts the caches afresh.
    """
    import sys

    from review import __version__
    fingerprint = hashlib.sha256(f"{__version__}|{sys.version}|zlib {zlib.ZLIB_RUNTIME_VERSION}|".encode())
    for entry in sys.path:
        try:
            installed = sorted(name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        fingerprint.update("|".join(installed).encode("utf-8"))
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        fingerprint.update(path.read_bytes())
    return fingerprint.hexdigest()


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
        if held is not None and folder / entry in held.entries:
            return pickle.loads(held.entries[folder / entry])
        return pickle.loads((folder / entry).read_bytes())
    except Exception:  # noqa: BLE001 — missing or damaged: a miss, written (again) below
        pass
    value = compute()
    if keep(value):
        store(folder, entry, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value
