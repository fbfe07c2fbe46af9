"""Deterministic zip containers (.docx, .xlsx): same content in, same bytes out.

python-docx and openpyxl stamp every zip entry with the wall-clock time and the platform's
file attributes; :func:`normalize_zip` rewrites an archive with fixed timestamps, fixed
permissions, a stable entry order and one compression level, so a rebuild from the same inputs
is byte-identical (SPEC §7, reproducible builds' ``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

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


def normalize_zip(data: bytes, date_time: tuple[int, ...] = ZIP_EPOCH) -> bytes:
    """Return ``data`` (a zip archive) rewritten deterministically.

    Every entry gets ``date_time``, mode 0644, DEFLATE at level 6 (pictures stored) and no extra fields or
    comments; entries are ordered ``[Content_Types].xml``, ``_rels/.rels``, then by name.
    Directory entries are dropped. Raises ``zipfile.BadZipFile`` when ``data`` is not a zip.
    """
    stamp = tuple(date_time)[:6]
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()
                   if not info.is_dir()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for name, content in sorted(entries, key=lambda item: _entry_order(item[0])):
            info = zipfile.ZipInfo(name, date_time=stamp)
            # Pictures are compressed already: storing them saves the time of deflating them again.
            method = zipfile.ZIP_STORED if name.lower().endswith(_STORED) else zipfile.ZIP_DEFLATED
            info.compress_type = method
            info.create_system = _UNIX
            info.external_attr = _FILE_MODE << 16
            target.writestr(info, content, compress_type=method, compresslevel=6 if method == zipfile.ZIP_DEFLATED else None)
    return out.getvalue()
