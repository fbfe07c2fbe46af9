"""Counts that agree with their nouns: «مؤشر واحد», «مؤشران», «٣ مؤشرات», «١١ مؤشرًا», «١٠٠ مؤشر»;
"1 indicator", "2 indicators".

Each counted noun is declared once in ``templates/phrases.yaml`` under ``noun.<name>`` with its
``singular``, ``dual``, ``plural`` and ``gender`` (``m`` or ``f``) in Arabic, and its singular and
plural in English (the English ``dual`` and ``gender`` are not read). The Arabic accusative
singular that follows 11–99 («مؤشرًا», «توصيةً») is derived from the singular unless the
catalogue gives ``accusative``.

The Arabic rule, on the last two digits of the count (Modern Standard Arabic as written in
government reports): 1 → the singular followed by «واحد/واحدة»; 2 → the dual alone; 3–10 → the
plural; 11–99 → the accusative singular; 0, 100, 200, …, and 101, 102 (last two digits 0, 1 or 2
above 100) → the singular. Counts of 1 and 2 are words, larger ones are digits (the plan's);
``words=True`` also writes 3–10 as words, with the gender polarity of Arabic numerals
(«ثلاثة مؤشرات», «ثلاث توصيات»).
"""

from __future__ import annotations

from dataclasses import dataclass

from review.language.formats import format_number

#: 3–10 in words, as they stand before a masculine noun (the feminine form of the numeral).
_WORDS_BEFORE_MASCULINE = {3: "ثلاثة", 4: "أربعة", 5: "خمسة", 6: "ستة", 7: "سبعة", 8: "ثمانية",
                           9: "تسعة", 10: "عشرة"}
#: 3–10 in words, as they stand before a feminine noun (the masculine form of the numeral).
_WORDS_BEFORE_FEMININE = {3: "ثلاث", 4: "أربع", 5: "خمس", 6: "ست", 7: "سبع", 8: "ثماني", 9: "تسع",
                          10: "عشر"}
_ONE = {"m": "واحد", "f": "واحدة"}


@dataclass(frozen=True)
class Noun:
    """A counted noun's forms in one language; ``gender`` is ``m`` or ``f`` (Arabic only)."""

    singular: str
    plural: str
    dual: str = ""
    gender: str = "m"
    accusative: str = ""

    def genitive_dual(self) -> str:
        """Return the dual after a preposition («من أصل مؤشرين»): «ـان» becomes «ـين»."""
        return self.dual[:-2] + "ين" if self.dual.endswith("ان") else self.dual

    def accusative_singular(self) -> str:
        """Return the singular with the accusative tanween: «مؤشرًا», «توصيةً», «جهةً»."""
        if self.accusative:
            return self.accusative
        word = self.singular
        if word.endswith(("ة", "ى", "اء")):
            return word + "ً"
        return word + "ًا"


def count_noun(count: int, noun: Noun, lang: str = "ar", digits: str = "latin", words: bool = False,
               genitive: bool = False) -> str:
    """Return ``count`` with ``noun`` in the form the count asks for, e.g. «٣ مؤشرات», "1 indicator".

    ``count`` is a whole number ≥ 0 (a float with no fraction is accepted: 8.0 prints «8»);
    ``digits`` is the plan's digit style for Arabic packs; ``genitive`` gives the dual its
    genitive form, for a count after a preposition («من أصل مؤشرين», «بعد ربعين»). Raises ValueError for a negative or
    fractional count.
    """
    if count < 0 or int(count) != count:
        raise ValueError(f"a count is a whole number ≥ 0, got {count!r}")
    n = int(count)
    if lang != "ar":
        return f"{format_number(n, 0, lang, digits)} {noun.singular if n == 1 else noun.plural}"
    if n == 1:
        return f"{noun.singular} {_ONE[noun.gender]}"
    if n == 2:
        return noun.genitive_dual() if genitive else noun.dual
    if words and 3 <= n <= 10:
        numeral = (_WORDS_BEFORE_FEMININE if noun.gender == "f" else _WORDS_BEFORE_MASCULINE)[n]
        return f"{numeral} {noun.plural}"
    number = format_number(n, 0, lang, digits)
    rest = n % 100
    if 3 <= rest <= 10:
        return f"{number} {noun.plural}"
    if 11 <= rest <= 99:
        return f"{number} {noun.accusative_singular()}"
    return f"{number} {noun.singular}"
