"""Deterministic zip containers (.docx, .xlsx): same content in, same bytes out.

python-docx and openpyxl stamp every zip entry with the wall-clock time and the platform's
file attributes; :func:`normalize_zip` rewrites an archive with fixed timestamps, fixed
permissions, a stable entry order and one compression level, so a rebuild from the same inputs
is byte-identical (SPEC §7, reproducible builds' ``SOURCE_DATE_EPOCH``).

The archive itself is written here, in the layout ``zipfile`` writes (no extra fields, no data
descriptors), because ``zipfile`` cannot copy an entry without decompressing it: stamping the
revision number into a cached pack (:func:`patch_zip`) re-packs its page headers only.
Measured (``bench/containers.py``, ``bench/README.md`` "Zip writer"): a plain ``zipfile.ZipFile``
writing the same entries (fixed ``date_time``, mode 0644, Unix, level 6, pictures stored, this
order) gives the same bytes in about the same time (2–5 % slower); what the own writer saves is
the stamp, 0.2 ms a pack instead of 4–6 ms, which is all a rebuild spends on a pack it takes
from the cache. One writer writes both fresh and stamped packs, so the two stay byte-identical.

Limits (no ZIP64, as ``zipfile`` without ``allowZip64``): at most 65,535 entries; every entry,
compressed or not, at most 4 GiB − 1 byte (4,294,967,295); every entry starting, and the
central directory starting and ending, within the first 4 GiB of the archive; entry names at
most 65,535 bytes of UTF-8; timestamps from 1980-01-01 to 2107-12-31 (zip's DOS time). Going
past one raises ``ValueError`` naming the limit. An Office pack is some megabytes and a few
hundred entries.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import posixpath
import struct
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from review.errors import quoted

#: Word's and Excel's limit on a document property (title, subject, author), in characters; the
#: plan is checked against the same figure (``review.model.limits.MAX_PROPERTY_CHARS``).
MAX_PROPERTY_CHARS = 255
#: What a cut text ends with.
ELLIPSIS = "\u2026"

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


def fit_text(text: str, limit: int) -> str:
    """Return ``text`` when Word or Excel can hold it in a place of ``limit`` characters, else its
    start cut to ``limit - 1`` characters with "…" after it.

    Characters are counted as Word and Excel count them, in UTF-16 code units (a character beyond
    U+FFFF counts twice), so a cut text is never longer than ``limit`` for them nor for Python;
    a character is never split. The last line of defence behind ``review validate``, which refuses
    such texts where the plan holds them.
    """
    if len(text) <= limit and (text.isascii() or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= limit):
        return text
    # Decoding drops a surrogate pair cut in half (and a lone surrogate, which XML cannot hold).
    head = text.encode("utf-16-le", "surrogatepass")[:2 * (limit - 1)].decode("utf-16-le", errors="ignore")
    return head + ELLIPSIS


def _entry_order(name: str) -> tuple[int, str]:
    # [Content_Types].xml first (some readers sniff it), then the package relationships,
    # then everything else by name.
    if name == _CONTENT_TYPES:
        return (0, name)
    if name == "_rels/.rels":
        return (1, name)
    return (2, name)


#: What a zip without ZIP64 can hold (see the module's docstring).
ZIP_MAX_ENTRIES = 0xFFFF
ZIP_MAX_BYTES = 0xFFFFFFFF
_MAX_NAME_BYTES = 0xFFFF

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


def _compress_all(parts: dict[str, bytes], names: list[str]) -> list[_Member]:
    return [_compress(name, parts[name]) for name in names]


def _check_count(count: int) -> None:
    if count > ZIP_MAX_ENTRIES:
        raise ValueError(f"{count:,} entries: a zip without ZIP64 holds at most {ZIP_MAX_ENTRIES:,} "
                         "(the entry-count limit)")


def _too_large(what: str, limit: str) -> ValueError:
    return ValueError(f"{what}: beyond a zip without ZIP64, which {limit}")


def _assemble(members: list[_Member], date_time: tuple[int, ...]) -> bytes:
    """Return the zip archive of ``members`` (sorted here), every entry stamped ``date_time``.

    Raises ValueError past a limit of a zip without ZIP64 (see the module's docstring).
    """
    _check_count(len(members))
    year, month, day, hour, minute, second = tuple(date_time)[:6]
    if not ZIP_EPOCH[0] <= year <= _LATEST[0]:
        raise ValueError(f"zip timestamp {tuple(date_time)[:6]}: a zip entry's date lies from 1980 to 2107 "
                         "(the DOS date limit)")
    dos_date = (year - 1980) << 9 | month << 5 | day
    dos_time = hour << 11 | minute << 5 | second // 2
    out = io.BytesIO()
    central = []
    for member in sorted(members, key=lambda m: _entry_order(m.name)):
        name = member.name.encode("utf-8")
        flags = 0 if member.name.isascii() else _UTF8_NAME
        if len(name) > _MAX_NAME_BYTES:
            raise _too_large(f"entry name {member.name[:40]!r}… ({len(name):,} bytes)",
                             f"holds names of at most {_MAX_NAME_BYTES:,} bytes (the name-length limit)")
        if len(member.data) > ZIP_MAX_BYTES or member.size > ZIP_MAX_BYTES:
            raise _too_large(f"{member.name} ({member.size:,} bytes, {len(member.data):,} compressed)",
                             f"holds at most {ZIP_MAX_BYTES:,} bytes per entry (the 4 GiB entry-size limit)")
        if out.tell() > ZIP_MAX_BYTES:
            raise _too_large(f"{member.name} (at byte {out.tell():,})",
                             "starts every entry within its first 4 GiB (the 4 GiB offset limit)")
        fields = (member.method, dos_time, dos_date, member.crc, len(member.data), member.size, len(name))
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION, _UNIX, _VERSION, 0, flags, *fields, 0, 0, 0, 0,
                                     _FILE_MODE << 16, out.tell()) + name)
        out.write(_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, *fields, 0) + name + member.data)
    directory = b"".join(central)
    offset = out.tell()
    if offset > ZIP_MAX_BYTES or len(directory) > ZIP_MAX_BYTES:
        raise _too_large(f"central directory (at byte {offset:,}, {len(directory):,} bytes)",
                         "keeps its directory within its first 4 GiB (the 4 GiB offset limit)")
    out.write(directory)
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0))
    return out.getvalue()


#: Entries compressed together, and remembered together by :func:`zip_parts`.
_CHUNK = 48


def zip_parts(parts: dict[str, bytes], date_time: tuple[int, ...] = ZIP_EPOCH,
              remember: Callable[[tuple, Callable[[], list]], list] | None = None) -> bytes:
    """Return a deterministic zip archive of ``{entry name: content}``.

    Every entry gets ``date_time``, mode 0644, DEFLATE at level 6 (pictures stored) and no extra
    fields or comments; entries are ordered ``[Content_Types].xml``, ``_rels/.rels``, then by name.
    The same parts and time give the same bytes. Raises ValueError past a limit of a zip without
    ZIP64 (see the module's docstring).

    ``remember(key, compute)`` (a build's cache, see ``review.compose.context.PackContext``): the
    entries, in order, are compressed in runs of :data:`_CHUNK`, each kept by the hash of its names
    and contents — a package of hundreds of parts of which a few changed compresses those few.
    """
    _check_count(len(parts))  # before compressing anything
    if remember is None:
        return _assemble([_compress(name, content) for name, content in parts.items()], date_time)
    names = sorted(parts, key=_entry_order)
    members: list[_Member] = []
    for start in range(0, len(names), _CHUNK):
        chunk = names[start:start + _CHUNK]
        found = hashlib.sha256()
        for name in chunk:
            found.update(hashlib.sha256(name.encode("utf-8")).digest() + hashlib.sha256(parts[name]).digest())
        members += remember(("zip-entries", _LEVEL, found.hexdigest()), functools.partial(_compress_all, parts, chunk))
    return _assemble(members, date_time)


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


#: A package is refused when it holds more entries than this, or expands beyond ``MAX_EXPANDED``
#: bytes: an untrusted template is read whole, so its size is bounded before a byte is inflated.
MAX_ENTRIES = 10_000
MAX_EXPANDED = 64 * 1024 * 1024
_RELATIONSHIPS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# Content types and part names of macros: VBA projects, their data and key bindings, and the
# main part of a macro-enabled document or template.
_MACRO_TYPES = ("macroenabled", "vbaproject", "vbadata", "keymapcustomizations")
_MACRO_NAMES = ("vbaproject", "vbadata", "keymapcustomizations")


def package_problems(data: bytes, detachable: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Return what makes ``data`` (an Open XML package, untrusted) unsafe or unreadable, as
    ``(part name, message)`` pairs; an empty list when it is sound.

    Looks at every entry: a zip that is not one, too many entries or too many bytes once
    expanded (checked on the sizes the zip declares, which ``zipfile`` does not read past), an
    entry that does not inflate or fails its CRC, malformed XML in a ``.xml`` or ``.rels`` part
    (parsed without entities, DTDs or network) or one declaring a DOCTYPE, a missing
    ``[Content_Types].xml`` or ``_rels/.rels``, a relationship to a part that is missing, a
    macro (a VBA project part or a macro-enabled content type), and an external relationship
    (``TargetMode="External"``) unless its type's last segment is in ``detachable``. The part
    name is '' for the whole file.
    """
    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return [("", "not a zip archive (expected an Office Open XML package such as a .docx)")]
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        expanded = sum(info.file_size for info in entries)
        if len(entries) > MAX_ENTRIES or expanded > MAX_EXPANDED:
            return [("", f"holds {len(entries):,} entries expanding to {expanded:,} bytes (expected at most "
                         f"{MAX_ENTRIES:,} entries and {MAX_EXPANDED:,} bytes)")]
        problems: list[tuple[str, str]] = []
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        roots = {}
        for info in entries:
            name = info.filename
            if any(marker in name.lower() for marker in _MACRO_NAMES):
                problems.append((name, "a macro (VBA) part; a template may not carry macros "
                                       "(expected a .docx saved without macros)"))
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
                    RuntimeError) as exc:  # RuntimeError: an encrypted entry
                problems.append((name, f"cannot be read: {exc} (expected an intact zip entry)"))
                continue
            if name.endswith((".xml", ".rels")):
                try:
                    roots[name] = etree.fromstring(content, parser)
                except etree.XMLSyntaxError as exc:
                    problems.append((name, f"malformed XML: {exc.msg} (expected well-formed XML)"))
                    continue
                # Office refuses a DTD, and its entities, left unexpanded, would be written out as
                # references no reader can resolve.
                if roots[name].getroottree().docinfo.doctype:
                    problems.append((name, "a document type declaration (DOCTYPE) (expected Office Open "
                                           "XML, which has none)"))
        for required in (_CONTENT_TYPES, "_rels/.rels"):
            if required not in archive.NameToInfo:
                problems.append((required, "missing (expected in every Office Open XML package)"))
        names = {info.filename for info in entries}
    types = roots.get(_CONTENT_TYPES)
    if types is not None:
        for node in types:
            content_type = node.get("ContentType", "")
            if any(marker in content_type.lower() for marker in _MACRO_TYPES):
                where = node.get("PartName", "").lstrip("/") or _CONTENT_TYPES
                problems.append((where, f"macro-enabled content type {content_type!r}; a template may "
                                        "not carry macros (expected a .docx saved without macros)"))
    for rels_name, root in roots.items():
        if not rels_name.endswith(".rels"):
            continue
        for rel in root.iter(f"{_RELATIONSHIPS_NS}Relationship"):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            target = rel.get("Target", "")
            if rel.get("TargetMode", "").lower() == "external":
                if kind not in detachable:
                    problems.append((rels_name, f"relationship {rel.get('Id')!r} ({kind}) points outside the "
                                                f"file, to {quoted(target)}; a template must hold what it shows "
                                                "(expected an embedded picture or object, or none)"))
            elif not target.startswith("#") and _part_name(rels_name, target) not in names:
                problems.append((_part_name(rels_name, target), f"missing (expected: {rels_name} names it "
                                                                f"as relationship {rel.get('Id')!r} ({kind}))"))
    return problems


def _part_name(rels_name: str, target: str) -> str:
    """Return the part name a relationship of ``rels_name`` targets (``word/_rels/document.xml.rels``
    and ``styles.xml`` give ``word/styles.xml``; an absolute target is taken from the root)."""
    if target.startswith("/"):
        return posixpath.normpath(urllib.parse.unquote(target)).lstrip("/")
    source_folder = posixpath.dirname(posixpath.dirname(rels_name))
    return posixpath.normpath(posixpath.join(source_folder, urllib.parse.unquote(target))).lstrip("/")
