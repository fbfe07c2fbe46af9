"""Counts that agree with their nouns, Arabic and English, checked against hand-written forms."""

from __future__ import annotations

import pytest

from review.language.counts import Noun, count_noun
from review.language.phrases import load_phrases

INDICATOR = Noun("مؤشر", "مؤشرات", "مؤشران", "m")
RECOMMENDATION = Noun("توصية", "توصيات", "توصيتان", "f")
ENGLISH = Noun("indicator", "indicators")


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 مؤشر"), (1, "مؤشر واحد"), (2, "مؤشران"), (3, "3 مؤشرات"), (10, "10 مؤشرات"),
    (11, "11 مؤشرًا"), (99, "99 مؤشرًا"), (100, "100 مؤشر"), (101, "101 مؤشر"), (102, "102 مؤشر"),
    (103, "103 مؤشرات"), (110, "110 مؤشرات"), (111, "111 مؤشرًا"), (200, "200 مؤشر"),
    (999, "999 مؤشرًا"), (1000, "1,000 مؤشر"),
])
def test_masculine_noun(count, expected):
    assert count_noun(count, INDICATOR) == expected


@pytest.mark.parametrize(("count", "expected"), [
    (1, "توصية واحدة"), (2, "توصيتان"), (5, "5 توصيات"), (17, "17 توصيةً"), (300, "300 توصية"),
])
def test_feminine_noun(count, expected):
    assert count_noun(count, RECOMMENDATION) == expected


def test_every_count_from_0_to_1000_follows_the_rule_of_its_last_two_digits():
    for n in range(3, 1001):
        rest = n % 100
        form = count_noun(n, INDICATOR).split(" ", 1)[1]
        expected = ("مؤشرات" if 3 <= rest <= 10 else "مؤشرًا" if rest >= 11 else "مؤشر")
        assert form == expected, n
        assert count_noun(n, RECOMMENDATION).endswith(
            "توصيات" if 3 <= rest <= 10 else "توصيةً" if rest >= 11 else "توصية"), n


@pytest.mark.parametrize(("count", "masculine", "feminine"), [
    (3, "ثلاثة مؤشرات", "ثلاث توصيات"), (4, "أربعة مؤشرات", "أربع توصيات"), (8, "ثمانية مؤشرات", "ثماني توصيات"),
    (10, "عشرة مؤشرات", "عشر توصيات"), (11, "11 مؤشرًا", "11 توصيةً"),
])
def test_numbers_in_words_take_the_opposite_gender(count, masculine, feminine):
    assert count_noun(count, INDICATOR, words=True) == masculine
    assert count_noun(count, RECOMMENDATION, words=True) == feminine


def test_the_dual_after_a_preposition_and_arabic_digits():
    assert count_noun(2, INDICATOR, genitive=True) == "مؤشرين"
    assert count_noun(2, RECOMMENDATION, genitive=True) == "توصيتين"
    assert count_noun(14, INDICATOR, digits="arabic") == "١٤ مؤشرًا"
    assert count_noun(8.0, INDICATOR, digits="arabic") == "٨ مؤشرات"  # a whole float prints no ".0"


@pytest.mark.parametrize(("count", "expected"), [(0, "0 indicators"), (1, "1 indicator"), (2, "2 indicators"),
                                                 (1000, "1,000 indicators")])
def test_english(count, expected):
    assert count_noun(count, ENGLISH, lang="en") == expected


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_a_count_is_a_whole_number(bad):
    with pytest.raises(ValueError, match="whole number"):
        count_noun(bad, INDICATOR)


def test_every_counted_noun_is_declared_with_its_four_forms():
    phrases = load_phrases()
    for name in ("indicator", "project", "recommendation", "entity", "sector", "quarter"):
        for form in ("singular", "dual", "plural", "gender"):
            assert phrases.has(f"noun.{name}.{form}"), (name, form)
        assert phrases(f"noun.{name}.gender") in ("m", "f")
        assert phrases(f"noun.{name}.dual").endswith("ان")
