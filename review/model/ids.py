"""Ids: codes, not names (SPEC §3.1). Sector and plan ids become file and folder names.

Kept apart from the plan model (and its pydantic import) so that the build's up-to-date check can
tell a valid plan id without loading the plan.
"""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    """Return True when ``value`` is a valid id: letters, digits, '.', '_' or '-', at most 64,
    starting with a letter or digit, and never '..'."""
    return bool(_ID_RE.match(value)) and ".." not in value
