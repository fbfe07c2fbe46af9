"""The limits every input is checked against, and how messages quote what the user wrote."""

from __future__ import annotations

import pytest

from review.errors import MAX_QUOTED, quoted
from review.model.limits import control_character, windows_reserved


@pytest.mark.parametrize("text, expected", [
    ("وزارة الصحة", None), ("tab\tand\nlines\r\n", None), ("\u200fمؤشر \u2066KPI-3\u2069", None),
    ("bell\x07", "U+0007 at character 5"), ("\x00", "U+0000 at character 1"),
    ("del\x7f", "U+007F at character 4"), ("c1\x85x", "U+0085 at character 3"), ("\x1b[31mred", "U+001B at character 1"),
])
def test_control_characters_are_found_with_their_place(text, expected):
    assert control_character(text) == expected


@pytest.mark.parametrize("name, expected", [("con", True), ("NUL.docx", True), ("com0", True), ("LPT9.x", True),
                                            ("console", False), ("health", False), ("com10", False)])
def test_windows_reserved_names(name, expected):
    assert windows_reserved(name) is expected


def test_quoted_cuts_long_input_and_says_how_long():
    assert quoted("abc") == "'abc'"
    long = "x" * 100_000
    shown = quoted(long)
    assert len(shown) < MAX_QUOTED + 40
    assert shown.endswith("… (100,000 characters)")
