"""PDF/A copies of the packs through LibreOffice in headless mode (``review build --pdf``).

LibreOffice is an optional system program, not a Python dependency: :func:`require_soffice` is
called before a build does any work, so ``--pdf`` without it stops at once with the fix.
PDF bytes carry LibreOffice's own timestamps and ids, so they are archived and verified but never
compared by ``review archive rebuild``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from review.errors import UsageError

#: PDF/A-2b: LibreOffice's export filter with ``SelectPdfVersion`` 2 (JSON filter options, LibreOffice ≥ 7.4).
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
PROGRAMS = ("soffice", "libreoffice")
#: Seconds allowed for converting one batch of packs.
TIMEOUT = 600
MISSING = "--pdf needs LibreOffice (soffice) on PATH; install libreoffice-writer-nogui (Debian/Ubuntu) " \
          "or LibreOffice from libreoffice.org, or build without --pdf"


def find_soffice() -> str | None:
    """Return the path of LibreOffice's ``soffice`` program, or None when it is not on PATH."""
    for name in PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_soffice() -> str:
    """Return the ``soffice`` path; raises UsageError naming the fix when LibreOffice is absent."""
    found = find_soffice()
    if found is None:
        raise UsageError(MISSING)
    return found


def convert_packs(packs: dict[str, bytes]) -> dict[str, bytes]:
    """Return a PDF/A-2b copy of every ``.docx`` in ``packs``, named ``<name>.pdf`` beside it.

    Raises UsageError when LibreOffice is absent, RuntimeError when it fails or times out.
    """
    docx = {name: data for name, data in packs.items() if name.endswith(".docx")}
    if not docx:
        return {}
    soffice = require_soffice()
    with tempfile.TemporaryDirectory(prefix="review-pdf-") as work:
        root = Path(work)
        # A private profile: a LibreOffice the user has open (or a parallel build) cannot interfere.
        profile = (root / "profile").as_uri()
        sources, outdir = root / "in", root / "out"
        results: dict[str, bytes] = {}
        by_folder: dict[str, list[str]] = {}
        for name in docx:
            by_folder.setdefault(name.rpartition("/")[0], []).append(name)
        for folder, names in sorted(by_folder.items()):
            for name in names:
                (sources / name).parent.mkdir(parents=True, exist_ok=True)
                (sources / name).write_bytes(docx[name])
            target = outdir / folder
            command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                       "--convert-to", PDFA_FILTER, "--outdir", str(target),
                       *(str(sources / name) for name in sorted(names))]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                      env=dict(os.environ, HOME=str(root)))
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"LibreOffice did not finish converting {len(names)} pack(s) "
                                   f"within {TIMEOUT} s") from None
            for name in names:
                pdf = target / (Path(name).stem + ".pdf")
                if not pdf.is_file():
                    detail = (done.stderr or done.stdout).strip().splitlines()
                    raise RuntimeError(f"LibreOffice did not convert {name} (exit {done.returncode}"
                                       f"{': ' + detail[-1] if detail else ''})")
                results[name[:-len(".docx")] + ".pdf"] = pdf.read_bytes()
        return results
