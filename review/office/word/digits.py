"""Page numbers in Arabic-Indic digits whatever the reader's numeral setting: a font of ten digits.

Word and LibreOffice compute a page field's number afresh and draw it in the digits of the
reader's own numeral setting; no page-number format of a ``.docx`` gives Arabic-Indic digits in
both (``hindiNumbers`` is Devanagari in Word and unknown to LibreOffice). What both honour is the
font: the page fields of an Arabic-digit pack are set in *Review Digits*, a font of the ten
Arabic-Indic digits of Noto Sans Arabic drawn for both the Western digits (U+0030–0039, what the
fields compute) and the Arabic-Indic ones (U+0660–0669, what a reader's "context" setting
substitutes), embedded in the pack as Word embeds fonts (an obfuscated ``word/fonts/*.odttf``
part named in the font table). ``3`` is then drawn ``٣`` in Word and LibreOffice alike.

The font ships with the package (``review-digits.ttf``, 3 KB, SIL Open Font License like Noto,
``review-digits.OFL.txt``); :func:`make_font` made it from the bundled Noto Sans Arabic and
remakes it: ``python -m review.office.word.digits`` (or ``… digits OTHER-NOTO.ttf``).
"""

from __future__ import annotations

import sys
import uuid
from functools import lru_cache
from pathlib import Path

#: The embedded font's family name, which the page fields' runs name.
FONT_NAME = "Review Digits"
#: The font file shipped with the package.
FONT_FILE = Path(__file__).with_name("review-digits.ttf")
#: The key the font is obfuscated with (ECMA-376 Part 1 §17.8.1): fixed, so the bytes are too.
FONT_KEY = uuid.UUID("5E4D2F9A-0C3B-4B8E-9A61-2D7C04A1B3F6")
#: The characters the font draws: the Western digits (as the fields compute them) and the
#: Arabic-Indic ones (as a reader's numeral setting may substitute them), both as Arabic-Indic.
WESTERN, ARABIC_INDIC = range(0x30, 0x3A), range(0x660, 0x66A)


@lru_cache(maxsize=1)
def font_bytes() -> bytes:
    """Return the shipped font (TrueType)."""
    return FONT_FILE.read_bytes()


def obfuscated(font: bytes, key: uuid.UUID = FONT_KEY) -> bytes:
    """Return ``font`` obfuscated as Word embeds fonts: its first 32 bytes XORed with the key's 16
    bytes, taken from the last to the first (ECMA-376 Part 1 §17.8.1, ``w:fontKey``)."""
    mask = bytes.fromhex(key.hex)[::-1]
    head = bytes(byte ^ mask[i % 16] for i, byte in enumerate(font[:32]))
    return head + font[32:]


#: Where the font goes in a pack, and what it is.
FONT_PART = "/word/fonts/review-digits.odttf"
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
_EMPTY_FONT_TABLE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     b'<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
                     b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>')


def embed(document) -> None:
    """Embed *Review Digits* in a python-docx ``document`` (once): the obfuscated font part, related
    from the font table (made when the template has none), which names it with its key; the
    settings ask Word to keep embedded fonts when it saves the document."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from lxml import etree

    from review.office.word import rtl

    main = document.part
    try:
        table = main.part_related_by(RT.FONT_TABLE)
    except KeyError:
        table = Part(PackURI("/word/fontTable.xml"), CT.WML_FONT_TABLE, _EMPTY_FONT_TABLE, main.package)
        main.relate_to(table, RT.FONT_TABLE)
    root = etree.fromstring(table.blob)
    if FONT_NAME in rtl.font_names(root):
        return
    part = Part(PackURI(FONT_PART), OBFUSCATED_FONT, obfuscated(font_bytes()), main.package)
    rtl.add_embedded_font(root, FONT_NAME, table.relate_to(part, RT.FONT), "{" + str(FONT_KEY).upper() + "}")
    table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    rtl.keep_embedded_fonts(document.settings)


def noto_sans_arabic() -> Path:
    """Return the bundled Noto Sans Arabic (pip package ``fontpkg-noto-sans-arabic``), the
    source of the font's digits as of the charts' and the table measurements' text."""
    import fontpkg

    from review.office.word.measure import FONT_PACKAGE
    return Path(fontpkg.path(FONT_PACKAGE))


def make_font(source: Path | None = None) -> bytes:
    """Return *Review Digits* made from a Noto Sans Arabic font file (default: the bundled one,
    :func:`noto_sans_arabic`, a variable font taken at its regular weight and width): its ten
    Arabic-Indic digits, for both :data:`WESTERN` and :data:`ARABIC_INDIC`, and nothing else."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = TTFont(source or noto_sans_arabic(), recalcTimestamp=False)
    if "fvar" in font:
        font = instancer.instantiateVariableFont(font, {"wght": 400, "wdth": 100})
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[*ARABIC_INDIC, 0x20])
    subsetter.subset(font)
    for table in font["cmap"].tables:
        if table.isUnicode():
            for western, arabic in zip(WESTERN, ARABIC_INDIC):
                table.cmap[western] = table.cmap[arabic]
    names = {1: FONT_NAME, 3: "ReviewDigits-Regular", 4: FONT_NAME, 6: "ReviewDigits-Regular"}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    font["OS/2"].fsType = 0  # installable: Word and LibreOffice load it from the document
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python -m review.office.word.digits [NotoSansArabic.ttf]", file=sys.stderr)
        return 2
    FONT_FILE.write_bytes(make_font(Path(argv[0]) if argv else None))
    print(f"wrote {FONT_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
