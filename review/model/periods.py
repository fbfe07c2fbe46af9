"""Periods (``2024-Q3``) as a value type, and the two calendars they are counted in.

A period's year is in the plan's calendar (SPEC §3.2). Hijri quarters are three Hijri months each
(Q1 = Muharram–Safar–Rabi' al-Awwal) converted to Gregorian dates with the Umm al-Qura calendar
(``hijridate``); Gregorian quarters are January–March, and so on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from babel.dates import get_month_names
from hijridate import Hijri

HIJRI = "hijri"
GREGORIAN = "gregorian"
#: The calendars a plan's years may be counted in: ``HIJRI`` or ``GREGORIAN``.
Calendar = Literal["hijri", "gregorian"]

_PERIOD_RE = re.compile(r"^(\d{4})-Q([1-4])$")

HIJRI_MONTHS = {
    "ar": (
        "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
        "رجب", "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
    ),
    "en": (
        "Muharram", "Safar", "Rabi' al-Awwal", "Rabi' al-Thani", "Jumada al-Ula",
        "Jumada al-Akhirah", "Rajab", "Sha'ban", "Ramadan", "Shawwal", "Dhu al-Qa'dah",
        "Dhu al-Hijjah",
    ),
}

_QUARTER_ORDINALS = {
    "ar": ("الأول", "الثاني", "الثالث", "الرابع"),
    "en": ("first", "second", "third", "fourth"),
}

# Umm al-Qura tables cover 1343–1500 AH; the last quarter of a year needs the next year's first
# day, so plans may use 1343–1499.
HIJRI_YEARS = range(1343, 1500)
GREGORIAN_YEARS = range(1900, 2101)


@dataclass(frozen=True, order=True)
class Period:
    """A quarter of a year in the plan's calendar; orders chronologically."""

    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        """Return the period written ``YYYY-Qn``; raise ValueError for anything else."""
        match = _PERIOD_RE.match(str(text).strip()) if text is not None else None
        if not match:
            raise ValueError(f"expected a period like '2024-Q3' (quarter 1 to 4), got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def index(self) -> int:
        """Return a running quarter number, so that ``b.index - a.index`` counts quarters."""
        return self.year * 4 + self.quarter - 1

    def previous(self) -> "Period":
        """Return the quarter before this one, across the year boundary."""
        return Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)

    def next(self) -> "Period":
        """Return the quarter after this one, across the year boundary."""
        return Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)


def check_year(year: int, calendar: str) -> None:
    """Raise ValueError when ``year`` cannot be converted in ``calendar``."""
    years = HIJRI_YEARS if calendar == HIJRI else GREGORIAN_YEARS
    if year not in years:
        raise ValueError(
            f"expected a {calendar} year between {years.start} and {years.stop - 1}, got {year}"
        )


def quarter_dates(period: Period, calendar: str) -> tuple[dt.date, dt.date]:
    """Return the first and last Gregorian day of the quarter (inclusive)."""
    first_month = (period.quarter - 1) * 3 + 1
    if calendar == HIJRI:
        first = Hijri(period.year, first_month, 1).to_gregorian()
        nxt = period.next()
        after = Hijri(nxt.year, (nxt.quarter - 1) * 3 + 1, 1).to_gregorian()
        return dt.date(first.year, first.month, first.day), dt.date(after.year, after.month, after.day) - dt.timedelta(days=1)
    start = dt.date(period.year, first_month, 1)
    nxt = period.next()
    end = dt.date(nxt.year, (nxt.quarter - 1) * 3 + 1, 1) - dt.timedelta(days=1)
    return start, end


def calendar_date(text: str, calendar: str) -> dt.date:
    """Return the Gregorian day of ``text`` (``YYYY-MM-DD``) read in ``calendar``: a Hijri plan's
    deadline ``1445-01-15`` is 15 Muharram 1445 (Umm al-Qura). Raises ValueError naming what is wrong."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(text).strip())
    if not match:
        raise ValueError(f"expected a date like 2024-10-15 (YYYY-MM-DD), got {str(text)!r}")
    year, month, day = map(int, match.groups())
    if calendar == HIJRI:
        try:
            check_year(year, calendar)
            gregorian = Hijri(year, month, day).to_gregorian()
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"expected a Hijri date (Umm al-Qura) like 1445-01-15, got {str(text)!r} ({exc})") from None
        return dt.date(gregorian.year, gregorian.month, gregorian.day)
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"expected a date like 2024-10-15, got {str(text)!r} ({exc})") from None


def month_names(period: Period, calendar: str, lang: str) -> list[str]:
    """Return the names of the quarter's three months in ``lang`` (``ar`` or ``en``)."""
    months = range((period.quarter - 1) * 3, period.quarter * 3)
    if calendar == HIJRI:
        return [HIJRI_MONTHS[lang][m] for m in months]
    names = get_month_names("wide", locale=lang)
    return [names[m + 1] for m in months]


def period_label(period: Period, calendar: str, lang: str = "ar") -> str:
    """Return the period as a reader says it, e.g. «الربع الأول من العام 1444هـ (محرم – صفر – ربيع الأول)».

    Digits are Western here; ``review.language.formats.localize_digits`` converts them when the plan asks.
    """
    ordinal = _QUARTER_ORDINALS[lang][period.quarter - 1]
    months = month_names(period, calendar, lang)
    if calendar == HIJRI:
        span = " – ".join(months)
        if lang == "ar":
            return f"الربع {ordinal} من العام {period.year}هـ ({span})"
        return f"{ordinal.capitalize()} quarter of {period.year} AH ({span})"
    span = f"{months[0]} – {months[-1]}"
    if lang == "ar":
        return f"الربع {ordinal} {period.year} ({span})"
    return f"{ordinal.capitalize()} quarter {period.year} ({span})"


def period_heading_label(period: Period, calendar: str, lang: str = "ar") -> str:
    """Return the period spelled out for a page header, e.g. «الربع الرابع 1444هـ» or «Fourth quarter 2024».

    Digits are Western here, as in :func:`period_label`.
    """
    ordinal = _QUARTER_ORDINALS[lang][period.quarter - 1]
    if lang == "ar":
        return f"الربع {ordinal} {period.year}" + ("هـ" if calendar == HIJRI else "")
    return f"{ordinal.capitalize()} quarter {period.year}" + (" AH" if calendar == HIJRI else "")


def period_short_label(period: Period, calendar: str, lang: str = "ar") -> str:
    """Return a compact label for chart axes, e.g. «ر1 1444هـ» or «Q1 2024»."""
    suffix = "هـ" if calendar == HIJRI and lang == "ar" else (" AH" if calendar == HIJRI else "")
    if lang == "ar":
        return f"ر{period.quarter} {period.year}{suffix}"
    return f"Q{period.quarter} {period.year}{suffix}"
