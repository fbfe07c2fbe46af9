"""The output folder and its archive of revisions: the only module that writes below ``output/``.

Layout of one period (issue 5)::

    output/<plan-id>/<period>/
      index.json            summary of the revisions (derived from their manifests and final.json;
                            rewritten atomically)
      final.json            the record of every finalised revision: the SHA-256 of its manifest and
                            of its final packs; written by finalize only, never by a build, read-only
      .lock                 held while a build or finalize of this period runs (never part of a revision)
      .store/               the content store: chunks of the files earlier revisions keep as recipes
                            (:mod:`review.archive.store`), and borrowed.json: where the chunks it
                            does not hold are found inside the files the latest revision keeps whole
      r1/                   one build: every output, plus
        manifest.json       tool version, command line (without --out), issue date, the
                            SOURCE_DATE_EPOCH used, whether it is partial (--sector), every input
                            and output (size, SHA-256)
        snapshot/           the inputs it used: plan.yaml, data/<period>/…, templates/…, word/<template>.docx
        final/              once finalised: the packs re-rendered without the draft mark
        recipes.json        once a later revision exists (not for a finalised one): the files kept
                            as chunks in .store/ instead of whole
      r2/ …

A revision is written into a hidden staging folder (``.staging-r<N>-…``) beside it and renamed to
``r<N>`` only when complete, so an interrupted build never leaves a partial revision; leftovers are
ignored by ``list``/``verify`` and removed by the next build of the period. No build ever changes
what an earlier revision holds (its manifest, the bytes of its files); finalising adds ``final/`` and the final hashes to the manifest, records the
manifest's hash in ``final.json`` and makes the revision read-only, its folders included. The
manifests are the source of truth for what a revision holds, ``final.json`` for which revisions
were finalised: a finalised revision deleted or altered later (its manifest too) is still found by
``verify``, whatever builds ran since. ``index.json`` is a summary of both for people and other
tools (no symlinks: the archive must work the same on Windows).

A file identical to one of the period's last three revisions (by its manifest's SHA-256, then
compared byte for byte) is a hard link to it, not a copy: the input snapshot, the charts and the
packs that did not change cost nothing again (a pack keeps the draft mark of the revision in
which its content last changed, recorded as ``pack_revisions`` in the manifest, so an unchanged
pack is byte-identical to its earlier file). Every revision folder still holds every file, so it
verifies and rebuilds on its own; altering a shared file in place is reported in each revision
holding it. Links share their file's mode: finalising a revision makes its files read-only in
the other revisions that share them too (earlier and later ones; their bytes are the finalised
bytes, and nothing ever writes a revision's files). A read-only file is never linked again (see
:func:`_link_twin`): a new revision's files are writable, and a failed build's staging folder can
be deleted on Windows too. The same on every system (:data:`SHARE_IDENTICAL`); where the file
system cannot link, a copy.

The latest revision (and the latest full one), and every finalised revision, keep every file
whole; each other revision keeps whole what those share with it and the rest as recipes of chunks
in the period's content store (:func:`store_changes`, run by :func:`write_revision`), a chunk that
the latest's version of the file holds too borrowed from there rather than stored: a one-figure
correction costs about what changed. ``verify`` checks every chunk and every
reassembled file, ``finalize`` makes a revision whole again (:func:`make_whole`), ``rebuild``
renders from a whole copy (:func:`whole_revision`) and ``extract`` writes one out (:func:`extract`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from review.archive import store as chunks
from review.errors import ReviewError, UsageError, display_path
from review.model.periods import Period
from review.pause import pause_at

MANIFEST = "manifest.json"
#: Beside the manifest of an earlier revision: the files it keeps as chunks in the period's
#: content store instead of whole ({"format": 1, "files": {name: [chunk SHA-256, …]}}).
RECIPES = "recipes.json"
#: The period's content store (see :mod:`review.archive.store`).
STORE_DIR = chunks.STORE_DIR
#: In the store while a conversion runs: the revisions it changes, so that the next build of the
#: period finishes one interrupted after their recipes were written.
CONVERTING = chunks.CONVERTING
#: In the store: where the chunks recipes name but the store does not hold are found inside the
#: whole files of the revisions that keep them (:class:`review.archive.store.Borrowed`).
BORROWED = chunks.BORROWED
#: Whether an earlier revision keeps whole only the files the latest (and latest full) revision
#: shares with it, and the others as recipes (:func:`store_changes`); False keeps every file whole.
STORE_CHANGES = True
INDEX = "index.json"
FINAL_RECORD = "final.json"
SNAPSHOT = "snapshot"
#: The decisions' numbers of a revision ({decision key: number}, issue 16 item 5): an output of each
#: revision, and the next revision's input (``snapshot/decisions.json``), so numbers stay put.
DECISIONS = "decisions.json"
FINAL_DIR = "final"
LOCK_FILE = ".lock"
STAGING_PREFIX = ".staging-"
#: Seconds a second build of the same period waits for the first before stopping.
LOCK_TIMEOUT = 60.0
#: Version of the manifest/index layout, bumped when a field changes meaning.
ARCHIVE_FORMAT = 1
#: The largest manifest, index or final record read, in bytes: a national plan's manifest is about
#: a megabyte; anything far larger was not written by a build, and is not read into memory.
MAX_RECORD_BYTES = 64 * 1024 * 1024

_REVISION = re.compile(r"r([1-9][0-9]*)")
_NO_WRITE = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


class ArchiveProblem(ReviewError):
    """The archive is inconsistent (exit 1: e.g. a changed file found while finalising).

    ``what`` is the message without the file, for reports that name the file themselves.
    """

    exit_code = 1

    def __init__(self, message: str, what: str | None = None):
        super().__init__(message)
        self.what = what or message


# -- layout ---------------------------------------------------------------------------------------

def check_out_root(out_root: Path, must_exist: bool = False) -> None:
    """Raise UsageError unless ``out_root`` (``--out``) is a folder or can become one.

    Refused: a path that is, or lies below, something other than a folder (a regular file, a
    dangling symbolic link); with ``must_exist``, a path that does not exist. Creates nothing.
    """
    path = Path(out_root)
    if path.is_dir():
        return
    if must_exist and not path.is_symlink() and not path.exists():
        raise UsageError(f"--out: {display_path(path)}: no such folder (expected the output folder "
                         "of earlier builds)")
    for ancestor in (path, *path.parents):
        if ancestor.is_dir():
            return
        if ancestor.is_symlink() or ancestor.exists():
            kind = "a file" if ancestor.is_file() else "a dangling symbolic link" \
                if ancestor.is_symlink() and not ancestor.exists() else "not a folder"
            where = "" if ancestor == path else f" (in --out {display_path(path)})"
            raise UsageError(f"--out: {display_path(ancestor)}{where}: expected a folder, got {kind}; "
                             "give a folder for the outputs")


def period_folder(out_root: Path, plan_id: str, period: Period | str) -> Path:
    """Return ``<out_root>/<plan-id>/<period>/``, checked to stay inside ``out_root``."""
    root = Path(out_root).resolve()
    folder = (root / plan_id / str(period)).resolve()
    if root not in folder.parents:
        raise UsageError(f"refusing to write outside {root}: {folder}")
    return folder


def plan_folder(out_root: Path, plan_id: str) -> Path:
    """Return ``<out_root>/<plan-id>/``, checked to stay inside ``out_root``."""
    root = Path(out_root).resolve()
    folder = (root / plan_id).resolve()
    if root not in folder.parents:
        raise UsageError(f"refusing to write outside {root}: {folder}")
    return folder


def revision_name(number: int) -> str:
    """Return the folder name of revision ``number`` (``r3``)."""
    return f"r{number}"


def revision_numbers(folder: Path) -> list[int]:
    """Return the numbers of the complete revisions in a period folder, ascending."""
    if not folder.is_dir():
        return []
    found = (_REVISION.fullmatch(p.name) for p in folder.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def _safe_relative(name: str) -> PurePosixPath:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts or "\\" in name:
        raise ValueError(f"output name escapes its folder: {name!r}")
    return relative


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``, read in pieces (a file planted in the
    archive may be of any size). Raises OSError when it cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def file_entries(files: dict[str, bytes]) -> list[dict]:
    """Return ``[{"path", "size", "sha256"}]`` of ``files``, sorted by path."""
    return [{"path": name, "size": len(files[name]), "sha256": sha256(files[name])} for name in sorted(files)]


def fingerprint(inputs: dict[str, bytes], settings: dict) -> str:
    """Return the SHA-256 identifying a build: every input's name and bytes, and ``settings``.

    Two builds with the same fingerprint give the same outputs (SPEC §7, deterministic).
    """
    digest = hashlib.sha256()
    for name in sorted(inputs):
        digest.update(f"{name}\0{sha256(inputs[name])}\n".encode("utf-8"))
    digest.update(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def utc_now(epoch: int | None = None) -> str:
    """Return the UTC time of ``epoch`` (seconds since 1970, e.g. ``SOURCE_DATE_EPOCH``), or the
    current time when None, as ``2025-01-10T09:30:00Z`` (manifest metadata only, never in a pack)."""
    moment = dt.datetime.now(dt.timezone.utc) if epoch is None else \
        dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- writing files durably ------------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _make_dir(parent: Path, prefix: str) -> Path:
    """Create a new uniquely named folder in ``parent`` with the usual permissions (mkdtemp's are 0700)."""
    while True:
        folder = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _write_file(target: Path, data: bytes, durable: bool = True, twin: Path | None = None,
                made: set[Path] | None = None) -> None:
    # ``made``: the folders made already (a snapshot puts thousands of files in a few folders).
    if made is None or target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(target.parent)
    if twin is not None and _link_twin(twin, target, data):
        return
    with open(target, "xb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())


#: Whether identical files of a period's revisions share their bytes (hard links), on every
#: system: NTFS links like POSIX file systems do. Where linking fails (FAT and exFAT, some network
#: shares, a file at the file system's limit of links) the file is written as a copy.
SHARE_IDENTICAL = True


def _link_twin(twin: Path, target: Path, data: bytes) -> bool:
    """Make ``target`` a hard link to ``twin`` when it holds exactly ``data``; False when it
    does not (changed since its manifest was written), is read-only, or the file system cannot
    link (the caller writes a copy then).

    A read-only twin (a finalised revision's file) is never linked: links share their mode, so
    the new revision's file would be read-only from the start, and on Windows a read-only file
    cannot be deleted without clearing the attribute it shares with the finalised revision —
    a failed build could not remove its staging folder without making a finalised file writable.
    The first revision after a finalised one copies what it shares with it, once.
    """
    try:
        found = twin.stat()
        if not found.st_mode & stat.S_IWUSR or found.st_size != len(data) or twin.read_bytes() != data:
            return False
        os.link(twin, target)
    except (OSError, NotImplementedError):
        return False
    return True


def earlier_twins(folder: Path, before: int, last: int = 3) -> dict[str, Path]:
    """Return ``{sha256: file}`` of the outputs and inputs of the ``last`` revisions of ``folder``
    numbered below ``before``, as their manifests list them (newest first wins); {} when
    identical files are not shared (:data:`SHARE_IDENTICAL` False).

    A new revision links its files that are byte-identical to one of these instead of writing
    them again: a one-figure correction adds only what changed (every file is compared byte for
    byte before linking, so an altered earlier file is never taken over).
    """
    if not SHARE_IDENTICAL:
        return {}
    twins: dict[str, Path] = {}
    for number in sorted((n for n in revision_numbers(folder) if n < before), reverse=True)[:last]:
        revision = folder / revision_name(number)
        try:
            manifest = read_manifest(revision)
            stored = read_recipes(revision)
        except ArchiveProblem:
            continue
        for entry in (manifest.get("outputs") or []) + (manifest.get("inputs") or []):
            if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) \
                    and isinstance(entry.get("path"), str) and entry["path"] not in stored:
                with contextlib.suppress(ValueError):
                    twins.setdefault(entry["sha256"], revision / _safe_relative(entry["path"]))
    return twins


def _hashes(entries: list) -> dict[str, str]:
    """Return ``{path: sha256}`` of the manifest entries whose path and SHA-256 are both strings
    (a damaged entry is left out here, for ``verify`` to report)."""
    return {e["path"]: e["sha256"] for e in entries
            if isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("sha256"), str)}


