"""Numbers as entities type them (SPEC §3.3).

Western, Arabic-Indic (٠–٩) or Persian (۰–۹) digits; decimal mark ``.`` or ``٫``; thousands
separators ``,`` ``٬`` or spaces (in groups of three); an optional trailing ``%`` or ``٪``;
a blank means *not reported* and is returned as None, never zero. NaN, infinities and numbers
beyond :data:`review.model.limits.MAX_MAGNITUDE` are refused, as in the plan: no pack can print them.
"""

from __future__ import annotations

import math
import re

from review.errors import quoted
from review.model.limits import MAX_MAGNITUDE

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Direction marks and non-breaking/thin spaces that Excel and Arabic keyboards slip in.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u200b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")

NUMBER_EXPECTED = "a number such as 75, 75.5, ٧٥٫٥, 1,250 or 80%"
#: What a number beyond :data:`MAX_MAGNITUDE` is told.
MAGNITUDE_EXPECTED = f"a number between -{MAX_MAGNITUDE:,.0f} and {MAX_MAGNITUDE:,.0f}"


def parse_number(text: object) -> float | None:
    """Return the number written in ``text``, or None when it is blank.

    Raises ValueError (with the project's ``expected …, got …`` wording) for anything else,
    NaN, infinities and numbers beyond ±:data:`MAX_MAGNITUDE` included. A trailing percent sign
    is dropped: the value is already on the 0–100 scale.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(f"expected {NUMBER_EXPECTED}, got {text!r}")
    if isinstance(text, int) and abs(text) > MAX_MAGNITUDE:  # float() of a huge int overflows
        raise ValueError(f"expected {MAGNITUDE_EXPECTED}, got {quoted(text)}")
    if isinstance(text, (int, float)):
        return _bounded(float(text), text)
    raw = str(text)
    cleaned = raw.translate(_INVISIBLE).translate(_DIGITS).strip()
    if not cleaned:
        return None
    if cleaned[-1] in "%٪":
        cleaned = cleaned[:-1].strip()
    cleaned = cleaned.replace("\u2212", "-").replace("٫", ".").replace("٬", ",")
    # Spaces may only group thousands ("12 500"): turn them into commas and let the grouping check decide.
    cleaned = _SPACES.sub(",", cleaned)
    if not _NUMBER.match(cleaned):
        raise ValueError(f"expected {NUMBER_EXPECTED}, got {quoted(raw)}")
    return _bounded(float(cleaned.replace(",", "")), raw)


def _bounded(value: float, written: object) -> float:
    """Return ``value``, or raise ValueError when it is NaN, infinite or beyond ±MAX_MAGNITUDE."""
    if math.isnan(value):
        raise ValueError(f"expected {NUMBER_EXPECTED}, got {quoted(written)}")
    if abs(value) > MAX_MAGNITUDE:  # infinities too
        raise ValueError(f"expected {MAGNITUDE_EXPECTED}, got {quoted(written)}")
    return value
