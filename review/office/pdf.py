"""PDF/A copies of the packs through LibreOffice in headless mode (``review build --pdf``).

LibreOffice is an optional system program, not a Python dependency: :func:`require_soffice` is
called before a build does any work, so ``--pdf`` without it stops at once with the fix.
PDF bytes carry LibreOffice's own timestamps and ids, so they are archived and verified but never
compared by ``review archive rebuild``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from review.errors import UsageError
from review.office.word.writer import BOOKMARK_PREFIX, number_contents

#: PDF/A-2b: LibreOffice's export filter with ``SelectPdfVersion`` 2 (JSON filter options, LibreOffice ≥ 7.4);
#: bookmarks exported as named destinations, so the page of each heading can be read back.
PDFA_FILTER = ('pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},'
               '"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}')
#: Layouts tried before the contents' page numbers are kept (see number_pages).
ROUNDS = 3
PROGRAMS = ("soffice", "libreoffice")
#: Seconds allowed for converting one batch of packs.
TIMEOUT = 600
MISSING = "--pdf needs LibreOffice (soffice) on PATH; install libreoffice-writer-nogui (Debian/Ubuntu) " \
          "or LibreOffice from libreoffice.org, or build without --pdf"
MISSING_PDFINFO = "page numbers in the contents need poppler's pdfinfo on PATH; install poppler-utils " \
                  "(Debian/Ubuntu) or poppler (Homebrew), or build without --pdf"
# A line of ``pdfinfo -dests``: page, destination, then the name in quotes; LibreOffice writes the
# bookmark "_Toc000001" as "5FToc000001" (its escape of "_"), so only the digits are trusted.
_DESTINATION = re.compile(r'^\s*(\d+)\s.*"[^"]*Toc(\d{6})"\s*$')


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


def convert_packs(packs: dict[str, bytes], page_text: Callable[[int], str] = str) -> dict[str, bytes]:
    """Return a PDF/A-2b copy of every ``.docx`` in ``packs``, named ``<name>.pdf`` beside it.

    The copies' contents carry page numbers (:func:`number_pages`); ``page_text`` writes them in
    the plan's digits. Raises UsageError when LibreOffice or poppler's ``pdfinfo`` is absent,
    RuntimeError when LibreOffice fails or times out.
    """
    return number_pages(packs, page_text)[1]


def number_pages(packs: dict[str, bytes], page_text: Callable[[int], str] = str
                 ) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Return ``(numbered packs, their PDF copies)`` for every ``.docx`` in ``packs``.

    LibreOffice lays each pack out and exports it with its headings' bookmarks as named PDF
    destinations; poppler's ``pdfinfo -dests`` reads the page of each, and
    :func:`review.office.word.writer.number_contents` writes those numbers into the contents
    field's result (``PAGEREF`` results: Word shows them without asking). The numbered pack is laid
    out again to check that the numbers did not move a heading (a number longer than the line
    could); up to :data:`ROUNDS` layouts, then the last numbers are kept. Deterministic for a
    given LibreOffice. Raises like :func:`convert_packs`.
    """
    docx = {name: data for name, data in packs.items() if name.endswith(".docx")}
    if not docx:
        return {}, {}
    require_soffice()
    pdfinfo = require_pdfinfo()
    # A plan in Arabic-Indic digits: LibreOffice draws the page fields' digits by context too.
    context = page_text(1) != "1"
    pdfs = _convert(docx, context)
    numbered: dict[str, bytes] = {}
    todo = sorted(docx)
    for _ in range(ROUNDS):
        pages = {name: heading_pages(pdfs[name], pdfinfo) for name in todo}
        for name in todo:
            numbered[name] = number_contents(docx[name], pages[name], page_text)
        pdfs.update(_convert({name: numbered[name] for name in todo}, context))
        todo = [name for name in todo if heading_pages(pdfs[name], pdfinfo) != pages[name]]
        if not todo:
            break
    return numbered, {name[:-len(".docx")] + ".pdf": pdfs[name] for name in sorted(docx)}


def find_pdfinfo() -> str | None:
    """Return the path of poppler's ``pdfinfo``, or None when it is not on PATH."""
    return shutil.which("pdfinfo")


def require_pdfinfo() -> str:
    """Return the ``pdfinfo`` path; raises UsageError naming the fix when poppler is absent."""
    found = find_pdfinfo()
    if found is None:
        raise UsageError(MISSING_PDFINFO)
    return found


def heading_pages(pdf: bytes, pdfinfo: str | None = None) -> dict[str, int]:
    """Return the page (1-based) of every heading bookmark a pack's PDF holds as a named destination."""
    with tempfile.TemporaryDirectory(prefix="review-pages-") as work:
        path = Path(work) / "pack.pdf"
        path.write_bytes(pdf)
        done = subprocess.run([pdfinfo or require_pdfinfo(), "-dests", str(path)], capture_output=True,
                              text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT)
    pages = {}
    for line in done.stdout.splitlines():
        match = _DESTINATION.match(line)
        if match:
            pages[BOOKMARK_PREFIX + match.group(2)] = int(match.group(1))
    return pages


#: The private profile's settings for a plan in Arabic-Indic digits. Numerals "Context"
#: (CTLTextNumerals 3): digits in right-to-left Arabic text, such as the page fields' numbers, are
#: drawn as Arabic-Indic digits, as Word does with its numeral setting "Context" (the packs' own
#: text is already in the plan's digits; digits after Latin letters, as in codes, stay Western).
#: A plan in Western digits keeps LibreOffice's default (digits as written). The page fields and the
#: contents' page numbers need it no more (they are set in the embedded Review Digits font, see
#: PackWriter.set_footer); it stays for any digit a pack computes in LibreOffice in Arabic text.
#: The PDF's text layer keeps the digits as written (pdftotext reads "2"); the pages show ٢.
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/I18N/CTL"><prop oor:name="CTLTextNumerals" oor:op="fuse">\
<value>3</value></prop></item>
</oor:items>
"""


def _convert(docx: dict[str, bytes], context_numerals: bool = False) -> dict[str, bytes]:
    """Return LibreOffice's PDF/A-2b export of every pack, by the pack's name; with
    ``context_numerals``, digits in Arabic text are drawn as Arabic-Indic (:data:`PROFILE_SETTINGS`)."""
    soffice = require_soffice()
    with tempfile.TemporaryDirectory(prefix="review-pdf-") as work:
        root = Path(work)
        # A private profile: a LibreOffice the user has open (or a parallel build) cannot interfere.
        profile = (root / "profile").as_uri()
        if context_numerals:
            settings = root / "profile" / "user" / "registrymodifications.xcu"
            settings.parent.mkdir(parents=True)
            settings.write_text(PROFILE_SETTINGS, encoding="utf-8")
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
                results[name] = pdf.read_bytes()
        return results