def _writable(path: Path) -> bool:
    """Whether ``path``'s mode has its owner's write bit (a finalised revision's file has not):
    its mode, not ``os.access``, which is always true for root."""
    return bool(path.stat().st_mode & stat.S_IWUSR)


def pack_revision(manifest: dict, name: str) -> int | None:
    """Return the revision whose draft mark pack ``name`` of a revision carries: the revision in
    which its content last changed (``pack_revisions`` of its manifest), else the revision's own
    number (manifests from before packs kept their mark); None when it is no whole number."""
    marks = manifest.get("pack_revisions")
    recorded = marks.get(name, manifest.get("revision")) if isinstance(marks, dict) else manifest.get("revision")
    return recorded if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded > 0 else None


def earlier_packs(folder: Path, before: int) -> dict[str, tuple[int, str]]:
    """Return ``{pack name: (the revision its mark names, SHA-256)}`` of each pack as the newest
    revision of ``folder`` numbered below ``before`` that holds it records it.

    A new revision keeps a pack's earlier mark when the pack, stamped with it, is byte-identical
    to that file (see ``review.pipeline.build``): only a pack whose content changed gets the new
    number, and the others are shared with the earlier revision (hard links). A partial revision
    (``--sector``) holds some packs: the others are looked up further back. Unreadable manifests
    are skipped (the pack then gets the new number).
    """
    found: dict[str, tuple[int, str]] = {}
    for number in sorted((n for n in revision_numbers(folder) if n < before), reverse=True):
        try:
            manifest = read_manifest(folder / revision_name(number))
        except ArchiveProblem:
            continue
        for entry in manifest["outputs"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) \
                    or not is_pack(entry["path"]) or entry["path"] in found:
                continue
            stamp = pack_revision(manifest, entry["path"])
            if stamp is not None and isinstance(entry.get("sha256"), str):
                found[entry["path"]] = (stamp, entry["sha256"])
        if not is_partial(manifest):
            break  # a full revision holds every pack of its time: older ones are older versions
    return found


def _fsync_dir(folder: Path) -> None:
    # Makes a rename or a new entry durable; Windows cannot open a directory, and does not need to.
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_tree(folder: Path, files: dict[str, bytes], sync: bool = True,
                twins: dict[str, Path] | None = None) -> None:
    # A revision holds a thousand small files at national scale: one os.sync() for all of them
    # costs a tenth of an fsync each. Windows has no os.sync, so there each file is synced.
    # ``sync`` False leaves the files to the os.sync() of a later call on the same folder.
    # ``twins`` ({sha256: earlier file}, see earlier_twins): identical files are linked to them.
    batch = hasattr(os, "sync")
    made: set[Path] = set()
    for name in sorted(files):
        twin = twins.get(sha256(files[name])) if twins else None
        _write_file(folder / _safe_relative(name), files[name], durable=not batch, twin=twin, made=made)
    if not sync:
        return
    if batch:
        os.sync()
    for directory in sorted({p for p in folder.rglob("*") if p.is_dir()}, key=lambda p: -len(p.parts)):
        _fsync_dir(directory)
    _fsync_dir(folder)


def replace_file(target: Path, data: bytes, durable: bool = True) -> None:
    """Write ``target`` atomically: a temporary file beside it, then ``os.replace`` — the one way
    anything below the output folder (and the reports beside it) is written in place.

    The folder is created when missing; the file gets the usual permissions (umask), not 0600.
    ``durable`` also flushes the file and its folder to disk before returning (the archive); the
    cache, which may lose an entry at no cost, skips it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's files are private; the index and manifests are not
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        if target.exists() and not os.access(target, os.W_OK):
            os.chmod(target, stat.S_IREAD | stat.S_IWRITE)  # Windows refuses to replace a read-only file
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        _fsync_dir(target.parent)


def publish(folder: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` into ``folder`` atomically (all or nothing) and return the folder.

    For outputs outside the archive of revisions (the data-collection forms): an existing folder is
    replaced only after the new one is complete.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = _make_dir(folder.parent, f".{folder.name}.building-")
    try:
        _write_tree(staging, files)
        previous = None
        if folder.exists():
            previous = folder.with_name(f".{folder.name}.previous-{staging.name.rsplit('-', 1)[-1]}")
            folder.rename(previous)
        staging.rename(folder)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


# -- locking --------------------------------------------------------------------------------------

@contextlib.contextmanager
def locked(folder: Path, plan_id: str, period: Period | str, timeout: float | None = None) -> Iterator[None]:
    """Hold the period's lock file while the block runs, so two builds never interleave.

    Waits up to ``timeout`` seconds (default :data:`LOCK_TIMEOUT`) for another build, then raises
    UsageError. The lock is released
    by the operating system when the process dies, so a killed build never blocks the next one.
    """
    from filelock import FileLock, Timeout
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_FILE), timeout=LOCK_TIMEOUT if timeout is None else timeout)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(f"another build of {plan_id} {period} is running (lock file "
                         f"{display_path(folder / LOCK_FILE)}); try again when it finishes") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def reading(folder: Path, plan_id: str, period: Period | str) -> Iterator[None]:
    """Hold the period's lock (:func:`locked`) while the block reads its revisions (``verify``,
    ``extract``, ``rebuild``): a build converts earlier revisions to recipes after writing a new
    one, so a reader must not see a revision half converted. Where the lock file cannot be
    created (an archive on read-only media, which no build changes either), reads without it."""
    try:
        context = locked(folder, plan_id, period)
        context.__enter__()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        context.__exit__(None, None, None)


def clean_staging(folder: Path) -> list[Path]:
    """Remove the staging folders an interrupted build left in a period folder; return them.

    Call only while holding the period's lock.
    """
    removed = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name.startswith(STAGING_PREFIX):
                _make_writable(path)
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


# -- manifests and the index ----------------------------------------------------------------------

def _read_json(path: Path) -> object:
    """Return the JSON value of one of the archive's records (manifest, index, final record).

    Raises FileNotFoundError when it is missing, ValueError when it is no UTF-8 JSON, nested
    beyond what the parser follows, or larger than :data:`MAX_RECORD_BYTES` (not read then), and
    OSError when it cannot be read.
    """
    size = path.stat().st_size
    if size > MAX_RECORD_BYTES:
        raise ValueError(f"{size:,} bytes, more than any build writes (at most {MAX_RECORD_BYTES:,})")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply to be read") from None


def read_manifest(revision: Path) -> dict:
    """Return the manifest of a revision folder; raises ArchiveProblem when missing or unreadable."""
    path = revision / MANIFEST
    try:
        manifest = _read_json(path)
    except FileNotFoundError:
        what = "missing"
    except (OSError, ValueError) as exc:
        what = f"unreadable ({exc})"
    else:
        if isinstance(manifest, dict) and isinstance(manifest.get("outputs"), list) \
                and isinstance(manifest.get("inputs"), list):
            return manifest
        what = "not a review manifest (expected inputs and outputs lists)"
    raise ArchiveProblem(f"{display_path(path)}: {what}", what)


def numbering_bytes(numbers: dict[str, int]) -> bytes:
    """Return the decisions' numbers as ``decisions.json`` holds them (sorted, UTF-8)."""
    return _json_bytes(numbers)


