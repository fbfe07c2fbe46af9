"""A period's content store: the chunks of the files its earlier revisions no longer keep whole.

``<period>/.store/<SHA-256>`` holds one chunk's bytes, or ``<SHA-256>.z`` the same bytes
compressed with zlib (written so only when that is smaller). The name is the SHA-256 of the
chunk's own (uncompressed) bytes; one folder (a build adds tens of chunks, the first conversion of
a period about a thousand at 1×: one folder to sync). A chunk file is written once,
atomically (a temporary file beside it, renamed), made read-only, and never removed: a chunk
serves every revision whose recipe names it. One found damaged when stored again is rewritten.

A *recipe* is the list of a file's chunks in order; the file is their concatenation, byte for
byte (:func:`chunk_ends` cuts it, :func:`reassemble` puts it together and checks each chunk's
hash). The cuts follow the file's format, so an unchanged part of a changed file falls into the
same chunks as before and is stored once:

- a zip (``.docx``, ``.pptx``, ``.xlsx``): one chunk per member (its local header and data), the
  data of a stored member (a picture) a chunk of its own, and the central directory;
- text (``.html``, ``.json``, ``.yaml``, ``.csv``, …): content-defined by lines — a cut after a
  line whose last :data:`WINDOW` bytes have a CRC-32 that is a multiple of :data:`TEXT_DIVISOR`,
  once the chunk holds :data:`TEXT_MIN` bytes (a line longer than :data:`LONG_LINE` may also be
  cut after ``,"`` and between ``><``), and at the first line end past :data:`TEXT_MAX` bytes;
- anything else: one chunk (a chart's PNG is the same bytes as the picture in a pack).

*Borrowed chunks* (:class:`Borrowed`, ``.store/borrowed.json``): a chunk a recipe names need not
be in the store. When it is the same bytes as a part of a file that a revision keeps whole (the
latest, the latest full one, a finalised one), the index records where: ``{digest: [file,
offset, size]}``, the file named relative to the period folder. A chunk is looked up in the store
first, then at its borrowed place; either way its bytes are checked against its name. So an
earlier revision's version of a file that changed by a figure costs the chunks that differ from
the latest's version, not the whole file (a reverse delta against the whole revisions).

No symbolic links; the store works the same on Windows.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

#: The store's folder in a period folder.
STORE_DIR = ".store"
#: In the store: where the chunks not in it are found inside whole files (:class:`Borrowed`).
BORROWED = "borrowed.json"
#: In the store while a conversion runs (written by ``review.archive.revisions``).
CONVERTING = "converting.json"
#: The suffix of a chunk stored compressed with zlib.
COMPRESSED = ".z"
#: Text chunks: a cut after a line whose last WINDOW bytes have a CRC-32 that is a multiple of
#: this, once the chunk holds TEXT_MIN bytes; at the first possible cut past TEXT_MAX bytes at the
#: latest. About 4 KB a chunk on the dashboard (4.3 KB on average).
TEXT_DIVISOR = 16
TEXT_MIN = 2048
TEXT_MAX = 32768
#: The bytes before a possible cut whose CRC-32 decides it.
WINDOW = 48
#: The bytes of a chunk compressed to see whether compressing it is worth it.
SAMPLE = 1024
#: A line longer than this is cut inside too (the dashboard's series data is one line).
LONG_LINE = 8192
TEXT_SUFFIXES = (".html", ".htm", ".json", ".yaml", ".yml", ".csv", ".txt", ".xml", ".svg", ".md")
ZIP_SUFFIXES = (".docx", ".pptx", ".xlsx", ".zip")

_HEX = re.compile(r"[0-9a-f]{64}")
_INSIDE_LINE = re.compile(rb',(?=")|>(?=<)')
_NO_WRITE = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


class ChunkProblem(Exception):
    """A chunk a recipe names is missing, unreadable or altered (``digest``: the chunk's name)."""

    def __init__(self, digest: str, what: str):
        super().__init__(f"chunk {digest[:12]}… {what}")
        self.digest = digest


# -- cutting a file into chunks -------------------------------------------------------------------

def chunk_ends(name: str, data: bytes) -> list[int]:
    """Return the offsets where the chunks of file ``name`` (its bytes ``data``) end, ascending,
    the last being ``len(data)``; [] for an empty file."""
    if not data:
        return []
    lowered = name.lower()
    cuts: set[int] = set()
    if lowered.endswith(ZIP_SUFFIXES):
        cuts = _zip_cuts(data)
    elif lowered.endswith(TEXT_SUFFIXES):
        cuts = _text_cuts(data)
    return sorted({c for c in cuts if 0 < c < len(data)} | {len(data)})


def _zip_cuts(data: bytes) -> set[int]:
    """Cuts at each member's local header, around a stored member's data and at the central
    directory; none when ``data`` is no readable zip (it is then one chunk)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
            directory = getattr(package, "start_dir", None)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return set()
    cuts = {directory} if isinstance(directory, int) else set()
    for member in members:
        start = member.header_offset
        cuts.add(start)
        if member.compress_type == zipfile.ZIP_STORED and data[start:start + 4] == b"PK\x03\x04":
            name_length, extra_length = struct.unpack("<HH", data[start + 26:start + 30])
            begin = start + 30 + name_length + extra_length
            cuts.update((begin, begin + member.compress_size))
    return cuts


def _text_cuts(data: bytes) -> set[int]:
    """Content-defined cuts at line ends (inside a long line, after ``,"`` and between ``><``):
    a cut where the :data:`WINDOW` bytes before it have a CRC-32 that is a multiple of
    :data:`TEXT_DIVISOR`, no nearer than TEXT_MIN to the previous cut, at TEXT_MAX at the latest.
    Only the places past TEXT_MIN are looked at, so the cost is a few checks a chunk."""
    cuts: set[int] = set()
    end = len(data)
    last = 0
    line_start = line_end = 0  # the line holding the place looked at
    place = TEXT_MIN
    while place < end:
        if place >= line_end:
            line_start = data.rfind(b"\n", 0, place) + 1
            found = data.find(b"\n", place)
            line_end = end if found < 0 else found + 1
        candidate = line_end
        if line_end - line_start > LONG_LINE:
            match = _INSIDE_LINE.search(data, place, line_end)
            if match is not None:
                candidate = match.end()
        if candidate - last >= TEXT_MAX or zlib.crc32(data[max(last, candidate - WINDOW):candidate]) % TEXT_DIVISOR == 0:
            if candidate < end:
                cuts.add(candidate)
            last = candidate
            place = candidate + TEXT_MIN
        else:
            place = candidate
    return cuts


# -- the store ------------------------------------------------------------------------------------

def is_digest(text: object) -> bool:
    """Return True for a chunk's name: 64 lowercase hex digits."""
    return isinstance(text, str) and _HEX.fullmatch(text) is not None


def chunk_path(store: Path, digest: str) -> Path | None:
    """Return the file holding chunk ``digest`` in ``store`` (compressed or not), None when absent."""
    base = os.path.join(store, digest)  # strings: a conversion asks for a thousand chunks
    for candidate in (base + COMPRESSED, base):
        if os.path.isfile(candidate):
            return Path(candidate)
    return None


def put(store: Path, chunk: bytes, durable: bool) -> tuple[str, int]:
    """Store ``chunk`` unless it is there already, intact; return ``(its SHA-256, bytes written)``.

    A chunk found in the store is read back and checked against its name first (one a crash or an
    edit damaged is written again), so a recipe never names a chunk that was not good when written.

    Written atomically, compressed when that is smaller, then made read-only. ``durable`` syncs the
    file before renaming it (where there is no ``os.sync`` for the caller to call once for all).
    Call with the store's folder made.
    """
    digest = hashlib.sha256(chunk).hexdigest()
    found = chunk_path(store, digest)
    if found is not None:
        try:
            get(store, digest)
            return digest, 0
        except ChunkProblem:  # damaged (a write lost in a crash, an altered byte): written again
            os.chmod(found, stat.S_IREAD | stat.S_IWRITE)  # Windows refuses to delete a read-only file
            os.unlink(found)
    data, suffix = chunk, ""
    if _compressible(chunk):
        packed = zlib.compress(chunk, 6)
        if len(packed) < len(chunk):
            data, suffix = packed, COMPRESSED
    folder = Path(store)
    temporary = folder / f".{digest[:12]}.{secrets.token_hex(4)}.tmp"
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(temporary.stat().st_mode) & _NO_WRITE)
        os.replace(temporary, folder / (digest + suffix))
    except BaseException:
        with contextlib.suppress(OSError):
            os.chmod(temporary, stat.S_IREAD | stat.S_IWRITE)
            os.unlink(temporary)
        raise
    return digest, len(data)


def _compressible(chunk: bytes) -> bool:
    """Whether zlib is worth trying: a sample of the chunk shrinks by a tenth (compressed data, a
    zip member's or a PNG's, does not, and is not compressed in vain)."""
    if len(chunk) <= SAMPLE:
        return True
    sample = chunk[:SAMPLE]
    return len(zlib.compress(sample, 1)) < 0.9 * len(sample)


def get(store: Path, digest: str, borrowed: Borrowed | None = None) -> bytes:
    """Return the bytes of chunk ``digest``, checked against its name: from its file in the store,
    else from its place in ``borrowed`` (the store's index of borrowed chunks, loaded once by the
    caller with :func:`read_borrowed`). Raises ChunkProblem."""
    path = chunk_path(store, digest)
    if path is None:
        if borrowed is not None:
            return borrowed.read(digest)
        raise ChunkProblem(digest, f"missing from {STORE_DIR}")
    try:
        data = path.read_bytes()
        if path.name.endswith(COMPRESSED):
            unpacker = zlib.decompressobj()
            data = unpacker.decompress(data)
            if not unpacker.eof or unpacker.unused_data:
                raise zlib.error("bytes after the end of the compressed data" if unpacker.eof
                                 else "the compressed data is cut short")
    except (OSError, zlib.error) as exc:
        raise ChunkProblem(digest, f"unreadable in {STORE_DIR} ({exc})") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ChunkProblem(digest, f"changed in {STORE_DIR} (its bytes no longer have the SHA-256 it is named by)")
    return data


def store_file(store: Path, name: str, data: bytes, durable: bool,
               borrow: Callable[[str], bool] | None = None) -> tuple[list[str], int]:
    """Cut file ``name`` into chunks and store the new ones; return ``(its recipe, bytes written)``.

    ``borrow`` is asked about each chunk not in the store (by its SHA-256): True when the caller
    records it as borrowed from a whole file (:class:`Borrowed`), and nothing is written for it.
    """
    recipe, written, start = [], 0, 0
    Path(store).mkdir(parents=True, exist_ok=True)
    view = memoryview(data)
    for end in chunk_ends(name, data):
        chunk = bytes(view[start:end])
        start = end
        if borrow is not None:
            digest = hashlib.sha256(chunk).hexdigest()
            if chunk_path(store, digest) is None and borrow(digest):
                recipe.append(digest)
                continue
        digest, added = put(store, chunk, durable)
        recipe.append(digest)
        written += added
    return recipe, written


def chunk_places(name: str, data: bytes) -> list[tuple[str, int, int]]:
    """Return ``(SHA-256, offset, size)`` of each chunk of file ``name`` (its bytes ``data``), in
    order: the places a recipe may borrow them from."""
    places, start = [], 0
    view = memoryview(data)
    for end in chunk_ends(name, data):
        places.append((hashlib.sha256(view[start:end]).hexdigest(), start, end - start))
        start = end
    return places


def reassemble(store: Path, recipe: list[str], checked: dict[str, bytes] | None = None,
               borrowed: Borrowed | None = None) -> bytes:
    """Return the file a recipe describes: its chunks concatenated, each checked against its
    name (found in the store, else at its place in ``borrowed``). ``checked`` memoizes chunks
    across calls. Raises ChunkProblem for the first bad chunk."""
    parts = []
    for digest in recipe:
        if checked is not None and digest in checked:
            parts.append(checked[digest])
            continue
        chunk = get(store, digest, borrowed)
        if checked is not None:
            checked[digest] = chunk
        parts.append(chunk)
    return b"".join(parts)


def strays(store: Path) -> list[Path]:
    """Return the files in the store that are no chunk (named neither ``<SHA-256>`` nor
    ``<SHA-256>.z``), temporary files, ``converting.json`` and ``borrowed.json`` aside."""
    if not store.is_dir():
        return []
    return sorted(p for p in store.iterdir()
                  if not is_digest(p.name.removesuffix(COMPRESSED)) and p.name not in (CONVERTING, BORROWED)
                  and not (p.name.startswith(".") and p.name.endswith(".tmp")))


def leftovers(store: Path) -> list[Path]:
    """Return the temporary files an interrupted write left in the store (never chunks)."""
    if not store.is_dir():
        return []
    return sorted(p for p in store.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


# -- borrowed chunks: found inside the whole files of the revisions that keep them ----------------

#: The largest ``borrowed.json`` read, in bytes (a national plan's is well under a megabyte).
MAX_BORROWED_BYTES = 64 * 1024 * 1024


class Borrowed:
    """The store's index of borrowed chunks: ``{SHA-256: (file, offset, size)}``, the file named
    relative to the period folder (``r3/dashboard.html``), a file the archive keeps whole.

    Loaded once per operation (:func:`read_borrowed`); a file's bytes are read once and kept while
    the object lives. ``problem`` says why ``borrowed.json`` could not be read (then no chunk is
    borrowed, and a recipe naming one reports it missing, with that reason).
    """

    def __init__(self, folder: Path, places: dict[str, tuple[str, int, int]] | None = None,
                 problem: str | None = None):
        self.folder = Path(folder)
        self.places: dict[str, tuple[str, int, int]] = dict(places or {})
        self.problem = problem
        self._files: dict[str, bytes | OSError] = {}

    def files(self) -> list[str]:
        """Return the files the index borrows from, sorted."""
        return sorted({place[0] for place in self.places.values()})

    def read(self, digest: str) -> bytes:
        """Return the bytes of borrowed chunk ``digest``, checked against its name; raises
        ChunkProblem (naming the file it is borrowed from) when it is not borrowed, its file is
        missing or unreadable, or the bytes there changed."""
        place = self.places.get(digest)
        if place is None:
            why = f" ({BORROWED}: {self.problem})" if self.problem else ""
            raise ChunkProblem(digest, f"missing from {STORE_DIR}{why}")
        name, offset, size = place
        data = self._file(name)
        if isinstance(data, OSError):
            raise ChunkProblem(digest, f"borrowed from {name}, which is unreadable "
                                       f"({data.strerror or data})")
        chunk = data[offset:offset + size]
        if len(chunk) != size or hashlib.sha256(chunk).hexdigest() != digest:
            raise ChunkProblem(digest, f"changed in {name} (borrowed from there: its bytes at "
                                       f"{offset:,}–{offset + size:,} no longer have the SHA-256 it is named by)")
        return chunk

    def _file(self, name: str) -> bytes | OSError:
        if name not in self._files:
            path = self.folder / name
            try:
                if path.is_symlink() or not path.is_file():
                    raise FileNotFoundError(2, "missing or not a regular file")
                self._files[name] = path.read_bytes()
            except OSError as exc:
                self._files[name] = exc
        return self._files[name]

    def to_bytes(self) -> bytes:
        """Return ``borrowed.json`` for this index: one line, files listed once, sorted."""
        files = self.files()
        number = {name: n for n, name in enumerate(files)}
        record = {"format": 1, "files": files,
                  "chunks": {d: [number[f], o, s] for d, (f, o, s) in sorted(self.places.items())}}
        return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def read_borrowed(store: Path) -> Borrowed:
    """Return the index of borrowed chunks of ``store`` (empty when it has none); never raises:
    a damaged ``borrowed.json`` gives an empty index whose ``problem`` says what is wrong."""
    store = Path(store)
    path = store / BORROWED
    try:
        if path.stat().st_size > MAX_BORROWED_BYTES:
            raise ValueError(f"larger than {MAX_BORROWED_BYTES:,} bytes")
        record = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return Borrowed(store.parent)
    except (OSError, ValueError, RecursionError) as exc:
        return Borrowed(store.parent, problem=f"unreadable ({exc})")
    places = _places(record)
    if places is None:
        return Borrowed(store.parent, problem='not an index of borrowed chunks (expected {"files": '
                                              '["r<N>/<name>", …], "chunks": {"<SHA-256>": [file, offset, size]}})')
    return Borrowed(store.parent, places)


def _places(record: object) -> dict[str, tuple[str, int, int]] | None:
    """Return the places a ``borrowed.json`` record holds, None when it is not such a record."""
    if not isinstance(record, dict):
        return None
    files, found = record.get("files"), record.get("chunks")
    if not isinstance(files, list) or not isinstance(found, dict) or not all(map(_is_period_path, files)):
        return None
    places = {}
    for digest, place in found.items():
        if not is_digest(digest) or not isinstance(place, list) or len(place) != 3 \
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in place) \
                or place[0] >= len(files) or place[2] == 0:
            return None
        places[digest] = (files[place[0]], place[1], place[2])
    return places


def _is_period_path(name: object) -> bool:
    """Whether ``name`` is a file below a revision folder of the period (``r<N>/…``), relative."""
    if not isinstance(name, str) or "\\" in name:
        return False
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and len(path.parts) >= 2 \
        and re.fullmatch(r"r[1-9][0-9]*", path.parts[0]) is not None
