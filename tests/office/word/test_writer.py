"""PackWriter: a document with every method, audited strictly and read back with python-docx."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest

from review.office.word import rtl
from docx.oxml.ns import qn
from docx.enum.section import WD_ORIENT
from docx.shared import Cm

from review.office.word import measure
from review.office.word.writer import (CELL_PADDING, Cell, PackWriter, Span, clean_text, contents_anchors, fit_columns, is_arabic,
                                       number_contents, protect_mixed_text, typeset_minus)

from .conftest import audit, make_png


def audit_bytes(data: bytes) -> list:
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "pack.docx"
        path.write_bytes(data)
        return audit(path)

LRM, RLM = "\u200e", "\u200f"


def build(lang: str = "ar", template=None, **extra) -> bytes:
    """Return a small pack using every writer method."""
    w = PackWriter(template=template, lang=lang)
    w.set_properties("حقيبة الإحاطة", "قطاع الخدمات", "المكتب التنفيذي", dt.datetime(2024, 10, 1, 9, 30))
    w.set_header("خطة قطاع الخدمات — الربع الأول 1444 هـ",
                 draft_mark=extra.get("draft", "مسودة للمراجعة — المراجعة 3"))
    w.set_footer("سري", "صفحة {PAGE} من {NUMPAGES}" if lang == "ar" else "Page {PAGE} of {NUMPAGES}")
    w.logo(make_png(30, 30))
    w.title("حقيبة الإحاطة")
    w.subtitle("الربع الأول 1444 هـ")
    w.page_break()
    w.toc("المحتويات")
    w.page_break()
    w.heading("الملخص التنفيذي", 1)
    w.paragraph("بلغت درجة القطاع 78.4% بتغير -3.5 نقطة، والمؤشر IND-01 85.5%.")
    w.paragraph([Span("الحالة: "), Span("معرض للخطر", bold=True, colour="F2A900")], align="justify")
    w.paragraph("سطر أول\nسطر ثانٍ", size_pt=14, colour="1F4E79", bold=True, align="center")
    w.bullets(["رسالة أولى", "رسالة ثانية"])
    w.heading("جدول المؤشرات", 2)
    w.table(["المؤشر", "المستهدف", "الفعلي", "الحالة"],
            [["نسبة التحصين", "92.0", "85.0", Cell("معرض للخطر", fill="F2A900", colour="000000")],
             ["أطوال الطرق", "120", "45", Cell("متعثر", fill="7B1010", colour="FFFFFF", bold=True)],
             ["قصير"]],
            widths_cm=[6, 2.5, 2.5, None])
    w.heading("الرسوم", 3)
    w.picture(make_png(), "توزيع المؤشرات حسب الحالة", caption="شكل 1")
    w.key_value_table([("عتبة على المسار", "95%"), ("المنهجية", Cell("نسبة", align="end"))])
    for text in extra.get("texts", ()):
        w.table(["نص"], [[text]])
    return w.to_bytes()


@pytest.fixture(scope="module")
def arabic_bytes() -> bytes:
    return build()


def open_doc(data: bytes):
    return docx.Document(io.BytesIO(data))


def all_paragraphs(document):
    """Yield every paragraph: body, table cells, headers and footers."""
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for section in document.sections:
        yield from section.header.paragraphs
        yield from section.footer.paragraphs


def test_arabic_pack_passes_strict_audit(arabic_bytes, tmp_path):
    path = tmp_path / "pack.docx"
    path.write_bytes(arabic_bytes)
    assert audit(path) == []


def test_english_pack_passes_strict_audit(tmp_path):
    path = tmp_path / "pack-en.docx"
    path.write_bytes(build("en"))
    assert audit(path) == []


def test_arabic_pack_is_right_to_left_everywhere(arabic_bytes):
    document = open_doc(arabic_bytes)
    paragraphs = list(all_paragraphs(document))
    assert len(paragraphs) > 20
    for paragraph in paragraphs:
        assert list(rtl.iter_bidi_values(paragraph, "paragraph")) == [True], paragraph.text
    assert document.tables and all(
        list(rtl.iter_bidi_values(table, "table")) == [True] for table in document.tables)
    runs = list(rtl.iter_bidi_values(document.element.body, "run"))
    assert runs and all(runs)
    for section in document.sections:
        assert rtl.section_is_rtl(section) is True
        assert all(rtl.iter_bidi_values(section.footer._element, "run"))


def test_runs_carry_complex_script_font_and_size(arabic_bytes):
    document = open_doc(arabic_bytes)
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            fonts = run._r.rPr.rFonts
            assert fonts is not None and fonts.get(docx.oxml.ns.qn("w:cs")) == "Arial"
    heading = next(p for p in document.paragraphs if p.style.name == "Heading 1")
    run_xml = heading.runs[0]._r.rPr.xml
    assert '<w:bCs/>' in run_xml and '<w:szCs w:val="36"/>' in run_xml


def test_fields_picture_and_properties(arabic_bytes):
    document = open_doc(arabic_bytes)
    instructions = rtl.field_instructions(document.element.body)
    assert 'TOC \\o "1-3" \\h \\z \\u' in instructions
    footer_fields = rtl.field_instructions(document.sections[0].footer._element)
    assert footer_fields == ["PAGE", "NUMPAGES"]
    assert "صفحة 1 من 1" in document.sections[0].footer.paragraphs[0].text
    header_text = [p.text for p in document.sections[0].header.paragraphs]
    assert header_text[0] == "مسودة للمراجعة — المراجعة 3"
    assert rtl.picture_descriptions(document.element.body) == ["شعار الجهة", "توزيع المؤشرات حسب الحالة"]
    # Never an update prompt on opening: no updateFields setting, no field marked dirty.
    assert "updateFields" not in document.settings.element.xml
    assert "w:dirty" not in document.element.xml
    core = document.core_properties
    created = dt.datetime(2024, 10, 1, 9, 30, tzinfo=dt.timezone.utc)
    assert (core.title, core.author, core.created, core.modified) == (
        "حقيبة الإحاطة", "المكتب التنفيذي", created, created)


@pytest.mark.parametrize("arabic_digits, cached", [(True, "صفحة ١ من ١"), (False, "صفحة 1 من 1")])
def test_page_fields_carry_no_number_format(arabic_digits, cached):
    # The page fields are plain PAGE / NUMPAGES in every section, whatever the plan's digits: the
    # only "Hindi" format of the file format (w:pgNumType w:fmt="hindiNumbers", \* HINDIARABIC)
    # makes Word draw Devanagari digits (MS-DOCX 2.4: U+0967, U+0968, ...), and LibreOffice 7.4
    # ignores it. Only the cached results follow the plan's digits.
    w = PackWriter()
    w.set_footer(None, "صفحة {PAGE} من {NUMPAGES}", arabic_digits=arabic_digits)
    w.paragraph("نص")
    w.orientation(landscape=True)
    w.paragraph("نص")
    document = open_doc(w.to_bytes())
    assert len(document.sections) == 2
    for section in document.sections:
        assert section._sectPr.find(qn("w:pgNumType")) is None
        assert rtl.field_instructions(section.footer._element) == ["PAGE", "NUMPAGES"]
        assert section.footer.paragraphs[0].text == cached


def test_toc_lists_the_headings_until_updated(arabic_bytes):
    document = open_doc(arabic_bytes)
    styles = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("toc")]
    assert styles == [("toc 1", "الملخص التنفيذي"), ("toc 2", "جدول المؤشرات"), ("toc 3", "الرسوم")]


def test_contents_entries_link_to_bookmarks_on_the_headings(arabic_bytes):
    document = open_doc(arabic_bytes)
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    marks = {name: text for name, text in rtl.heading_bookmarks(document.element.body).items()}
    links = [anchor for _, anchor in rtl.internal_links(document.element.body)]
    assert links == ["_Toc000001", "_Toc000002", "_Toc000003"]
    # Each anchor is a bookmark on a heading paragraph, and the entry reads as the heading.
    assert [marks[a] for a in links] == [h.text for h in headings]
    assert contents_anchors(arabic_bytes) == dict(zip(links, [h.text for h in headings]))
    for heading in headings:
        assert rtl.bookmark_names(heading) and heading.paragraph_format.keep_with_next


def test_draft_contents_have_no_page_numbers_and_no_instruction(arabic_bytes):
    document = open_doc(arabic_bytes)
    entries = [p for p in document.paragraphs if p.style.name.startswith("toc")]
    assert all(not any(ch.isdigit() for ch in p.text) for p in entries)
    assert "PAGEREF" not in " ".join(rtl.field_instructions(document.element.body))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "حدِّث" not in text and "Update field" not in text


def test_number_contents_writes_page_numbers_into_the_field_result(arabic_bytes):
    pages = {"_Toc000001": 3, "_Toc000002": 3, "_Toc000003": 12}
    numbered = number_contents(arabic_bytes, pages, lambda n: str(n).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")))
    document = open_doc(numbered)
    entries = [p for p in document.paragraphs if p.style.name.startswith("toc")]
    # python-docx's paragraph.text leaves out runs inside hyperlinks: read the links' text.
    texts = ["".join(t.text or "" for t in link.iter(qn("w:t"))) for link, _ in rtl.internal_links(document.element.body)]
    assert texts == ["الملخص التنفيذي٣", "جدول المؤشرات٣", "الرسوم١٢"]
    instructions = rtl.field_instructions(document.element.body)
    assert [i for i in instructions if i.startswith("PAGEREF")] == [
        "PAGEREF _Toc000001 \\h", "PAGEREF _Toc000002 \\h", "PAGEREF _Toc000003 \\h"]
    assert len(entries) == 3 and "w:dirty" not in document.element.xml
    # Numbering again replaces the numbers (a second layout pass), deterministically.
    again = number_contents(numbered, dict(pages, _Toc000003=13))
    assert number_contents(numbered, dict(pages, _Toc000003=13)) == again
    texts = ["".join(t.text or "" for t in link.iter(qn("w:t"))) for link, _ in rtl.internal_links(open_doc(again).element.body)]
    assert texts[2] == "الرسوم13"
    path_audit = audit_bytes(numbered)
    assert path_audit == []


def test_table_layout(arabic_bytes):
    document = open_doc(arabic_bytes)
    table = document.tables[0]
    assert table.style.name == "Review Table"
    header = table.rows[0]
    assert "<w:tblHeader/>" in header._tr.xml
    assert [c.text for c in header.cells] == ["المؤشر", "المستهدف", "الفعلي", "الحالة"]
    status = table.rows[1].cells[3]
    assert 'w:fill="F2A900"' in status._tc.xml
    assert table.rows[3].cells[1].text == ""  # short rows are padded
    # Columns fitted to their text span the text width (A4 portrait, 2 cm margins: 17 cm).
    widths = [c.width for c in table.rows[1].cells]
    assert abs(sum(widths) - Cm(17)) <= 635 * len(widths)  # widths are stored in twips
    for column, width in enumerate(widths):
        words = [w for row in table.rows for w in row.cells[column].text.split()]
        assert width >= max(measure.text_width(w, 10, bold=True) for w in words) + CELL_PADDING
    assert "<w:cantSplit/>" in table.rows[1]._tr.xml and "<w:cantSplit/>" in header._tr.xml


def test_same_input_same_bytes(arabic_bytes):
    assert build() == arabic_bytes


def test_source_date_epoch_sets_zip_times(monkeypatch):
    import zipfile

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    data = build()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_english_pack_has_no_right_to_left(tmp_path):
    w = PackWriter(lang="en", quoted_note="Arabic text is quoted as submitted.")
    w.heading("Challenges", 1)
    w.paragraph("Figures as reported.")
    w.table(["Challenge", "Cause"], [["تأخر التوريد", "Late supply"], ["Budget", "—"]])
    w.key_value_table([("Score", "85%")])
    document = open_doc(w.to_bytes())
    cells = [c for t in document.tables for r in t.rows for c in r.cells]
    quoted = [c for c in cells if c.text == "تأخر التوريد"]
    assert len(quoted) == 1
    # Arabic the entities wrote is set right to left in its cell; everything else left to right.
    assert list(rtl.iter_bidi_values(quoted[0].paragraphs[0], "paragraph")) == [True]
    assert all(rtl.iter_bidi_values(quoted[0]._tc, "run"))
    body = list(document.paragraphs) + [p for c in cells for p in c.paragraphs]
    others = [p for p in body if p.text != "تأخر التوريد"]
    assert all(list(rtl.iter_bidi_values(p, "paragraph")) == [False] for p in others)
    assert "Arabic text is quoted as submitted." in [p.text for p in document.paragraphs]
    assert all(list(rtl.iter_bidi_values(t, "table")) == [False] for t in document.tables)
    assert all(rtl.section_is_rtl(s) is False for s in document.sections)


def test_english_pack_of_english_text_has_no_right_to_left(tmp_path):
    document = open_doc(build("en"))
    paragraphs = [p for p in all_paragraphs(document) if not is_arabic(p.text)]
    assert all(list(rtl.iter_bidi_values(p, "paragraph")) == [False] for p in paragraphs)
    assert all(list(rtl.iter_bidi_values(t, "table")) == [False] for t in document.tables)
    assert all(rtl.section_is_rtl(s) is False for s in document.sections)
    assert "Page 1 of 1" in document.sections[0].footer.paragraphs[0].text
    assert LRM not in "".join(p.text for p in paragraphs)


def test_hostile_text_does_not_break_saving(tmp_path):
    nasty = "قيمة\x00\x01\x07\x0b\x0c\x1f\ufffe نهاية\r\nسطر\tجدول"
    huge = "ن" * 20_000
    data = build(texts=[nasty, huge, None])
    path = tmp_path / "hostile.docx"
    path.write_bytes(data)
    cells = [t.rows[1].cells[0].text for t in open_doc(data).tables[-3:]]
    assert cells[0] == "قيمة نهاية\nسطر\tجدول"
    assert cells[1] == huge
    assert cells[2] == ""
    assert audit(path) == []


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match=r"lang: expected one of \('ar', 'en'\), got 'fr'"):
        PackWriter(lang="fr")


def test_too_many_cells_is_refused():
    with pytest.raises(ValueError, match="table row 1: expected at most 2 cells, got 3"):
        PackWriter().table(["a", "b"], [["1", "2", "3"]])


@pytest.mark.parametrize("text, expected", [
    ("بتغير -3.5 نقطة", f"بتغير {LRM}-3.5 نقطة"),
    ("+2.1", f"{LRM}+2.1"),
    ("2024-2025", "2024-2025"),
    ("PRJ-7 متأخر", "PRJ-7 متأخر"),
    ("المؤشر IND-01 85.5%", f"المؤشر IND-01{RLM} 85.5%"),
    ("تغير -٣٫٥", "تغير -٣٫٥"),  # Arabic-Indic digits read right without marks
    (f"بتغير {LRM}-3.5", f"بتغير {LRM}-3.5"),  # idempotent
])
def test_protect_mixed_text(text, expected):
    assert protect_mixed_text(text) == expected
    assert protect_mixed_text(expected) == expected


@pytest.mark.parametrize("text, expected", [
    ("-0.1", "\u22120.1"), ("تغير -3.5 و +2", "تغير \u22123.5 و +2"), ("2024-2025", "2024-2025"),
    ("IND-01", "IND-01"), ("- بند", "- بند"), ("-٣", "\u2212٣"), (f"{LRM}-1", f"{LRM}\u22121"),
])
def test_typeset_minus(text, expected):
    assert typeset_minus(text) == expected


def test_signed_numbers_are_written_with_minus_and_direction_mark(arabic_bytes):
    document = open_doc(arabic_bytes)
    assert any(f"بتغير {LRM}\u22123.5 نقطة" in p.text for p in document.paragraphs)


def test_clean_text():
    assert clean_text("a\x00b\x1bc\r\nd\re\tf\ud800") == "abc\nd\ne\tf"
    assert clean_text(None) == ""
    assert clean_text(12.5) == "12.5"


def test_letterhead_template_keeps_its_header_and_lacks_our_styles(tmp_path):
    """Any .docx can be the template: its body goes, its header stays, missing styles fall back."""
    letterhead = docx.Document()  # python-docx's own default: no TOC or Review Table styles
    letterhead.sections[0].header.paragraphs[0].text = "ORGANISATION LETTERHEAD"
    letterhead.add_paragraph("old body text that must disappear")
    letterhead.add_table(rows=1, cols=1)
    # Remove the heading and caption styles to force the fallbacks.
    for name in ("Heading 1", "Heading 2", "Heading 3", "Caption", "List Bullet", "Title",
                 "Heading 1 Char", "Heading 2 Char", "Heading 3 Char", "Title Char", "TOC Heading"):
        letterhead.styles.element.remove(letterhead.styles[name].element)
    template = tmp_path / "letterhead.docx"
    letterhead.save(template)

    data = build(template=template)
    document = open_doc(data)
    body_text = "\n".join(p.text for p in document.paragraphs)
    assert "old body text" not in body_text
    assert "الملخص التنفيذي" in body_text and "• رسالة أولى" in body_text
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header[0] == "ORGANISATION LETTERHEAD"
    assert "مسودة للمراجعة — المراجعة 3" in header
    path = tmp_path / "pack.docx"
    path.write_bytes(data)
    assert audit(path) == []


def test_properties_longer_than_word_allows_are_cut(tmp_path):
    w = PackWriter()
    w.set_properties("ع" * 1000, "ق" * 256, "م😀" * 200, dt.date(2024, 1, 1))
    w.paragraph("نص")
    data = w.to_bytes()
    core = open_doc(data).core_properties
    assert core.title == "ع" * 254 + "…"
    assert core.subject == "ق" * 254 + "…"
    assert core.author == "م😀" * 84 + "م…" and core.last_modified_by == core.author  # 😀 counts twice
    path = tmp_path / "long.docx"
    path.write_bytes(data)
    assert audit(path) == []


def test_a_table_whose_words_do_not_fit_portrait_turns_landscape_with_its_heading():
    w = PackWriter()
    w.paragraph("قبل الجدول")
    w.heading("جدول عريض", 1)
    long_words = ["الاستراتيجية"] * 9  # at 10 pt, nine of these words are wider than a portrait page
    w.table([f"عمود{i}" for i in range(9)], [long_words])
    w.paragraph("بعد الجدول")
    document = open_doc(w.to_bytes())
    sections = document.sections
    assert [s.orientation for s in sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    # The heading moved into the landscape section with its table: the section break comes
    # before it. Body order: paragraph, section break, heading, table, gap, section break, paragraph.
    body = [child for child in document.element.body if not child.tag.endswith("sectPr")]
    texts = ["".join(t.text or "" for t in child.iter(qn("w:t"))) if child.tag.endswith("}p") else "<table>"
             for child in body]
    assert texts.index("جدول عريض") == texts.index("<table>") - 1
    assert texts.index("قبل الجدول") < texts.index("جدول عريض")
    landscape_width = sections[1].page_width - sections[1].left_margin - sections[1].right_margin
    table = document.tables[0]
    assert sum(c.width for c in table.rows[0].cells) <= landscape_width


def test_fit_columns_shares_the_width_by_how_much_each_column_would_wrap():
    # Hand-computed case: two columns whose longest words and lines are known.
    short, long_text = "نعم", "نص طويل جدا يلتف على عدة أسطر في الخلية"
    widths, size = fit_columns([[(short, False, False), (long_text, False, False)]], 2, int(Cm(6)), 10, header=False)
    assert size == 10 and int(Cm(6)) - 2 * 635 < sum(widths) <= int(Cm(6))  # twips, rounded down
    least_short = measure.longest_word(short, 10) + CELL_PADDING
    assert widths[0] == least_short - least_short % 635  # the short column's line is its word: no more
    # Everything fits on one line: the spare width is shared in proportion to the natural widths.
    widths, _ = fit_columns([[("أ", False, False), ("أ", False, False)]], 2, int(Cm(10)), 10, header=False)
    assert int(Cm(10)) - 2 * 635 < sum(widths) <= int(Cm(10)) and abs(widths[0] - widths[1]) <= 635


def test_fit_columns_shrinks_the_text_before_breaking_a_word():
    word = "الاستراتيجيةالوطنية"
    at_ten = measure.longest_word(word, 10) + CELL_PADDING
    widths, size = fit_columns([[(word, False, False)] * 3], 3, 3 * at_ten - 1000, 10, header=False)
    assert size < 10 and sum(widths) <= 3 * at_ten - 1000
    assert all(w >= measure.longest_word(word, size) + CELL_PADDING for w in widths)


def test_a_wide_table_right_after_a_landscape_one_leaves_no_empty_page():
    w = PackWriter()
    w.paragraph("قبل")
    w.orientation(landscape=True)
    w.table(["أ"], [["ب"]])
    w.orientation(landscape=False)  # what the indicator table's caller does after it
    w.heading("جدول عريض", 1)
    w.table([f"عمود{i}" for i in range(9)], [["الاستراتيجية"] * 9])
    document = open_doc(w.to_bytes())
    orientations = [s.orientation for s in document.sections]
    # portrait (before), landscape (first table), landscape (the turned portrait section), portrait (after)
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    # No section is empty: each section break follows some content.
    body = list(document.element.body)
    breaks = [i for i, e in enumerate(body) if e.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None]
    assert all(b - a > 1 for a, b in zip(breaks, breaks[1:]))


# -- rows made ready once, kept and given again (issue 20) ----------------------------------------

def _table_pack(lang: str, rows_of) -> bytes:
    w = PackWriter(lang=lang, quoted_note="Arabic text is quoted as submitted.")
    values = [["IND-01 -12.5", Cell("متعثر", fill="C00000", colour="FFFFFF", bold=True), None],
              ["وزارة الصحة", "85%", Cell("\u2212 0.3", bold=True)],
              ["two\nlines", ""]]
    w.table(["A", "B", "C"], rows_of(w, values), size_pt=9)
    return w.to_bytes()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_table_of_rows_made_ready_is_the_table_of_their_values(lang, monkeypatch):
    import pickle
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    plain = _table_pack(lang, lambda w, values: values)
    # Made ready (and measured) by one writer, kept as the build's cache keeps them, given to another.
    made = pickle.loads(pickle.dumps([PackWriter(lang=lang).row(v, 9) for v in [
        ["IND-01 -12.5", Cell("متعثر", fill="C00000", colour="FFFFFF", bold=True), None],
        ["وزارة الصحة", "85%", Cell("\u2212 0.3", bold=True)], ["two\nlines", ""]]]))
    assert all(9 in row.measures for row in made)
    assert _table_pack(lang, lambda w, values: made) == plain
    assert _table_pack(lang, lambda w, values: [w.row(v) for v in values]) == plain  # measured by the table


def test_a_row_measures_as_fit_columns_does():
    w = PackWriter(lang="ar")
    row = w.row(["نص عربي طويل نوعا ما", Cell("متعثر", fill="C00000", bold=True), ""])
    word, line = measure.longest_word("نص عربي طويل نوعا ما", 9), measure.longest_line("نص عربي طويل نوعا ما", 9)
    status = measure.longest_word("متعثر", 9, True) + CELL_PADDING
    assert row.measure(9) == ((word + CELL_PADDING, line + CELL_PADDING),
                              (max(status, int(status / measure.SAFETY)), status), (0, 0))


def test_a_row_of_another_language_or_too_many_cells_is_refused():
    row = PackWriter(lang="en").row(["a", "b"])
    with pytest.raises(ValueError, match="made for a 'en' pack"):
        PackWriter(lang="ar").table(["A", "B"], [row])
    with pytest.raises(ValueError, match="expected at most 1 cells"):
        PackWriter(lang="en").table(["A"], [row])


def test_the_pack_is_zipped_as_python_docx_saves_it_normalized(monkeypatch):
    from review.office.package import normalize_zip, source_date_time
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    w = PackWriter(lang="ar")
    w.heading("عنوان", 1)
    w.picture(make_png(), "صورة")
    w.table(["أ", "ب"], [["١", "٢"]])
    fast = w.to_bytes()  # its parts collected and deflated once
    buffer = io.BytesIO()
    w._document.save(buffer)
    assert fast == normalize_zip(buffer.getvalue(), source_date_time())
