"""One status vocabulary and one palette (issue 16): distinct words, colours distinct in lightness."""

from __future__ import annotations

import itertools

import pytest

from review.language.phrases import load_phrases
from review.model import status as st


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_no_two_statuses_share_a_label(lang):
    phrases = load_phrases(lang=lang)
    labels = [phrases(f"status.{key}") for key in st.ALL_STATUSES]
    labels += [phrases(f"recommendation_status.{key}") for key in st.RECOMMENDATION_COLOURS]
    assert len(set(labels)) == len(labels)


def test_lateness_has_one_word_each():
    phrases = load_phrases(lang="ar")
    assert phrases("status.off_track") == "متأخر عن الخطة"
    assert phrases("status.delayed") == "تجاوز موعد الانتهاء"
    assert phrases("status.stalled") == "متعثر"


def test_every_status_has_a_colour_and_a_text_colour():
    assert set(st.COLOURS) == set(st.TEXT_COLOURS) == set(st.ALL_STATUSES)
    assert set(st.RECOMMENDATION_COLOURS.values()) <= set(st.ALL_STATUSES)


def test_colours_are_distinct_in_lightness():
    # Printed in greyscale, two statuses never give the same grey: L* at least 8 apart.
    for a, b in itertools.combinations(st.ALL_STATUSES, 2):
        assert abs(st.lightness(st.colour(a)) - st.lightness(st.colour(b))) >= 8, (a, b)


@pytest.mark.parametrize("hex_colour, expected", [("000000", 0.0), ("FFFFFF", 100.0), ("777777", 50.0)])
def test_lightness_of_known_greys(hex_colour, expected):
    # sRGB 0x77 is the grey whose CIE L* is 50 (to within 0.1).
    assert st.lightness(hex_colour) == pytest.approx(expected, abs=0.1)


def test_text_reads_on_its_fill():
    for key in st.ALL_STATUSES:
        dark_fill = st.lightness(st.colour(key)) < 55
        assert st.text_colour(key) == ("FFFFFF" if dark_fill else "000000"), key
