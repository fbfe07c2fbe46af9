"""The page numbers' font (review.office.word.digits): what it draws, how it is embedded."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml.ns import qn
from fontTools.ttLib import TTFont
from lxml import etree

from review.office.word import digits
from review.office.word.writer import PackWriter
from tests.conftest import audit



def shipped() -> TTFont:
    return TTFont(io.BytesIO(digits.font_bytes()))


def test_the_font_draws_western_and_arabic_indic_digits_alike_and_nothing_else():
    font = shipped()
    cmap = font.getBestCmap()
    assert set(cmap) == {0x20, *digits.WESTERN, *digits.ARABIC_INDIC}
    for western, arabic in zip(digits.WESTERN, digits.ARABIC_INDIC):
        assert cmap[western] == cmap[arabic]
    assert len({cmap[c] for c in digits.WESTERN}) == 10
    assert font["name"].getDebugName(1) == digits.FONT_NAME
    assert font["OS/2"].fsType == 0  # installable: Word and LibreOffice may load it from a document
    assert "Open Font License" in font["name"].getDebugName(13)


def test_its_digits_are_the_bundled_noto_sans_arabics_arabic_indic_digits():
    from fontTools.varLib import instancer
    font = shipped()
    noto = instancer.instantiateVariableFont(TTFont(digits.noto_sans_arabic()), {"wght": 400, "wdth": 100})
    ours, theirs = font.getBestCmap(), noto.getBestCmap()
    for western, arabic in zip(digits.WESTERN, digits.ARABIC_INDIC):
        drawn, source = font["glyf"][ours[western]], noto["glyf"][theirs[arabic]]
        assert list(drawn.getCoordinates(font["glyf"])[0]) == list(source.getCoordinates(noto["glyf"])[0])
        assert font["hmtx"][ours[western]][0] == noto["hmtx"][theirs[arabic]][0]


def test_make_font_remakes_the_shipped_font():
    made = digits.make_font()
    assert made == digits.make_font()  # deterministic: no timestamp of the day it is made
    font = TTFont(io.BytesIO(made))
    assert font.getBestCmap() == shipped().getBestCmap()
    assert font["glyf"].keys() == shipped()["glyf"].keys()


def test_obfuscation_xors_the_first_32_bytes_with_the_key_read_backwards():
    # ECMA-376 Part 1 §17.8.1: the key's hex digits are read from the end, a byte at a time:
    # 5E4D2F9A-0C3B-4B8E-9A61-2D7C04A1B3F6 gives F6 B3 A1 04 7C 2D 61 9A 8E 4B 3B 0C 9A 2F 4D 5E.
    mask = bytes.fromhex("F6B3A1047C2D619A8E4B3B0C9A2F4D5E")
    plain = bytes(range(40))
    hidden = digits.obfuscated(plain)
    assert hidden[:32] == bytes(b ^ mask[i % 16] for i, b in enumerate(plain[:32]))
    assert hidden[32:] == plain[32:]
    assert digits.obfuscated(hidden) == plain


def test_embedding_adds_the_font_part_once_named_in_the_font_table(tmp_path):
    document = docx.Document()
    digits.embed(document)
    digits.embed(document)
    document.save(tmp_path / "a.docx")
    with zipfile.ZipFile(tmp_path / "a.docx") as package:
        fonts = [n for n in package.namelist() if n.startswith("word/fonts/")]
        assert fonts == ["word/fonts/review-digits.odttf"]
        assert digits.obfuscated(package.read(fonts[0])) == digits.font_bytes()
        table = etree.fromstring(package.read("word/fontTable.xml"))
        rels = etree.fromstring(package.read("word/_rels/fontTable.xml.rels"))
        types = package.read("[Content_Types].xml").decode()
        settings = etree.fromstring(package.read("word/settings.xml"))
    # Word keeps the embedded fonts (cut to the characters used) when a reader saves the pack.
    assert settings.find(qn("w:embedTrueTypeFonts")) is not None
    assert settings.find(qn("w:saveSubsetFonts")) is not None
    named = [f for f in table.iterfind(qn("w:font")) if f.get(qn("w:name")) == digits.FONT_NAME]
    assert len(named) == 1
    embedded = named[0].find(qn("w:embedRegular"))
    assert embedded.get(qn("w:fontKey")) == "{5E4D2F9A-0C3B-4B8E-9A61-2D7C04A1B3F6}"
    target = {r.get("Id"): r.get("Target") for r in rels}[embedded.get(qn("r:id"))]
    assert target == "fonts/review-digits.odttf"
    assert digits.OBFUSCATED_FONT in types


@pytest.mark.parametrize("arabic_digits", [True, False])
def test_only_arabic_digit_packs_set_their_page_fields_in_the_font(arabic_digits, tmp_path):
    w = PackWriter()
    w.set_footer("للاستخدام الرسمي", "صفحة {PAGE} من {NUMPAGES}", arabic_digits=arabic_digits)
    w.paragraph("نص")
    data = w.to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        footer = etree.fromstring(package.read("word/footer1.xml"))
        has_font = "word/fonts/review-digits.odttf" in package.namelist()
    assert has_font == arabic_digits
    fonts_of_runs = [(r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}"), r) for r in footer.iter(qn("w:r"))]
    in_font = [r for f, r in fonts_of_runs if f is not None and f.get(qn("w:ascii")) == digits.FONT_NAME]
    field_runs = [r for r in footer.iter(qn("w:r"))
                  if r.find(qn("w:fldChar")) is not None or r.find(qn("w:instrText")) is not None
                  or r.getprevious() is not None and r.getprevious().find(qn("w:fldChar")) is not None
                  and r.getprevious().find(qn("w:fldChar")).get(qn("w:fldCharType")) == "separate"]
    assert len(field_runs) == 10  # two fields of five runs: begin, instr, separate, result, end
    if arabic_digits:
        assert in_font == field_runs  # the fields, not the words around them
        assert all(f.get(qn("w:cs")) == digits.FONT_NAME for f, r in fonts_of_runs if r in field_runs)
    else:
        assert in_font == []
    path = tmp_path / "p.docx"
    path.write_bytes(data)
    assert audit(path) == ""
