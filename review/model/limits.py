"""What the outputs can hold, and so what every input is checked against (SPEC §7, issue 14).

Plan and data obey the same rules, so that whatever ``review validate`` accepts every command can
write: Word and Excel cannot hold control characters, a pack cannot print a number beyond about
fifteen significant digits, and some names become files.
"""

from __future__ import annotations

import re

#: Numbers are refused beyond this magnitude (plan and data): a float holds whole numbers exactly
#: only up to 2**53 (about 9e15), and no indicator of a plan comes near.
MAX_MAGNITUDE = 1e15

#: Control characters refused in every text: C0 controls other than tab, line feed and carriage
#: return (XML 1.0, so Word and Excel, cannot hold them), DEL and the C1 controls. Direction marks
#: and isolates (U+200E, U+2066 …) are not controls: Arabic text needs them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: Word's limit on a document property (title, subject, author).
MAX_PROPERTY_CHARS = 255
#: Excel's limit on a sheet name.
MAX_SHEET_NAME_CHARS = 31
#: Excel's limit on the text of one cell.
MAX_CELL_CHARS = 32_767

#: Names a build writes in a revision folder beside ``<sector-id>.docx``: a sector id may not be
#: one of them (compared without case, as Windows and macOS file names are).
RESERVED_NAMES = frozenset({"executive", "results", "manifest", "charts", "snapshot", "final", "index",
                            "dashboard", "deck", "forms", "receipts", "status", "recommendations"})
#: Names Windows refuses as a file name, whatever the extension (``NUL.txt`` too).
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                              *(f"lpt{i}" for i in range(10))})


def control_character(text: str) -> str | None:
    """Return where the first refused control character of ``text`` is (``'U+0007 at character
    12'``, 1-based), or None when there is none."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X} at character {found.start() + 1}"


def windows_reserved(name: str) -> bool:
    """Return True when Windows refuses ``name`` as a file name (``con``, ``NUL.docx``, ``com1``)."""
    return name.split(".")[0].strip().lower() in WINDOWS_RESERVED