def read_numbering(data: bytes, path: Path) -> dict[str, int]:
    """Return the decisions' numbers held in ``data`` (the bytes of ``path``); raises
    ArchiveProblem unless they are an object of keys and whole numbers from 1, none given twice."""
    try:
        numbers = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        what = f"unreadable ({exc})"
    else:
        if isinstance(numbers, dict) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                             for n in numbers.values()) \
                and len(set(numbers.values())) == len(numbers):
            return numbers
        what = 'not the decisions\' numbers (expected {"<rule>:<items>": 1, …}, each number once)'
    raise ArchiveProblem(f"{display_path(path)}: {what}", what)


def latest_numbering(folder: Path) -> bytes | None:
    """Return the ``decisions.json`` of the latest revision of a period folder that has one (the
    numbers the next revision keeps), None when none has; raises ArchiveProblem when it is damaged."""
    for number in reversed(revision_numbers(folder)):
        path = folder / revision_name(number) / DECISIONS
        if path.is_file() and not path.is_symlink():
            if path.stat().st_size > MAX_RECORD_BYTES:
                raise ArchiveProblem(f"{display_path(path)}: larger than {MAX_RECORD_BYTES:,} bytes")
            data: bytes | None = path.read_bytes()
        else:
            data = _recipe_numbering(folder / revision_name(number))  # kept as a recipe
        if data is None:
            continue
        read_numbering(data, path)  # a damaged one is named here, before any work
        return data
    return None


def _recipe_numbering(revision: Path) -> bytes | None:
    """Return the ``decisions.json`` a revision keeps as a recipe, checked against its manifest
    (at most :data:`MAX_RECORD_BYTES`); None when it keeps none. Raises ArchiveProblem."""
    path = revision / DECISIONS
    try:
        recipe = read_recipes(revision).get(DECISIONS)
    except ArchiveProblem:
        return None  # no recipe to read (verify reports the record)
    if recipe is None:
        return None
    entries = [e for e in read_manifest(revision)["outputs"] if isinstance(e, dict) and e.get("path") == DECISIONS]
    size = entries[0].get("size") if entries else None
    if not isinstance(size, int) or size > MAX_RECORD_BYTES:
        raise ArchiveProblem(f"{display_path(path)}: its manifest records no size of at most {MAX_RECORD_BYTES:,} bytes")
    try:
        store = revision.parent / STORE_DIR
        data = chunks.reassemble(store, recipe, borrowed=chunks.read_borrowed(store))
    except chunks.ChunkProblem as exc:
        raise ArchiveProblem(f"{display_path(path)}: {exc}", str(exc)) from None
    if len(data) != size or sha256(data) != entries[0].get("sha256"):
        raise ArchiveProblem(f"{display_path(path)}: its recipe does not give the bytes its manifest records")
    return data


def is_partial(manifest: dict) -> bool:
    """Return True when a revision holds the packs of some sectors only (``review build --sector``).

    Manifests written before ``partial`` was recorded say so by their sectors option.
    """
    partial = manifest.get("partial")
    if isinstance(partial, bool):
        return partial
    return bool((manifest.get("options") or {}).get("sectors"))


def _summary(number: int, manifest: dict) -> dict:
    final = manifest.get("final") or None
    return {"revision": number, "folder": revision_name(number), "issue_date": manifest.get("issue_date"),
            "built_at": manifest.get("built_at"), "version": manifest.get("version"),
            "sectors": manifest.get("options", {}).get("sectors"), "pdf": manifest.get("options", {}).get("pdf"),
            "partial": is_partial(manifest),
            "fingerprint": manifest.get("fingerprint"), "final": final is not None,
            "finalized_at": final.get("finalized_at") if final else None,
            "amends": manifest.get("amends"), "reason": manifest.get("reason")}


def read_final_record(folder: Path) -> list[dict]:
    """Return the entries of a period's ``final.json`` (``revision``, ``folder``, ``finalized_at``,
    ``manifest_sha256``, ``outputs``), oldest first; [] when no revision was ever finalised.

    Raises ArchiveProblem when the file is unreadable or its entries are not such records.
    """
    path = folder / FINAL_RECORD
    try:
        record = _read_json(path)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        what = f"unreadable ({exc})"
    else:
        entries = record.get("finals") if isinstance(record, dict) else None
        if isinstance(entries, list) and all(
                isinstance(e, dict) and isinstance(e.get("revision"), int) and e.get("revision", 0) > 0
                and isinstance(e.get("manifest_sha256"), str) for e in entries):
            return sorted(entries, key=lambda e: e["revision"])
        what = "not a record of finalised revisions (expected finals: [{revision, manifest_sha256, …}])"
    raise ArchiveProblem(f"{display_path(path)}: {what}", what)


def _final_entries(folder: Path) -> list[dict]:
    """Return :func:`read_final_record`, or [] when it is unreadable (``verify`` reports that)."""
    try:
        return read_final_record(folder)
    except ArchiveProblem:
        return []


def _record_final(folder: Path, number: int, manifest: dict) -> None:
    """Add revision ``number`` (finalised, its ``manifest`` on disk) to ``final.json``, once.

    Raises ArchiveProblem when ``final.json`` is unreadable: rewriting it would lose its record.
    """
    entries = read_final_record(folder)
    if any(e["revision"] == number for e in entries):
        return
    data = (folder / revision_name(number) / MANIFEST).read_bytes()
    entries.append({"revision": number, "folder": revision_name(number),
                    "finalized_at": manifest["final"].get("finalized_at"), "manifest_sha256": sha256(data),
                    "outputs": manifest["final"].get("outputs", [])})
    path = folder / FINAL_RECORD
    replace_file(path, _json_bytes({"format": ARCHIVE_FORMAT, "plan": manifest.get("plan"),
                                    "period": manifest.get("period", folder.name),
                                    "finals": sorted(entries, key=lambda e: e["revision"])}))
    os.chmod(path, stat.S_IMODE(path.stat().st_mode) & _NO_WRITE)


def period_index(folder: Path, plan_id: str, period: Period | str) -> dict:
    """Return the index of a period folder, derived from its revisions' manifests and ``final.json``.

    ``latest`` is the newest revision, ``latest_full`` the newest one that is not partial
    (``--sector``), ``final`` the newest finalised one (None when there is none). A revision whose
    manifest is unreadable is listed with ``"manifest": "unreadable"``; a finalised revision whose
    folder is gone stays listed, with ``"missing": true``.
    """
    recorded = {e["revision"]: e for e in _final_entries(folder)}
    numbers = revision_numbers(folder)
    revisions = []
    for number in sorted(set(numbers) | set(recorded)):
        if number not in numbers:
            revisions.append({"revision": number, "folder": revision_name(number), "missing": True,
                              "final": True, "finalized_at": recorded[number].get("finalized_at")})
            continue
        try:
            summary = _summary(number, read_manifest(folder / revision_name(number)))
        except ArchiveProblem:
            summary = {"revision": number, "folder": revision_name(number), "manifest": "unreadable"}
        if number in recorded:
            summary["final"] = True
        revisions.append(summary)
    present = [r for r in revisions if not r.get("missing")]
    full = [r["revision"] for r in present if r.get("partial") is False]
    finals = [r["revision"] for r in revisions if r.get("final")]
    return {"format": ARCHIVE_FORMAT, "plan": plan_id, "period": str(period), "revisions": revisions,
            "latest": present[-1]["revision"] if present else None,
            "latest_full": full[-1] if full else None, "final": finals[-1] if finals else None}


