"""Numbers, percentages and dates as a reader of the pack expects them (Babel, plan's digits)."""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import NumberPattern, parse_pattern

if TYPE_CHECKING:  # chart processes unpickle these formatters: keep pydantic out of their imports
    from review.model.plan import Indicator

LATIN = "latin"
ARABIC = "arabic"

_TO_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_NUMBERING = {LATIN: "latn", ARABIC: "arab"}


def localize_digits(text: str, digits: str) -> str:
    """Return ``text`` with Western digits turned into Arabic-Indic ones when ``digits == 'arabic'``."""
    return text.translate(_TO_ARABIC_INDIC) if digits == ARABIC else text


#: A run of letters, digits and code punctuation: a code such as PHC-03 or R1444-1-01 when it holds
#: a Latin letter (kept as written), else a number whose digits follow the plan.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def localize_text_digits(text: str, digits: str) -> str:
    """Return running text (a name, a title) with its numbers in the plan's digits and «٪» for
    «%»; Latin codes such as ``PHC-03``, ``R1444-1-01`` or ``2024-Q3`` keep their Western digits."""
    if digits != ARABIC:
        return text
    text = _TOKEN.sub(lambda m: m.group(0) if _LATIN_LETTER.search(m.group(0)) else localize_digits(m.group(0), digits),
                      text)
    return text.replace("%", "٪")


def format_number(value: float | None, decimals: int = 0, lang: str = "ar",
                  digits: str = LATIN, empty: str = "—") -> str:
    """Return ``value`` with grouping and exactly ``decimals`` decimals; ``empty`` for None."""
    if value is None:
        return empty
    # The sign is part of the key: -0.0 == 0.0 (one key), but Babel writes «-0.0» and «0.0».
    return _formatted(value, decimals, lang, digits, math.copysign(1.0, value) < 0)


@lru_cache(maxsize=1 << 16)
def _formatted(value: float, decimals: int, lang: str, digits: str, negative: bool) -> str:
    # A dashboard or a deck formats the same targets, shares and counts thousands of times, and
    # Babel's arithmetic in decimals is most of a number's cost: each distinct one is done once.
    pattern, locale = _number_format(decimals, lang)
    # Babel's numbering system switches the separators (٬ ٫) but not the digits themselves.
    text = pattern.apply(value, locale, decimal_quantization=True, numbering_system=_NUMBERING[digits])
    return localize_digits(text, digits)


@lru_cache(maxsize=None)
def _number_format(decimals: int, lang: str) -> tuple[NumberPattern, Locale]:
    # What babel.numbers.format_decimal does on every call, done once: parsing the locale and
    # the pattern is most of its cost, and a pack formats thousands of numbers.
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else "")), Locale.parse(lang)


def format_value(value: float | None, lang: str = "ar", digits: str = LATIN, empty: str = "—") -> str:
    """Return a value with no decimals when it is whole («14,300», «8») and one otherwise («2.5»)."""
    if value is None:
        return empty
    decimals = 0 if float(round(value, 1)).is_integer() else 1
    return format_number(value, decimals, lang, digits)


def format_percent(value: float | None, decimals: int = 1, lang: str = "ar",
                   digits: str = LATIN, empty: str = "—") -> str:
    """Return a percentage given on the 0–100 scale, e.g. ``85.2%`` (``٨٥٫٢٪`` in Arabic digits)."""
    if value is None:
        return empty
    number = format_number(value, decimals, lang, digits)
    return number + ("٪" if digits == ARABIC else "%")


def format_points(value: float | None, decimals: int = 1, lang: str = "ar",
                  digits: str = LATIN, empty: str = "—") -> str:
    """Return a change in percentage points with its sign, e.g. ``+3.5`` or ``-12.0``."""
    if value is None:
        return empty
    sign = "+" if value > 0 else ("-" if value < 0 else "")
    return sign + format_number(abs(value), decimals, lang, digits)


def format_date(day: dt.date, lang: str = "ar", digits: str = LATIN) -> str:
    """Return a Gregorian date in words, e.g. «30 يوليو 2022»."""
    return localize_digits(_babel_format_date(day, "d MMMM y", locale=lang), digits)


def format_hijri_date(day: dt.date, lang: str = "ar", digits: str = LATIN) -> str:
    """Return the Umm al-Qura Hijri date of a Gregorian day in words, e.g. «11 محرم 1445هـ».

    Raises ValueError outside the Umm al-Qura tables (1343–1500 AH, 1924–2077).
    """
    from hijridate import Gregorian  # the calendar tables load on first use only

    from review.model.periods import HIJRI_MONTHS
    hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    month = HIJRI_MONTHS[lang][hijri.month - 1]
    text = f"{hijri.day} {month} {hijri.year}هـ" if lang == "ar" else f"{hijri.day} {month} {hijri.year} AH"
    return localize_digits(text, digits)


def format_issue_date(day: dt.date, calendar: str, lang: str = "ar", digits: str = LATIN) -> str:
    """Return a document's issue date: Gregorian, or for a Hijri plan «<Hijri> الموافق <Gregorian>».

    A day outside the Hijri tables falls back to the Gregorian date alone.
    """
    gregorian = format_date(day, lang, digits)
    if calendar != "hijri":
        return gregorian
    try:
        hijri = format_hijri_date(day, lang, digits)
    except (ValueError, OverflowError):
        return gregorian
    return f"{hijri} الموافق {gregorian}" if lang == "ar" else f"{hijri} ({gregorian})"


def indicator_decimals(indicator: Indicator, *values: float | None) -> int:
    """Return the decimals to show an indicator's values with: its own setting, else 0 or 1."""
    if indicator.decimals is not None:
        return indicator.decimals
    present = [v for v in values if v is not None]
    return 0 if all(float(v).is_integer() for v in present) else 1
