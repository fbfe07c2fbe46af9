"""Time the own zip writer (``review.office.package``) against ``zipfile``, on a sample build.

    REVIEW_WORKERS=1 python bench/containers.py [--repeat N] [--out DIR] [--plan DIR --period P]

Builds ``plans/services-1444`` 1444-Q4 (or ``--plan`` at ``--period``) in this process, as
``SOURCE_DATE_EPOCH=1700000000 review build plans/services-1444 --period 1444-Q4 --out DIR
--issue-date 2026-01-01`` does (``DIR`` a temporary folder unless ``--out`` is given), keeping
what the build hands to the own zip writer and the arguments of every pack it writes. Then the
median of ``--repeat`` runs of:

- ``pack``: writing each pack again (``write_sector_pack`` / ``write_executive_pack`` and, for a
  sector pack, stamping its revision number, as a cold build does: compose, python-docx, zip);
- ``normalize``: each ``normalize_zip`` call of the build (python-docx's and XlsxWriter's
  archives rewritten deterministically), own writer against the same done with ``zipfile``
  (read with ``ZipFile``, written with ``ZipFile.writestr``: fixed ``date_time``, mode 0644,
  Unix, DEFLATE level 6, pictures stored, the own writer's entry order);
- ``patch``: each ``patch_zip`` call (the revision number stamped into a sector pack's page
  headers; the own writer copies the other parts still compressed), against ``zipfile``, which
  cannot copy a compressed entry, reading and writing every part;
- ``write``: every .docx and .xlsx of the revision written from its parts (``zip_parts``) both ways.

Each ``zipfile`` result is compared with the own writer's bytes (``identical``). Prints one JSON
object (seconds). Not a test: nothing here is collected or run by the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from encoders import median_seconds  # bench/ is the script's folder: the same timing as the PNG encoder's

ROOT = Path(__file__).resolve().parent.parent
PLAN, PERIOD = ROOT / "plans" / "services-1444", "1444-Q4"
_PICTURES = (".png", ".jpg", ".jpeg")


def _order(name: str) -> tuple[int, str]:
    # The own writer's order: [Content_Types].xml, _rels/.rels, then by name.
    return ({"[Content_Types].xml": 0, "_rels/.rels": 1}.get(name, 2), name)


def zipfile_parts(parts: dict[str, bytes], date_time: tuple[int, ...]) -> bytes:
    """Return a deterministic archive of ``parts`` written by a plain ``zipfile.ZipFile``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(parts, key=_order):
            info = zipfile.ZipInfo(name, date_time=tuple(date_time)[:6])
            info.create_system = 3  # Unix, whatever this platform
            info.external_attr = 0o100644 << 16
            stored = name.lower().endswith(_PICTURES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, parts[name], compresslevel=None if stored else 6)
    return out.getvalue()


def read_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def zipfile_normalize(data: bytes, date_time: tuple[int, ...]) -> bytes:
    return zipfile_parts(read_parts(data), date_time)


def zipfile_patch(data: bytes, change, edit, date_time: tuple[int, ...]) -> bytes:
    parts = read_parts(data)
    return zipfile_parts({name: edit(name, content) if change(name) else content
                          for name, content in parts.items()}, date_time)