def write_index(folder: Path, plan_id: str, period: Period | str) -> dict:
    """Rewrite ``index.json`` of a period folder from its manifests and ``final.json`` (atomically)
    when it changed; return it."""
    index = period_index(folder, plan_id, period)
    data = _json_bytes(index)
    path = folder / INDEX
    if not path.is_file() or path.read_bytes() != data:
        replace_file(path, data)
    return index


def final(folder: Path) -> tuple[int, str] | None:
    """Return the newest finalised revision of a period folder and when it was finalised, or None.

    A revision counts as finalised when ``final.json`` records it (even when its folder is gone) or
    its manifest says so.
    """
    found = {e["revision"]: str(e.get("finalized_at") or "?") for e in _final_entries(folder)}
    for number in reversed(revision_numbers(folder)):
        if number in found:
            break
        with contextlib.suppress(ArchiveProblem):
            manifest = read_manifest(folder / revision_name(number))
            if manifest.get("final"):
                found[number] = str(manifest["final"].get("finalized_at") or "?")
                break
    if not found:
        return None
    number = max(found)
    return number, found[number]


def next_revision_number(folder: Path) -> int:
    """Return the number of the next revision of a period folder: one above every revision there
    is or was (a folder, an entry of ``index.json`` or of ``final.json``), so that a number is
    never given twice, even after a revision was deleted."""
    used = set(revision_numbers(folder)) | {e["revision"] for e in _final_entries(folder)}
    with contextlib.suppress(OSError, ValueError):
        index = _read_json(folder / INDEX)
        listed = index.get("revisions") if isinstance(index, dict) else None
        used |= {r["revision"] for r in (listed if isinstance(listed, list) else [])
                 if isinstance(r, dict) and isinstance(r.get("revision"), int)}
    return max(used, default=0) + 1


# -- writing a revision ---------------------------------------------------------------------------

def stage_inputs(folder: Path, number: int, inputs: dict[str, bytes]) -> Path:
    """Start revision ``number``: create its staging folder and write the input snapshot there.

    ``inputs`` are named as for :func:`write_revision`, which completes the revision (pass it the
    folder returned as ``staging``); until then nothing is durable, and :func:`discard_staging`
    removes it. A build writes the snapshot while its workers render. Call while holding the lock.
    """
    staging = _make_dir(folder, f"{STAGING_PREFIX}{revision_name(number)}-")
    try:
        _write_tree(staging, inputs, sync=False, twins=earlier_twins(folder, number))
    except BaseException:
        discard_staging(staging)
        raise
    return staging


def discard_staging(staging: Path) -> None:
    """Remove a staging folder of :func:`stage_inputs` (a build that failed before completing it)."""
    shutil.rmtree(staging, ignore_errors=True)


def write_revision(folder: Path, number: int, outputs: dict[str, bytes], inputs: dict[str, bytes],
                   manifest: dict, staging: Path | None = None,
                   progress: Callable[[str], None] = lambda message: None) -> Path:
    """Write revision ``number`` (outputs, ``snapshot/`` inputs, ``manifest.json``) and return its folder.

    ``inputs`` are named relative to the revision (``snapshot/plan.yaml``); ``manifest`` gets the
    input and output lists added. ``staging``: the folder of :func:`stage_inputs`, holding the
    inputs already. The revision appears as ``r<N>`` only once every byte is on disk;
    ``index.json`` is rewritten afterwards, then the earlier revisions keep by recipe what this one
    does not share with them (:func:`store_changes`): once the revision is written, a failure
    there is a warning (``progress``), never a failed build — the files it did not convert stay
    whole, and the archive verifies. Call while holding the period's lock.
    """
    target = folder / revision_name(number)
    if target.exists():
        raise ArchiveProblem(f"{display_path(target)} already exists; a revision is never overwritten")
    overlap = (set(outputs) & set(inputs)) | {n for n in outputs if n == MANIFEST
                                               or n.startswith((f"{SNAPSHOT}/", f"{FINAL_DIR}/"))}
    if overlap:
        raise ValueError(f"output names clash with the archive's own files: {sorted(overlap)}")
    manifest = dict(manifest, format=ARCHIVE_FORMAT, revision=number,
                    inputs=file_entries(inputs), outputs=file_entries(outputs))
    if staging is None:
        staging = stage_inputs(folder, number, inputs)
    try:
        twins = earlier_twins(folder, number)
        names = sorted(outputs)
        half = len(names) // 2
        _write_tree(staging, {n: outputs[n] for n in names[:half]}, sync=False, twins=twins)
        pause_at("staging")
        _write_tree(staging, {n: outputs[n] for n in names[half:]}, twins=twins)
        _write_file(staging / MANIFEST, _json_bytes(manifest))
        _fsync_dir(staging)
        pause_at("staged")
        os.rename(staging, target)
    except BaseException:
        discard_staging(staging)
        raise
    _fsync_dir(folder)
    write_index(folder, manifest.get("plan", ""), manifest.get("period", folder.name))
    try:
        store_changes(folder)
    except Exception as exc:  # the new revision is written; the earlier ones stay whole where not converted
        progress(f"warning: the earlier revisions of {folder.name} were not (all) converted to recipes "
                 f"({type(exc).__name__}: {exc}); they keep those files whole, and the next build tries again")
    return target


def _make_read_only(folder: Path) -> None:
    # Clearing the write bits is what Windows honours too (it sets the read-only attribute). The
    # folders lose them last, deepest first: a read-only folder keeps its files from being
    # deleted, renamed or added to, which read-only files alone do not.
    paths = [p for p in [folder, *folder.rglob("*")] if not p.is_symlink()]
    for path in sorted(paths, key=lambda p: (p.is_dir(), -len(p.parts))):
        os.chmod(path, stat.S_IMODE(path.stat().st_mode) & _NO_WRITE)


def _make_writable(folder: Path) -> None:
    # Folders first, top down: a read-only folder's entries cannot be changed, nor listed by rglob.
    if folder.is_dir() and not folder.is_symlink():
        with contextlib.suppress(OSError):
            os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) | stat.S_IWUSR)
        for path in sorted(folder.iterdir()):
            if path.is_dir() and not path.is_symlink():
                _make_writable(path)
            elif path.is_file() and not path.is_symlink() and not os.access(path, os.W_OK) \
                    and path.stat().st_nlink == 1:  # a shared file's mode is its other revisions' too
                with contextlib.suppress(OSError):
                    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)


def finalize_revision(folder: Path, number: int, final_outputs: dict[str, bytes],
                      finalized_at: str | None = None, paged: bool = False) -> Path:
    """Mark revision ``number`` final: add ``final/`` (``final_outputs``, named without the prefix),
    record their hashes in its manifest and the manifest's hash in ``final.json``, make the revision
    read-only (files and folders) and update ``index.json``. ``paged`` records that LibreOffice laid
    the final packs out (their contents carry page numbers; a rebuild needs LibreOffice too).

    The files it kept as recipes are written whole first (:func:`make_whole`); nothing else in the
    revision changes. Call while holding the period's lock, after checking with
    :func:`verify_revision` that the revision is intact. Returns the revision folder.
    """
    revision = folder / revision_name(number)
    manifest = read_manifest(revision)
    if manifest.get("final"):
        raise UsageError(f"{display_path(revision)} is already final")
    make_whole(revision)  # a finalised revision keeps every file whole
    leftover = revision / FINAL_DIR
    if leftover.exists():  # a finalize killed after moving final/ in, before the manifest said so
        _make_writable(leftover)
        shutil.rmtree(leftover)
    staging = _make_dir(folder, f"{STAGING_PREFIX}{revision_name(number)}-final-")
    try:
        _write_tree(staging, final_outputs)
        pause_at("finalizing")
        os.rename(staging, leftover)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(revision)
    entries = [dict(e, path=f"{FINAL_DIR}/{e['path']}") for e in file_entries(final_outputs)]
    manifest["final"] = {"finalized_at": finalized_at or utc_now(), "outputs": entries}
    if paged:
        manifest["final"]["contents_pages"] = True
    replace_file(revision / MANIFEST, _json_bytes(manifest))
    _record_final(folder, number, manifest)
    _make_read_only(revision)
    write_index(folder, manifest.get("plan", ""), manifest.get("period", folder.name))
    return revision


# -- earlier revisions by the change: the content store ---------------------------------------------

def read_recipes(revision: Path) -> dict[str, list[str]]:
    """Return ``{file name: its chunks}`` of a revision's ``recipes.json``; {} when it has none.

    Raises ArchiveProblem when it is unreadable or not such a record.
    """
    path = revision / RECIPES
    try:
        record = _read_json(path)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        what = f"unreadable ({exc})"
    else:
        files = record.get("files") if isinstance(record, dict) else None
        if isinstance(files, dict) and all(
                isinstance(name, str) and _is_safe(name) and isinstance(recipe, list)
                and all(chunks.is_digest(d) for d in recipe) for name, recipe in files.items()):
            return files
        what = 'not a record of recipes (expected {"files": {"<name>": ["<chunk SHA-256>", …]}})'
    raise ArchiveProblem(f"{display_path(path)}: {what}", what)


def _is_safe(name: str) -> bool:
    try:
        _safe_relative(name)
    except ValueError:
        return False
    return name not in (MANIFEST, RECIPES)


