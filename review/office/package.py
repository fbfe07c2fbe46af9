"""Deterministic zip containers (.docx, .xlsx): same content in, same bytes out.

python-docx and openpyxl stamp every zip entry with the wall-clock time and the platform's
file attributes; :func:`normalize_zip` rewrites an archive with fixed timestamps, fixed
permissions, a stable entry order and one compression level, so a rebuild from the same inputs
is byte-identical (SPEC §7, reproducible builds' ``SOURCE_DATE_EPOCH``).

The archive itself is written here, in the layout ``zipfile`` writes (no extra fields, no data
descriptors), because ``zipfile`` cannot copy an entry without decompressing it: stamping the
revision number into a cached pack (:func:`patch_zip`) re-packs its page headers only.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

#: The earliest timestamp a zip entry can hold; used when SOURCE_DATE_EPOCH is unset.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_LATEST = (2107, 12, 31, 23, 59, 58)
_CONTENT_TYPES = "[Content_Types].xml"
_FILE_MODE = 0o100644  # regular file, rw-r--r--
_UNIX = 3


def source_date_time() -> tuple[int, int, int, int, int, int]:
    """Return the zip timestamp to stamp on entries: ``SOURCE_DATE_EPOCH`` (UTC) when set.

    Without the variable (or when it is empty) returns 1980-01-01 00:00:00. Dates outside the
    zip range 1980–2107 are clamped to it. Raises ValueError when the variable is not a
    whole number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return ZIP_EPOCH
    try:
        seconds = int(raw)
    except ValueError:
        raise ValueError(
            f"SOURCE_DATE_EPOCH: expected a whole number of seconds since 1970-01-01, got {raw!r}"
        ) from None
    try:
        moment = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds)
    except OverflowError:
        return _LATEST if seconds > 0 else ZIP_EPOCH
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return min(max(stamp, ZIP_EPOCH), _LATEST)


def _entry_order(name: str) -> tuple[int, str]:
    # [Content_Types].xml first (some readers sniff it), then the package relationships,
    # then everything else by name.
    if name == _CONTENT_TYPES:
        return (0, name)
    if name == "_rels/.rels":
        return (1, name)
    return (2, name)


_STORED = (".png", ".jpg", ".jpeg")
_LEVEL = 6
_VERSION = 20  # "2.0": deflate, what zipfile writes
_UTF8_NAME = 0x800
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


@dataclass(frozen=True)
class _Member:
    """One compressed entry, ready to be written: name, method, CRC-32, sizes, compressed bytes."""

    name: str
    method: int
    crc: int
    size: int
    data: bytes


def _compress(name: str, content: bytes) -> _Member:
    # Pictures are compressed already: storing them saves the time of deflating them again.
    if name.lower().endswith(_STORED):
        return _Member(name, zipfile.ZIP_STORED, zlib.crc32(content), len(content), content)
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    return _Member(name, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content),
                   packer.compress(content) + packer.flush())


def _assemble(members: list[_Member], date_time: tuple[int, ...]) -> bytes:
    """Return the zip archive of ``members`` (sorted here), every entry stamped ``date_time``."""
    year, month, day, hour, minute, second = tuple(date_time)[:6]
    dos_date = (year - 1980) << 9 | month << 5 | day
    dos_time = hour << 11 | minute << 5 | second // 2
    out = io.BytesIO()
    central = []
    for member in sorted(members, key=lambda m: _entry_order(m.name)):
        name = member.name.encode("utf-8")
        flags = 0 if member.name.isascii() else _UTF8_NAME
        if len(member.data) > 0xFFFFFFFF or member.size > 0xFFFFFFFF or out.tell() > 0xFFFFFFFF:
            raise ValueError(f"{member.name}: too large for a zip without ZIP64")
        fields = (member.method, dos_time, dos_date, member.crc, len(member.data), member.size, len(name))
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION, _UNIX, _VERSION, 0, flags, *fields, 0, 0, 0, 0,
                                     _FILE_MODE << 16, out.tell()) + name)
        out.write(_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, *fields, 0) + name + member.data)
    directory = b"".join(central)
    offset = out.tell()
    out.write(directory)
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0))
    return out.getvalue()


def zip_parts(parts: dict[str, bytes], date_time: tuple[int, ...] = ZIP_EPOCH) -> bytes:
    """Return a deterministic zip archive of ``{entry name: content}``.

    Every entry gets ``date_time``, mode 0644, DEFLATE at level 6 (pictures stored) and no extra
    fields or comments; entries are ordered ``[Content_Types].xml``, ``_rels/.rels``, then by name.
    The same parts and time give the same bytes.
    """
    return _assemble([_compress(name, content) for name, content in parts.items()], date_time)


def normalize_zip(data: bytes, date_time: tuple[int, ...] = ZIP_EPOCH) -> bytes:
    """Return ``data`` (a zip archive) rewritten deterministically, as :func:`zip_parts` writes it.

    Directory entries are dropped. Raises ``zipfile.BadZipFile`` when ``data`` is not a zip.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist() if not info.is_dir()}
    return zip_parts(parts, date_time)


def patch_zip(data: bytes, change: Callable[[str], bool], edit: Callable[[str, bytes], bytes],
              date_time: tuple[int, ...] = ZIP_EPOCH) -> bytes:
    """Return an archive written by :func:`zip_parts` with some parts edited, cheaply.

    Parts whose name ``change`` accepts are read, passed through ``edit(name, content)`` and
    compressed again; every other part is copied still compressed. The result is the same bytes
    as :func:`zip_parts` of the edited parts, provided ``data`` came from it (same zlib).
    Raises ``zipfile.BadZipFile`` when ``data`` is not a zip.
    """
    members = []
    view = memoryview(data)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for info in source.infolist():
            if info.is_dir():
                continue
            if change(info.filename):
                members.append(_compress(info.filename, edit(info.filename, source.read(info))))
                continue
            header = _LOCAL.unpack_from(data, info.header_offset)
            start = info.header_offset + _LOCAL.size + header[-2] + header[-1]
            members.append(_Member(info.filename, info.compress_type, info.CRC, info.file_size,
                                   bytes(view[start:start + info.compress_size])))
    return _assemble(members, date_time)
