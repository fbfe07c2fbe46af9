"""Period labels for page headers: the quarter spelled out (issue 16)."""

from __future__ import annotations

import pytest

from review.model.periods import Period, period_heading_label


@pytest.mark.parametrize("period, calendar, lang, expected", [
    ("1444-Q4", "hijri", "ar", "الربع الرابع 1444هـ"),
    ("1444-Q1", "hijri", "en", "First quarter 1444 AH"),
    ("2025-Q2", "gregorian", "ar", "الربع الثاني 2025"),
    ("2024-Q3", "gregorian", "en", "Third quarter 2024"),
])
def test_period_heading_label(period, calendar, lang, expected):
    assert period_heading_label(Period.parse(period), calendar, lang) == expected