def _write_recipes(revision: Path, recipes: dict[str, list[str]]) -> None:
    # One line: a recipe is read by the archive, not by people (a revision's is tens of kilobytes).
    data = (json.dumps({"format": ARCHIVE_FORMAT, "files": recipes}, ensure_ascii=False, sort_keys=True,
                       separators=(",", ":")) + "\n").encode("utf-8")
    replace_file(revision / RECIPES, data)


def revision_bytes(revision: Path, name: str) -> bytes | None:
    """Return the bytes of file ``name`` of a revision: the file itself, or reassembled from its
    recipe (not checked against the manifest; :func:`revision_files` does); None when it has
    neither. Raises ArchiveProblem when its recipe names a missing or altered chunk."""
    path = revision / name
    if path.is_file() and not path.is_symlink():
        return path.read_bytes()
    recipe = read_recipes(revision).get(name)
    if recipe is None:
        return None
    try:
        store = revision.parent / STORE_DIR
        return chunks.reassemble(store, recipe, borrowed=chunks.read_borrowed(store))
    except chunks.ChunkProblem as exc:
        raise ArchiveProblem(f"{display_path(path)}: {exc}", str(exc)) from None


def revision_files(revision: Path) -> dict[str, bytes]:
    """Return every file a revision's manifest lists (inputs, outputs, final packs) and the
    manifest itself, whole, each checked against its size and SHA-256; raises ArchiveProblem
    naming every file that is missing or differs."""
    manifest = read_manifest(revision)
    recipes = read_recipes(revision)
    store = revision.parent / STORE_DIR
    borrowed = chunks.read_borrowed(store) if recipes else None
    checked: dict[str, bytes] = {}
    files, problems = {MANIFEST: (revision / MANIFEST).read_bytes()}, []
    for entry in _recorded(manifest):
        name = str(entry.get("path"))
        try:
            path = revision / _safe_relative(name)
        except ValueError:
            problems.append(f"{display_path(revision / MANIFEST)}: bad file entry {entry!r}")
            continue
        try:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
            elif name in recipes:
                data = chunks.reassemble(store, recipes[name], checked, borrowed)
            else:
                problems.append(f"{display_path(path)}: missing")
                continue
        except (OSError, chunks.ChunkProblem) as exc:
            problems.append(f"{display_path(path)}: {exc}")
            continue
        if len(data) != entry.get("size") or sha256(data) != entry.get("sha256"):
            problems.append(f"{display_path(path)}: changed (SHA-256 {sha256(data)[:12]}…, expected "
                            f"{str(entry.get('sha256'))[:12]}…)")
            continue
        files[name] = data
    if problems:
        raise ArchiveProblem(f"{display_path(revision)} does not verify:\n  " + "\n  ".join(problems))
    return files


def extract(folder: Path, number: int | None, target: Path) -> tuple[int, int]:
    """Write revision ``number`` (default: the latest) of a period folder whole into ``target``, a
    new or empty folder, for reading: every file its manifest lists and the manifest; return
    ``(number, files written)``. All or nothing: raises ArchiveProblem (exit 1) when a file does
    not verify, UsageError when ``target`` is a file, a folder that is not empty, or inside the
    output folder."""
    number = resolve_revision(folder, number)
    target = Path(target)
    root = folder.resolve().parent.parent
    where = target.resolve()
    if where == root or root in where.parents:
        raise UsageError(f"{display_path(target)}: inside the output folder {display_path(root)}; "
                         "expected a folder outside it to extract into (the archive holds only what builds write)")
    if target.exists() and (not target.is_dir() or target.is_symlink() or any(target.iterdir())):
        raise UsageError(f"{display_path(target)}: expected a new or empty folder to extract into")
    files = revision_files(folder / revision_name(number))
    publish(target, files)
    return number, len(files)


@contextlib.contextmanager
def whole_revision(revision: Path) -> Iterator[Path]:
    """Yield a folder holding every file of ``revision`` whole: the revision itself when it keeps
    none as a recipe, else a temporary copy (removed afterwards; raises ArchiveProblem when a file
    does not verify). For reading only: ``archive rebuild`` renders from it."""
    recipes = read_recipes(revision)
    if all((revision / name).is_file() for name in recipes):
        yield revision
        return
    files = revision_files(revision)
    with tempfile.TemporaryDirectory(prefix="review-revision-") as temporary:
        copy = Path(temporary) / revision.name
        _write_tree(copy, files, sync=False)
        yield copy


def make_whole(revision: Path) -> int:
    """Write back whole every file a revision keeps as a recipe, then remove its ``recipes.json``;
    return how many files were written. Each file is checked against the manifest first and
    written atomically, so a revision interrupted here keeps each file whole or by recipe (both
    verify) and a second call completes it. Raises ArchiveProblem when a file does not verify.
    Call while holding the period's lock (``archive finalize`` does, before making it read-only)."""
    remove_temporaries(revision)
    recipes = read_recipes(revision)
    if not recipes:
        return 0
    manifest = read_manifest(revision)
    recorded = _hashes(manifest["inputs"] + manifest["outputs"])
    store = revision.parent / STORE_DIR
    borrowed = chunks.read_borrowed(store)
    checked: dict[str, bytes] = {}
    written = 0
    for name in sorted(recipes):
        path = revision / _safe_relative(name)
        if path.is_file() or name not in recorded:
            continue
        try:
            data = chunks.reassemble(store, recipes[name], checked, borrowed)
        except chunks.ChunkProblem as exc:
            raise ArchiveProblem(f"{display_path(path)}: {exc}", str(exc)) from None
        if sha256(data) != recorded[name]:
            raise ArchiveProblem(f"{display_path(path)}: its recipe does not give the bytes its manifest records")
        replace_file(path, data)
        written += 1
    (revision / RECIPES).unlink()
    _fsync_dir(revision)
    return written


def _kept_whole(folder: Path, numbers: list[int]) -> tuple[set[int], set[str]]:
    """Return the revisions that keep every file whole (the latest, and the latest full one when
    the latest is partial) and the SHA-256 of every file they hold."""
    keep: set[int] = set()
    hashes: set[str] = set()
    for number in reversed(numbers):
        try:
            manifest = read_manifest(folder / revision_name(number))
        except ArchiveProblem:
            keep.add(number)  # unreadable: never touched (verify reports it)
            continue
        keep.add(number)
        hashes |= {e["sha256"] for e in manifest["inputs"] + manifest["outputs"]
                   if isinstance(e, dict) and isinstance(e.get("sha256"), str)}
        if not is_partial(manifest):
            break
    return keep, hashes