def build_and_capture(out: Path, plan: Path, period: str) -> tuple[dict, Path]:
    """Build the sample into ``out``; return what the build passed to the zip writer and to the
    pack writers, and the revision folder."""
    import review.compose.executive as executive
    import review.compose.sector as sector
    import review.office.word.writer as writer
    import review.office.xlsx as xlsx
    from review.cli.main import main

    calls: dict[str, list] = {"normalize": [], "patch": [], "pack": []}
    originals = [(writer, "normalize_zip"), (xlsx, "normalize_zip"), (writer, "patch_zip"),
                 (sector, "write_sector_pack"), (executive, "write_executive_pack")]
    saved = {(module, name): getattr(module, name) for module, name in originals}

    def keep(kind, function):
        def wrapper(*args, **kwargs):
            calls[kind].append((function, args, kwargs))
            return function(*args, **kwargs)
        return wrapper

    for module, name in originals:
        kind = {"normalize_zip": "normalize", "patch_zip": "patch"}.get(name, "pack")
        setattr(module, name, keep(kind, saved[module, name]))
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout is the report's
            code = main(["build", str(plan), "--period", period, "--out", str(out),
                         "--issue-date", "2026-01-01", "--quiet"])
    finally:
        for (module, name), function in saved.items():
            setattr(module, name, function)
    if code != 0:
        sys.exit(f"building {plan} failed (exit {code})")
    revision = next(path for path in out.glob(f"*/{period}/r*") if path.is_dir())
    return calls, revision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, help="build into this (empty) folder instead of a temporary one")
    parser.add_argument("--plan", type=Path, default=PLAN, help="the plan to build (default: %(default)s)")
    parser.add_argument("--period", default=PERIOD, help="its period (default: %(default)s)")
    args = parser.parse_args()
    if os.environ.get("REVIEW_WORKERS") != "1":
        sys.exit("run with REVIEW_WORKERS=1: the build must write its packs in this process")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"

    from review.office.package import normalize_zip, patch_zip, zip_parts

    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "out"
        calls, revision = build_and_capture(out, args.plan, args.period)
        outputs = {str(path.relative_to(revision)): path.read_bytes()
                   for path in sorted(revision.rglob("*")) if path.suffix in (".docx", ".xlsx")}
    repeat = args.repeat
    seconds = {"pack": 0.0, "normalize_own": 0.0, "normalize_zipfile": 0.0, "patch_own": 0.0,
               "patch_zipfile": 0.0, "write_own": 0.0, "write_zipfile": 0.0}
    identical = True
    for function, call_args, kwargs in calls["pack"]:
        seconds["pack"] += median_seconds(functools.partial(function, *call_args, **kwargs), repeat)
    # A sector pack's cold write also stamps its revision number (patch_zip), timed apart from it.
    for data, date_time in ((c[1][0], c[1][1]) for c in calls["normalize"]):
        own = normalize_zip(data, date_time)
        identical &= zipfile_normalize(data, date_time) == own
        seconds["normalize_own"] += median_seconds(functools.partial(normalize_zip, data, date_time), repeat)
        seconds["normalize_zipfile"] += median_seconds(functools.partial(zipfile_normalize, data, date_time),
                                                       repeat)
    for _, (data, change, edit, date_time), _ in calls["patch"]:
        identical &= zipfile_patch(data, change, edit, date_time) == patch_zip(data, change, edit, date_time)
        seconds["patch_own"] += median_seconds(functools.partial(patch_zip, data, change, edit, date_time), repeat)
        seconds["patch_zipfile"] += median_seconds(functools.partial(zipfile_patch, data, change, edit,
                                                                     date_time), repeat)
    for data in outputs.values():
        parts = read_parts(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            date_time = archive.infolist()[0].date_time
        identical &= zipfile_parts(parts, date_time) == zip_parts(parts, date_time) == data
        seconds["write_own"] += median_seconds(functools.partial(zip_parts, parts, date_time), repeat)
        seconds["write_zipfile"] += median_seconds(functools.partial(zipfile_parts, parts, date_time), repeat)
    # A cold build's pack writes: composing and saving each pack, plus stamping the sector packs.
    packs = seconds["pack"] + seconds["patch_own"]
    container_own = seconds["normalize_own"] + seconds["patch_own"]
    container_zipfile = seconds["normalize_zipfile"] + seconds["patch_zipfile"]
    stamps = max(1, len(calls["patch"]))
    report = {
        "repeat": repeat,
        "calls": {"packs": len(calls["pack"]), "normalize_zip": len(calls["normalize"]),
                  "patch_zip": len(calls["patch"]), "outputs": len(outputs)},
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "pack_writes": round(packs, 4),
        "zip_share_of_pack_writes": round(container_own / packs, 4),
        # Positive: the own writer is faster.
        "own_saves_seconds": round(container_zipfile - container_own, 4),
        "own_saves_share_of_pack_writes": round((container_zipfile - container_own) / packs, 4),
        # A rebuild takes an unchanged pack from the cache and only stamps it: this is all it costs.
        "stamp_ms_per_cached_pack": {"own": round(1000 * seconds["patch_own"] / stamps, 2),
                                     "zipfile": round(1000 * seconds["patch_zipfile"] / stamps, 2)},
        "identical": identical,
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
