"""Ids: codes, not names (SPEC §3.1). Sector and plan ids become file and folder names.

Kept apart from the plan model (and its pydantic import) so that the build's up-to-date check can
tell a valid plan id without loading the plan.
"""

from __future__ import annotations

import re

from review.model.limits import RESERVED_NAMES, windows_reserved

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# fullmatch, not match: with match, '$' also matches before a final newline ('health\n').
_ID_RE = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    """Return True when ``value`` is a valid id: letters, digits, '.', '_' or '-', at most 64,
    starting with a letter or digit, and never '..'."""
    return bool(_ID_RE.fullmatch(value)) and ".." not in value


def file_name_problem(value: str, reserved: bool = False) -> str | None:
    """Return why the id ``value`` cannot name a file or folder of the outputs, or None when it can.

    Windows refuses its device names (``CON``, ``nul.txt``) in any letter case; with ``reserved``
    (sector ids, which name ``<id>.docx`` beside the build's own files) the names of
    :data:`review.model.limits.RESERVED_NAMES` are refused too, also in any letter case.
    """
    if windows_reserved(value):
        return "is a device name on Windows, which no file may take (whatever its extension)"
    if reserved and value.lower() in RESERVED_NAMES:
        return f"is the name of a file or folder the build writes ({', '.join(sorted(RESERVED_NAMES))})"
    return None