def store_changes(folder: Path) -> tuple[int, int]:
    """Keep the period's earlier revisions by the change; return ``(files converted, bytes added
    to the store)``.

    The latest revision (and the latest full one, when the latest is partial) and every finalised
    revision keep every file whole. Each other revision that has no ``recipes.json`` yet keeps
    whole only the files those share with it (hard links) and replaces each other file by a recipe
    of its chunks: a chunk in ``<period>/.store/`` already is used (checked first); one that is the
    same bytes as a part of a file the latest (or latest full) revision holds whole — its version
    of the same file, or a chart, the pictures inside the packs — is *borrowed* from there
    (recorded in ``.store/borrowed.json``, nothing written); any other is written to the store.

    Order (crash safety): the new chunks are written; every borrowed chunk whose place is in a file
    this conversion removes is re-pointed to a file that stays whole, or written to the store
    (never lost); the chunks are synced; ``borrowed.json`` is written (atomically, synced); each
    recipe is reassembled and checked against the manifest's SHA-256 (a file whose recipe does not
    give its bytes stays whole, without a recipe); ``recipes.json`` is written (atomically,
    synced); then the whole files are removed (one that cannot be, e.g. open in another program on
    Windows, stays whole; one ``borrowed.json`` still points into is never removed). A whole file
    that is read-only (a link to a finalised revision's file) or no longer matches its manifest
    stays. A file also held, as the same file (a link), by an earlier revision already converted
    becomes a recipe there too. ``converting.json`` in the store names the revisions changed until
    the whole files are gone, so an interrupted conversion leaves each file whole or by recipe
    (both verify) and the next call finishes it. An earlier revision converted before is not read
    (its ``recipes.json`` only when it shares a file with one converted now). Raises ArchiveProblem
    (before changing anything) when ``borrowed.json`` is unreadable: the chunks it records could
    not be kept. Call while holding the period's lock.
    """
    store = folder / STORE_DIR
    _finish_converting(folder)
    numbers = revision_numbers(folder)
    if not STORE_CHANGES or len(numbers) < 2:
        return 0, 0
    keep, shared = _kept_whole(folder, numbers)
    finals = {e["revision"] for e in _final_entries(folder)}
    # A converted revision has recipes.json (finalize removes it before the manifest says final).
    candidates = [n for n in numbers if n not in keep and n not in finals]
    converted_before = [n for n in candidates if (folder / revision_name(n) / RECIPES).exists()]
    targets = [n for n in candidates if n not in converted_before]
    if not targets:
        return 0, 0
    old = chunks.read_borrowed(store)
    if old.problem is not None:
        raise ArchiveProblem(f"{display_path(store / BORROWED)}: {old.problem}; the earlier revisions "
                             "keep their files whole until it is restored (or removed)", old.problem)
    earlier: dict[int, dict[str, list[str]] | None] = {}  # read when a file is shared with them

    def earlier_recipes(number: int) -> dict[str, list[str]] | None:
        if number not in earlier:
            try:
                earlier[number] = read_recipes(folder / revision_name(number))
            except ArchiveProblem:  # an unreadable recipes.json: left as it is (verify says so)
                earlier[number] = None
        return earlier[number]

    converted: dict[int, dict[str, list[str]]] = {n: {} for n in targets}
    planned: list[tuple[int, str, str]] = []  # (revision, file, its manifest's SHA-256)
    for number in targets:
        revision = folder / revision_name(number)
        remove_temporaries(revision)
        try:
            manifest = read_manifest(revision)
        except ArchiveProblem:
            manifest = {"final": "unreadable"}
        if manifest.get("final"):  # unreadable, or a finalize interrupted before final.json: untouched
            del converted[number]
            continue
        for name, digest in sorted(_hashes(manifest["inputs"] + manifest["outputs"]).items()):
            if digest in shared or not _is_safe(name):
                continue
            path = revision / name
            if path.is_file() and not path.is_symlink() and _writable(path):
                planned.append((number, name, digest))
    sources = _borrow_sources(folder, keep, {name for _, name, _ in planned})
    places = dict(old.places)

    def borrow(digest: str) -> bool:  # a chunk not in the store: borrowed from a place just checked
        if digest in sources:
            places[digest] = sources[digest]
            return True
        return False

    batch = hasattr(os, "sync")
    expected: dict[str, str] = {}  # {name@revision: sha256} of each file converted
    added = 0
    for number, name, digest in planned:
        path = folder / revision_name(number) / name
        data = path.read_bytes()
        if sha256(data) != digest:
            continue  # altered since its manifest: left whole for verify to report
        recipe, written = chunks.store_file(store, name, data, durable=not batch, borrow=borrow)
        converted[number][name] = recipe
        expected[f"{number}/{name}"] = digest
        added += written
        links = path.stat().st_nlink - 1
        for other in reversed(converted_before):  # the same file in earlier revisions converted before
            if links <= 0:
                break
            twin = folder / revision_name(other) / name
            if twin.is_file() and os.path.samefile(twin, path):
                links -= 1
                if earlier_recipes(other) is not None:
                    converted.setdefault(other, {})[name] = recipe
                    expected[f"{other}/{name}"] = digest
    converted = {n: r for n, r in converted.items() if r or n in targets}
    if not converted:
        return 0, 0
    added += _relocate(folder, old, places, sources, converted, durable=not batch)
    if batch:
        os.sync()
    store.mkdir(exist_ok=True)
    _fsync_dir(store)
    borrowed = chunks.Borrowed(folder, places)
    if places != old.places:  # before any recipe names a chunk borrowed now
        replace_file(store / BORROWED, borrowed.to_bytes())
    # Every recipe read back and checked before anything names it (each chunk read once a
    # revision: memory bounded by a revision's converted files).
    for number, recipes in converted.items():
        checked: dict[str, bytes] = {}
        for name in sorted(recipes):
            try:
                good = sha256(chunks.reassemble(store, recipes[name], checked, borrowed)) \
                    == expected[f"{number}/{name}"]
            except chunks.ChunkProblem:
                good = False
            if not good:
                del recipes[name]
    replace_file(store / CONVERTING, _json_bytes({"revisions": sorted(converted)}))
    for number in sorted(converted):
        revision = folder / revision_name(number)
        recipes = dict(earlier_recipes(number) or {}) if number in converted_before else {}
        recipes.update(converted[number])
        _write_recipes(revision, recipes)
    pause_at("storing")
    sources_kept = set(borrowed.files())
    for number in sorted(converted):
        _remove_stored(folder / revision_name(number), converted[number], sources_kept)
    (store / CONVERTING).unlink()
    _fsync_dir(store)
    return sum(len(r) for r in converted.values()), added


def _borrow_sources(folder: Path, keep: set[int], names: set[str]) -> dict[str, tuple[str, int, int]]:
    """Return ``{chunk SHA-256: (file, offset, size)}`` of the chunks a conversion may borrow: those
    of the files the revisions in ``keep`` hold whole that are named as one converted (``names``:
    the latest's version of the same file) or are a chart (``charts/*.png``: the pictures inside
    the packs), each read only when it matches its manifest. Files named relative to ``folder``."""
    sources: dict[str, tuple[str, int, int]] = {}
    for number in sorted(keep, reverse=True):
        revision = folder / revision_name(number)
        try:
            manifest = read_manifest(revision)
        except ArchiveProblem:
            continue
        for name, digest in sorted(_hashes(manifest["inputs"] + manifest["outputs"]).items()):
            if name not in names and not (name.startswith("charts/") and name.endswith(".png")) \
                    or not _is_safe(name):
                continue
            path = revision / name
            try:
                if not path.is_file() or path.is_symlink():
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if sha256(data) != digest:
                continue  # altered: never a place to borrow from (verify reports it)
            for chunk, offset, size in chunks.chunk_places(name, data):
                sources.setdefault(chunk, (f"{revision.name}/{name}", offset, size))
    return sources


def _relocate(folder: Path, old: chunks.Borrowed, places: dict[str, tuple[str, int, int]],
              sources: dict[str, tuple[str, int, int]], converted: dict[int, dict[str, list[str]]],
              durable: bool) -> int:
    """Before a conversion removes the whole files it converted, re-point each borrowed chunk
    whose place (in ``places``, updated) is in one of them: to the same bytes in a file that stays
    whole (``sources``), else to the chunk in the store (written from its old place, checked).
    A file holding a chunk that cannot be moved (its bytes there changed) is not converted
    (dropped from ``converted``): it stays whole. Returns the bytes added to the store."""
    store = folder / STORE_DIR
    removing = {f"{revision_name(n)}/{name}": (n, name) for n, recipes in converted.items() for name in recipes}
    added = 0
    for digest, (name, _, _) in sorted(places.items()):
        if name not in removing:
            continue
        if digest in sources:
            places[digest] = sources[digest]
            continue
        with contextlib.suppress(chunks.ChunkProblem):
            chunks.get(store, digest)  # stored already (by this conversion too), intact
            del places[digest]
            continue
        try:
            added += chunks.put(store, old.read(digest), durable)[1]
        except chunks.ChunkProblem:
            number, converted_name = removing[name]
            converted[number].pop(converted_name, None)  # its only good copy: stays whole
            continue
        del places[digest]
    return added


