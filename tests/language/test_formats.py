"""Numbers as the packs print them: grouping, decimals, separators and digits per language."""

import datetime as dt

import pytest

from review.language.formats import (format_date, format_hijri_date, format_issue_date, format_number, format_percent,
                                     format_points, localize_digits)


@pytest.mark.parametrize(("value", "decimals", "lang", "digits", "expected"), [
    (1234.5678, 1, "en", "latin", "1,234.6"),
    (1234.5678, 0, "en", "latin", "1,235"),
    (0.05, 2, "en", "latin", "0.05"),
    (-12.0, 1, "en", "latin", "-12.0"),
    (1234567, 0, "ar", "latin", "1,234,567"),
    (1234.5678, 1, "ar", "arabic", "١٬٢٣٤٫٦"),
    (90.75, 2, "ar", "arabic", "٩٠٫٧٥"),
    (None, 1, "ar", "latin", "—"),
])
def test_format_number(value, decimals, lang, digits, expected):
    assert format_number(value, decimals, lang, digits) == expected


def test_format_number_rounds_half_even_like_babel():
    # Babel rounds half to even on the decimal value: 0.125 → 0.12, 0.135 → 0.14.
    assert format_number(0.125, 2, "en") == "0.12"
    assert format_number(2.5, 0, "en") == "2"
    assert format_number(3.5, 0, "en") == "4"


def test_percent_points_and_digits():
    assert format_percent(85.24, 1, "ar", "latin") == "85.2%"
    assert format_percent(85.25, 1, "ar", "arabic") == "٨٥٫٢٪"
    assert format_points(3.46, 1, "en") == "+3.5"
    assert format_points(-12.0, 1, "en") == "-12.0"
    assert format_points(0.0, 1, "en") == "0.0"
    assert localize_digits("2024, r12", "arabic") == "٢٠٢٤, r١٢"
    assert localize_digits("2024", "latin") == "2024"


def test_format_date():
    assert format_date(dt.date(2022, 7, 30), "en") == "30 July 2022"
    assert format_date(dt.date(2022, 7, 30), "ar", "arabic") == "٣٠ يوليو ٢٠٢٢"


@pytest.mark.parametrize("day, lang, digits, expected", [
    # Umm al-Qura: 1 Muharram 1445 was 19 July 2023; 1 Ramadan 1444 was 23 March 2023.
    (dt.date(2023, 7, 19), "ar", "latin", "1 محرم 1445هـ"),
    (dt.date(2023, 8, 1), "ar", "arabic", "١٤ محرم ١٤٤٥هـ"),
    (dt.date(2023, 3, 23), "en", "latin", "1 Ramadan 1444 AH"),
])
def test_format_hijri_date(day, lang, digits, expected):
    assert format_hijri_date(day, lang, digits) == expected


def test_issue_date_of_a_hijri_plan_gives_both_calendars():
    assert format_issue_date(dt.date(2023, 8, 1), "hijri") == "14 محرم 1445هـ الموافق 1 أغسطس 2023"
    assert format_issue_date(dt.date(2023, 8, 1), "hijri", "en") == "14 Muharram 1445 AH (1 August 2023)"
    assert format_issue_date(dt.date(2023, 8, 1), "gregorian") == "1 أغسطس 2023"
    # Beyond the Umm al-Qura tables the Gregorian date stands alone.
    assert format_issue_date(dt.date(2090, 1, 1), "hijri") == "1 يناير 2090"


@pytest.mark.parametrize("first", [0.0, -0.0])
def test_a_zero_keeps_its_sign_whichever_was_formatted_first(first):
    # -0.0 == 0.0, one key for a plain cache, but Babel writes them apart: the formatted numbers
    # must not depend on what a process happened to format before.
    from review.language import formats
    formats._formatted.cache_clear()
    format_number(first, 1)
    assert (format_number(0.0, 1), format_number(-0.0, 1)) == ("0.0", "-0.0")
