"""The output folder: the only module that writes below ``output/``.

A build hands over its files as ``{relative path: bytes}``; they are written into a temporary
folder next to the destination and moved into place only when every file is written, so a failed
or interrupted build never leaves a partial folder and never touches an earlier build.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .errors import UsageError
from .periods import Period


def period_folder(out_root: Path, plan_id: str, period: Period) -> Path:
    """Return ``<out_root>/<plan-id>/<period>/``, checked to stay inside ``out_root``."""
    root = Path(out_root).resolve()
    folder = (root / plan_id / str(period)).resolve()
    if root not in folder.parents:
        raise UsageError(f"refusing to write outside {root}: {folder}")
    return folder


def _safe_relative(name: str) -> PurePosixPath:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"output name escapes its folder: {name!r}")
    return relative


def publish(folder: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` into ``folder`` atomically (all or nothing) and return the folder.

    An existing folder is replaced only after the new one is complete.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-", dir=folder.parent))
    try:
        for name in sorted(files):
            target = staging / _safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(files[name])
                handle.flush()
                os.fsync(handle.fileno())
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