def _remove_stored(revision: Path, recipes: dict[str, list[str]], borrowed_from: frozenset[str] | set[str] = frozenset()) -> None:
    # A file that cannot be removed (open in Word on Windows, a read-only folder) stays whole:
    # whole and by recipe, it verifies both ways. A file borrowed.json points into stays too.
    for name in sorted(recipes):
        if f"{revision.name}/{name}" in borrowed_from:
            continue
        with contextlib.suppress(OSError):
            os.unlink(revision / name)
    for directory in sorted({(revision / name).parent for name in recipes}, key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            _fsync_dir(directory)


def _is_temporary(path: Path) -> bool:
    """Whether ``path`` is a temporary file an interrupted atomic write left (``.<name>.….tmp``,
    :func:`replace_file`, :func:`review.archive.store.put`)."""
    return path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file() and not path.is_symlink()


def remove_temporaries(revision: Path) -> list[Path]:
    """Remove the temporary files an interrupted write (of ``recipes.json``, of a file written
    whole again) left in a revision folder, none its manifest lists; return them. Call while
    holding the period's lock."""
    removed: list[Path] = []
    if not revision.is_dir():
        return removed
    try:
        listed = {e["path"] for e in _recorded(read_manifest(revision))
                  if isinstance(e, dict) and isinstance(e.get("path"), str)}
    except (ArchiveProblem, AttributeError, TypeError):  # unreadable: left for verify to report
        return removed
    for path in sorted(revision.rglob(".*.tmp")):
        if _is_temporary(path) and path.relative_to(revision).as_posix() not in listed:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _finish_converting(folder: Path) -> None:
    """Finish a conversion interrupted after its recipes were written (``converting.json``):
    remove each whole file whose recipe gives exactly the bytes its manifest records, and the
    temporary files left in those revisions, but never a file ``borrowed.json`` points into (the
    conversion re-pointed those before writing its recipes); also remove the temporary files an
    interrupted chunk write left in the store."""
    store = folder / STORE_DIR
    for leftover in chunks.leftovers(store):
        with contextlib.suppress(OSError):
            os.chmod(leftover, stat.S_IREAD | stat.S_IWRITE)
            leftover.unlink()
    record = store / CONVERTING
    if not record.is_file():
        return
    try:
        listed = _read_json(record)
        numbers = [n for n in listed.get("revisions", []) if isinstance(n, int)] if isinstance(listed, dict) else []
    except (OSError, ValueError):
        numbers = []
    borrowed = chunks.read_borrowed(store)  # damaged: borrowed chunks are missing, the files stay
    for number in numbers:
        revision = folder / revision_name(number)
        remove_temporaries(revision)
        checked: dict[str, bytes] = {}
        try:
            recipes = read_recipes(revision)
            manifest = read_manifest(revision)
        except ArchiveProblem:
            continue
        if manifest.get("final"):
            continue
        recorded = _hashes(manifest["inputs"] + manifest["outputs"])
        done = {}
        for name, recipe in recipes.items():
            if (revision / name).is_file() and name in recorded:
                try:
                    if sha256(chunks.reassemble(store, recipe, checked, borrowed)) == recorded[name]:
                        done[name] = recipe
                except chunks.ChunkProblem:
                    continue  # the whole file is the one good copy: it stays
        _remove_stored(revision, done, set(borrowed.files()))
    record.unlink()
    _fsync_dir(store)


# -- verifying ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One thing wrong in the archive: ``path`` (absolute) and what (missing, changed, extra, …)."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}: {self.message}"


def _recorded(manifest: dict) -> list[dict]:
    final = manifest.get("final") or {}
    return list(manifest["inputs"]) + list(manifest["outputs"]) + list(final.get("outputs", []))


def verify_revision(revision: Path, whole: bool = False, borrowed: chunks.Borrowed | None = None) -> list[Finding]:
    """Re-hash every file a revision's manifest lists, whole or by recipe; return what is
    missing, changed or extra.

    A file kept as a recipe is checked chunk by chunk (each against the SHA-256 it is named by)
    and whole (the chunks' concatenation against the manifest): an altered byte in the store is
    reported in every revision whose recipes use it. A file both whole and by recipe (a
    conversion or finalize interrupted) is checked both ways. Each chunk is read once. A
    ``recipes.json`` in a finalised revision, or in one that must hold every file whole (``whole``:
    the latest, and the latest full one), is reported. A chunk borrowed from a whole file
    (``borrowed``: the store's index, read here when None) is checked at its place there, so an
    altered byte of that file is reported in every revision whose recipe borrows it too.
    """
    try:
        manifest = read_manifest(revision)
    except ArchiveProblem as exc:
        return [Finding(revision / MANIFEST, f"{exc.what} (cannot verify this revision)")]
    findings: list[Finding] = []
    try:
        recipes = read_recipes(revision)
    except ArchiveProblem as exc:
        findings.append(Finding(revision / RECIPES, f"{exc.what} (its files kept by recipe cannot be checked)"))
        recipes = {}
    if (revision / RECIPES).exists() and (whole or manifest.get("final")):
        which = "a finalised revision" if manifest.get("final") else "the latest (full) revision"
        findings.append(Finding(revision / RECIPES, f"{which} must keep every file whole, not by recipe"))
    store = revision.parent / STORE_DIR
    if borrowed is None and recipes:
        borrowed = chunks.read_borrowed(store)
    checked: dict[str, bytes] = {}
    expected: set[str] = set()
    for entry in _recorded(manifest):
        try:
            name = _safe_relative(str(entry["path"])).as_posix()
        except (KeyError, TypeError, ValueError):
            findings.append(Finding(revision / MANIFEST, f"bad file entry {entry!r}"))
            continue
        expected.add(name)
        path = revision / name
        recipe = recipes.get(name)
        if recipe is not None:
            try:
                data = chunks.reassemble(store, recipe, checked, borrowed)
            except chunks.ChunkProblem as exc:
                findings.append(Finding(path, f"kept by recipe, but its {exc}"))
            else:
                if len(data) != entry.get("size") or sha256(data) != entry.get("sha256"):
                    findings.append(Finding(path, f"changed: its recipe gives SHA-256 {sha256(data)[:12]}…, "
                                                  f"expected {str(entry.get('sha256'))[:12]}…"))
            if not path.is_file():
                continue
        elif not path.is_file():
            findings.append(Finding(path, "missing"))
            continue
        try:
            size, found = path.stat().st_size, file_sha256(path)
        except OSError as exc:
            findings.append(Finding(path, f"unreadable ({exc.strerror or exc})"))
            continue
        if size != entry.get("size") or found != entry.get("sha256"):
            findings.append(Finding(path, f"changed (SHA-256 {found[:12]}…, "
                                          f"expected {str(entry.get('sha256'))[:12]}…)"))
    for name in sorted(set(recipes) - expected):
        findings.append(Finding(revision / RECIPES, f"a recipe for {name}, which the manifest does not list"))
    for path in sorted(revision.rglob("*")):
        name = path.relative_to(revision).as_posix()
        if path.is_symlink() or (path.is_file() and name not in expected and name not in (MANIFEST, RECIPES)):
            findings.append(Finding(path, "a temporary file left by an interrupted write (the build or "
                                          "finalize that next changes this revision removes it)"
                                    if _is_temporary(path) else "extra file (not in the manifest)"))
    return findings


def _verify_finals(folder: Path, numbers: list[int]) -> list[Finding]:
    """Return what disagrees with ``final.json``: a finalised revision gone, or whose manifest
    changed since (any file changed with it shows there: the manifest holds every file's hash),
    and a revision whose manifest says final that the record does not hold."""
    try:
        entries = read_final_record(folder)
    except ArchiveProblem as exc:
        return [Finding(folder / FINAL_RECORD, f"{exc.what} (cannot check the finalised revisions)")]
    findings = []
    for entry in entries:
        number, when = entry["revision"], entry.get("finalized_at") or "?"
        revision = folder / revision_name(number)
        if number not in numbers:
            findings.append(Finding(revision, f"missing: finalised on {when} (recorded in {FINAL_RECORD}), "
                                              "its folder is gone or damaged"))
            continue
        try:
            found = sha256((revision / MANIFEST).read_bytes())
        except OSError as exc:
            findings.append(Finding(revision / MANIFEST, f"unreadable ({exc}); finalised on {when}"))
            continue
        if found != entry["manifest_sha256"]:
            findings.append(Finding(revision / MANIFEST, f"changed since it was finalised on {when} "
                                    f"(SHA-256 {found[:12]}…, expected {entry['manifest_sha256'][:12]}… "
                                    f"as recorded in {FINAL_RECORD})"))
    recorded = {e["revision"] for e in entries}
    for number in numbers:
        if number in recorded:
            continue
        with contextlib.suppress(ArchiveProblem):
            if read_manifest(folder / revision_name(number)).get("final"):
                findings.append(Finding(folder / revision_name(number),
                                        f"final in its manifest but not recorded in {FINAL_RECORD} (an "
                                        "interrupted finalize: run review archive finalize again)"))
    return findings


def _must_be_whole(folder: Path, numbers: list[int]) -> set[int]:
    """Return the latest revision and, when it is partial, the latest full one (readable manifests)."""
    found: set[int] = set()
    for number in reversed(numbers):
        found.add(number)
        try:
            if not is_partial(read_manifest(folder / revision_name(number))):
                break
        except ArchiveProblem:
            continue
    return found


def _verify_store(folder: Path, borrowed: chunks.Borrowed) -> list[Finding]:
    """Return what the content store holds besides chunks: an interrupted conversion's record,
    temporary files, anything else; and a ``borrowed.json`` that is unreadable or names a file
    that is missing."""
    store = folder / STORE_DIR
    findings = []
    if borrowed.problem is not None:
        findings.append(Finding(store / BORROWED, f"{borrowed.problem} (the chunks earlier revisions borrow "
                                                  "from whole files cannot be found)"))
    for name in borrowed.files():
        path = folder / name
        if path.is_symlink() or not path.is_file():
            count = sum(1 for place in borrowed.places.values() if place[0] == name)
            findings.append(Finding(store / BORROWED, f"{count} chunk{'s' if count != 1 else ''} borrowed "
                                                      f"from {name}, which is missing"))
    if (store / CONVERTING).exists():
        findings.append(Finding(store / CONVERTING, "an interrupted conversion (every file of the revisions "
                                                    "it names verifies; the next build finishes it)"))
    for path in chunks.leftovers(store):
        findings.append(Finding(path, "a temporary file left by an interrupted write (the next build removes it)"))
    for path in chunks.strays(store):
        findings.append(Finding(path, "extra file in the content store (not a chunk)"))
    return findings


def verify_period(folder: Path, plan_id: str) -> list[Finding]:
    """Verify every revision of a period folder, the finalised ones against ``final.json``, and
    that ``index.json`` matches them."""
    findings: list[Finding] = []
    numbers = revision_numbers(folder)
    whole = _must_be_whole(folder, numbers)
    borrowed = chunks.read_borrowed(folder / STORE_DIR)  # read once: every revision's recipes use it
    for number in numbers:
        findings += verify_revision(folder / revision_name(number), whole=number in whole, borrowed=borrowed)
    findings += _verify_finals(folder, numbers)
    findings += _verify_store(folder, borrowed)
    index_path = folder / INDEX
    if numbers or (folder / FINAL_RECORD).is_file():
        derived = period_index(folder, plan_id, folder.name)
        try:
            recorded = _read_json(index_path)
        except FileNotFoundError:
            findings.append(Finding(index_path, "missing (the next build of this period writes it)"))
        except (OSError, ValueError) as exc:
            findings.append(Finding(index_path, f"unreadable ({exc})"))
        else:
            if recorded != derived:
                findings.append(Finding(index_path, "out of date with the revisions' manifests "
                                                    "(the next build of this period rewrites it)"))
    return findings


def archived_periods(out_root: Path, plan_id: str | None = None) -> list[tuple[str, str, Path]]:
    """Return ``(plan id, period, folder)`` of every period folder holding revisions, sorted.

    Forms, registers and hidden staging folders in the same tree are not part of the archive.
    """
    root = Path(out_root)
    plans = [root / plan_id] if plan_id else sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    found = []
    for plan in plans:
        if not plan.is_dir() or plan.name.startswith("."):
            continue
        for folder in sorted(p for p in plan.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if revision_numbers(folder) or (folder / INDEX).is_file() or (folder / FINAL_RECORD).is_file():
                found.append((plan.name, folder.name, folder))
    return sorted(found, key=lambda item: (item[0], _period_key(item[1])))


def latest_revisions(out_root: Path, plan_id: str) -> list[tuple[str, Path]]:
    """Return ``(period, folder of its latest revision)`` for every period of a plan that has a
    revision, in period order (a partial revision counts: its results cover the whole plan)."""
    found = []
    for _, period, folder in archived_periods(out_root, plan_id):
        numbers = revision_numbers(folder)
        if numbers:
            found.append((period, folder / revision_name(numbers[-1])))
    return found


def _period_key(name: str) -> tuple:
    try:
        period = Period.parse(name)
        return (0, period.year, period.quarter)
    except (ValueError, AttributeError):
        return (1, name)


def resolve_revision(folder: Path, number: int | None) -> int:
    """Return revision ``number`` (default: the latest) of a period folder, or raise UsageError."""
    numbers = revision_numbers(folder)
    if not numbers:
        raise UsageError(f"{display_path(folder)}: no revisions (build the period first)")
    if number is None:
        return numbers[-1]
    if number not in numbers:
        raise UsageError(f"--revision {number}: no such revision in {display_path(folder)} "
                         f"(expected one of {', '.join(map(str, numbers))})")
    return number


def compare_outputs(revision: Path, expected: dict[str, bytes], prefix: str = "") -> list[str]:
    """Return the names (relative to the revision, with ``prefix``) whose bytes on disk differ
    from ``expected`` or are missing."""
    differing = []
    for name in sorted(expected):
        path = revision / (prefix + name)
        # The size first: a file of another size differs without being read.
        if not path.is_file() or path.stat().st_size != len(expected[name]) or path.read_bytes() != expected[name]:
            differing.append(prefix + name)
    return differing


# -- finalising and rebuilding from a snapshot ----------------------------------------------------

#: ``render(revision folder, manifest, draft mark or None) -> {name: bytes}``: a revision's outputs
#: rendered again from its snapshot (``review.pipeline.build.render_snapshot``).
Render = Callable[[Path, dict, "str | None"], dict[str, bytes]]


def is_pack(name: str) -> bool:
    """Return True for the name of a pack in a revision (``executive.docx``, ``<sector>.docx``):
    the files that carry the draft mark and get a final copy."""
    return name.endswith(".docx") and "/" not in name


def _packs(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if is_pack(name)}


def rebuild_differences(revision: Path, manifest: dict, render: Render) -> tuple[list[str], list[str]]:
    """Render a revision again from its snapshot and compare with its files byte for byte.

    Returns ``(differing, compared)``: names (relative to the revision) that differ, are missing on
    either side, and every name compared. PDFs are not compared (LibreOffice stamps them); a final
    revision's ``final/`` packs are rendered without the draft mark and compared too.
    """
    recorded = sorted(e["path"] for e in manifest["outputs"] if not e["path"].endswith(".pdf"))
    rendered = render(revision, manifest, manifest.get("draft_mark"))
    differing = sorted(set(rendered) ^ set(recorded))
    differing += compare_outputs(revision, {n: rendered[n] for n in recorded if n in rendered})
    compared = list(recorded)
    if manifest.get("final"):
        finals = _packs(render(revision, manifest, None))
        recorded_final = {e["path"] for e in manifest["final"]["outputs"] if not e["path"].endswith(".pdf")}
        differing += sorted(recorded_final ^ {f"{FINAL_DIR}/{n}" for n in finals})
        differing += compare_outputs(revision, finals, prefix=f"{FINAL_DIR}/")
        compared += sorted(recorded_final)
    return sorted(set(differing)), compared


def _refuse_unverified(revision: Path) -> None:
    """Raise ArchiveProblem listing what :func:`verify_revision` finds in ``revision``, if anything."""
    findings = verify_revision(revision)
    if findings:
        raise ArchiveProblem(f"{display_path(revision)} does not verify, so it cannot be finalised:\n  "
                             + "\n  ".join(map(str, findings)))


def finalize(folder: Path, plan_id: str, period: Period | str, number: int | None, render: Render,
             convert_pdf: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None,
             progress: Callable[[str], None] = lambda message: None,
             notes: Callable[[dict], list[str]] = lambda manifest: [],
             finalized_at: str | None = None, paged: bool = False) -> tuple[int, bool]:
    """Finalise revision ``number`` (default: the latest) of a period; return ``(number, newly)``.

    Checks that the revision verifies and that its snapshot still renders its draft packs byte for
    byte (so the final packs differ from the drafts only by the missing mark), then writes
    ``final/`` without the draft mark (and PDFs when the revision has them). ``newly`` is False
    when it was final already. ``finalized_at`` is recorded as the time (default: now). ``paged``
    says that ``render(…, None)`` lays the final packs out with LibreOffice (contents with page
    numbers) and returns their PDF copies too, which are kept when the revision has PDFs. Raises
    UsageError for a partial revision (``--sector``: not every pack is there to present) and
    ArchiveProblem (exit 1) when a check fails or ``final.json`` is unreadable.
    """
    with locked(folder, plan_id, period):
        clean_staging(folder)
        read_final_record(folder)  # unreadable: stop before any work, and never overwrite it
        number = resolve_revision(folder, number)
        revision = folder / revision_name(number)
        manifest = read_manifest(revision)
        if manifest.get("final"):
            # Completes a finalize killed before these steps, once the revision proves intact.
            if not any(e["revision"] == number for e in read_final_record(folder)):
                _refuse_unverified(revision)
                _record_final(folder, number, manifest)
            _make_read_only(revision)
            write_index(folder, plan_id, period)
            return number, False
        if is_partial(manifest):
            full = period_index(folder, plan_id, period)["latest_full"]
            sectors = ", ".join(map(str, manifest.get("options", {}).get("sectors") or [])) or "?"
            raise UsageError(
                f"{display_path(revision)}: a partial revision (built with --sector {sectors}) cannot be "
                "finalised: it does not hold every sector's pack (expected a full build; "
                + (f"the latest full revision is {revision_name(full)}: --revision {full})" if full
                   else "build the period without --sector, then finalise that revision)"))
        if (revision / FINAL_DIR).exists():  # a non-final revision has no final/: an interrupted finalize's
            progress(f"Removing {display_path(revision / FINAL_DIR)}, left by an interrupted finalize")
            _make_writable(revision / FINAL_DIR)
            shutil.rmtree(revision / FINAL_DIR)
        for leftover in remove_temporaries(revision):
            progress(f"Removed {display_path(leftover)}, left by an interrupted write")
        _refuse_unverified(revision)
        if make_whole(revision):  # an earlier revision kept by the change: its files whole again
            progress(f"Wrote the files {revision_name(number)} kept as recipes whole again")
        if manifest.get("options", {}).get("pdf") and convert_pdf is not None:
            from review.office.pdf import require_soffice
            require_soffice()
        progress(f"Checking that {revision_name(number)} renders again from its snapshot, byte for byte")
        differing, _ = rebuild_differences(revision, manifest, render)
        if differing:
            why = notes(manifest)
            raise ArchiveProblem(
                f"cannot finalise {revision_name(number)} faithfully: rendering its snapshot again gives "
                f"different {', '.join(differing[:5])}{' …' if len(differing) > 5 else ''}"
                + (f" ({'; '.join(why)})" if why else "")
                + "; build the period again (with --reason if needed) and finalise the new revision")
        progress(f"Rendering the final packs of {revision_name(number)} without the draft mark")
        rendered = render(revision, manifest, None)
        finals = _packs(rendered)
        if manifest.get("options", {}).get("pdf"):
            pdfs = {n: d for n, d in rendered.items() if n.endswith(".pdf") and "/" not in n}
            if paged:
                finals.update(pdfs)
            elif convert_pdf is not None:
                progress("Converting the final packs to PDF/A with LibreOffice")
                finals.update(convert_pdf(finals))
        finalize_revision(folder, number, finals, finalized_at, paged=paged)
        return number, True
