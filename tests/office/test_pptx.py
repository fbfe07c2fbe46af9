"""The deck's format layer: right-to-left text and tables, native charts, strict-valid and deterministic bytes."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation
from pptx.util import Emu

from review.errors import InputError
from review.office.pptx import (WIDE, Box, DeckWriter, number_format, read_template, text_height,
                                unsigned_axis_ids)
from review.office.word.writer import Cell

from tests.conftest import audit

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def small_deck(template: bytes | None = None) -> bytes:
    """Return a deck of one slide with a text box, bullets, a table and three charts."""
    writer = DeckWriter(template, rtl=True, lang="ar")
    slide = writer.slide(["ملاحظة أولى", "ملاحظة ثانية"])
    writer.text(slide, Box(457200, 228600, 5486400, 457200), ["عنوان الشريحة"], size_pt=24, bold=True)
    writer.text(slide, Box(457200, 800000, 5486400, 900000), ["أولاً", "ثانياً"], bullets=True)
    writer.table(slide, Box(6000000, 228600, 5500000, 0), ["المؤشر", "الحالة"],
                 [["نسبة التحصين", Cell("متأخر", fill="D32F2F", colour="FFFFFF", bold=True)]], (2.0, 1.0))
    writer.bar_chart(slide, Box(457200, 2000000, 5000000, 3000000), ["على المسار", "متأخر"], [5, 1],
                     ["2E7D32", "D32F2F"], number_format(0, "", True), horizontal=True)
    writer.bar_chart(slide, Box(6000000, 2000000, 5000000, 2000000), ["أ", "ب"], [70.0, 40.0],
                     ["2E7D32", "D32F2F"], number_format(0, "%"), maximum=100)
    writer.line_chart(slide, Box(6000000, 4200000, 5000000, 2000000), ["ر1", "ر2", "ر3"],
                      [("الأداء", [60.0, None, 80.0], "1F3864")], number_format(1, "٪", True))
    return writer.to_bytes()


@pytest.fixture(scope="module")
def deck() -> bytes:
    return small_deck()


def test_negative_axis_ids_become_the_same_bits_unsigned():
    xml = b'<c:axId val="-2068027336"/><c:crossAx val="-2113994440"/><c:axId val="42"/>'
    assert unsigned_axis_ids(xml) == (b'<c:axId val="2226939960"/><c:crossAx val="2180972856"/>'
                                      b'<c:axId val="42"/>')
    assert 2226939960 == 2**32 - 2068027336


@pytest.mark.parametrize("decimals, suffix, arabic, expected", [
    (0, "", False, "#,##0"),
    (1, "%", False, '#,##0.0"%"'),
    (0, "٪", True, '[$-2000401]#,##0"٪"'),
    (2, 'x"y', False, '#,##0.00"xy"'),
])
def test_number_formats(decimals, suffix, arabic, expected):
    assert number_format(decimals, suffix, arabic) == expected


def test_text_height_counts_wrapped_lines():
    # 10 pt × 0.5 = 5 pt a character = 63,500 EMU: 10 characters a line in 635,000 EMU.
    line = int(10 * 1.2 * 12700)
    assert text_height("x" * 10, 635000, 10) == line
    assert text_height("x" * 25, 635000, 10) == 3 * line
    assert text_height("x" * 5 + "\n" + "y" * 11, 635000, 10) == 3 * line
    assert text_height("", 635000, 10) == line


def test_deck_is_16_9_and_strict_valid(deck, tmp_path):
    presentation = Presentation(io.BytesIO(deck))
    assert (presentation.slide_width, presentation.slide_height) == WIDE
    path = tmp_path / "deck.pptx"
    path.write_bytes(deck)
    assert audit(path) == ""


def test_every_paragraph_is_right_to_left_with_complex_script_fonts(deck):
    found = parts(deck)
    checked = 0
    for name, data in found.items():
        if not re.fullmatch(r"ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml", name):
            continue
        root = etree.fromstring(data)
        for paragraph in root.iter(f"{A}p"):
            properties = paragraph.find(f"{A}pPr")
            assert properties is not None and properties.get("rtl") == "1", name
            assert properties.get("algn") in ("r", "ctr", "l"), name
            checked += 1
            for run in paragraph.iter(f"{A}r"):
                run_properties = run.find(f"{A}rPr")
                assert run_properties.get("lang") == "ar-SA"
                assert run_properties.find(f"{A}cs").get("typeface") == "Arial"
                assert run_properties.get("sz")
    assert checked >= 8
    slide = etree.fromstring(found["ppt/slides/slide1.xml"])
    assert [p.get("algn") for p in slide.iter(f"{A}pPr")][:3] == ["r", "r", "r"]
    bullets = [p for p in slide.iter(f"{A}pPr") if p.find(f"{A}buChar") is not None]
    assert len(bullets) == 2 and all(int(p.get("marL")) > 0 for p in bullets)


def test_tables_are_mirrored_and_status_cells_filled(deck):
    slide = etree.fromstring(parts(deck)["ppt/slides/slide1.xml"])
    table = next(slide.iter(f"{A}tbl"))
    # Mirrored by writing the columns in the order they are seen (Impress ignores tblPr@rtl):
    # the first column, the indicator, comes last in each row, at the right.
    assert table.find(f"{A}tblPr").get("rtl") is None
    fills = [cell.find(f"{A}tcPr/{A}solidFill/{A}srgbClr") for cell in table.iter(f"{A}tc")]
    assert [None if fill is None else fill.get("val") for fill in fills] == ["1F3864", "1F3864", "D32F2F", None]
    texts = ["".join(cell.itertext()) for cell in table.iter(f"{A}tc")]
    assert texts == ["الحالة", "المؤشر", "متأخر", "نسبة التحصين"]
    widths = [int(column.get("w")) for column in table.iter(f"{A}gridCol")]
    assert abs(widths[1] - 2 * widths[0]) <= 2  # the indicator's column (2.0) at the right, the status's (1.0) left of it


def test_left_to_right_tables_keep_their_order():
    writer = DeckWriter(None, rtl=False, lang="en")
    slide = writer.slide(["note"])
    writer.table(slide, Box(0, 0, 3000000, 0), ["Indicator", "Status"], [["Coverage", "Late"]], (2.0, 1.0))
    table = next(etree.fromstring(parts(writer.to_bytes())["ppt/slides/slide1.xml"]).iter(f"{A}tbl"))
    assert ["".join(cell.itertext()) for cell in table.iter(f"{A}tc")] == ["Indicator", "Status", "Coverage", "Late"]
    assert [int(column.get("w")) for column in table.iter(f"{A}gridCol")] == [2000000, 1000000]


def test_charts_are_native_with_their_data_embedded(deck):
    found = parts(deck)
    charts = sorted(name for name in found if re.fullmatch(r"ppt/charts/chart\d+\.xml", name))
    assert len(charts) == 3
    for name in charts:
        rels = etree.fromstring(found[name.replace("charts/", "charts/_rels/") + ".rels"])
        targets = [rel.get("Target") for rel in rels]
        assert len(targets) == 1 and targets[0].endswith(".xlsx")
        workbook = found["ppt/" + targets[0].removeprefix("../")]
        with zipfile.ZipFile(io.BytesIO(workbook)) as book:
            assert "xl/worksheets/sheet1.xml" in book.namelist()
        root = etree.fromstring(found[name])
        ids = [int(e.get("val")) for e in root.iter(f"{C}axId", f"{C}crossAx")]
        assert ids and all(0 <= i < 2**32 for i in ids)
        # Categories from the right (columns, lines) or from the top (bars).
        assert root.find(f".//{C}catAx/{C}scaling/{C}orientation").get("val") == "maxMin"
    bars = etree.fromstring(found[charts[0]])
    assert bars.find(f".//{C}barDir").get("val") == "bar"
    assert bars.find(f".//{C}valAx/{C}scaling/{C}orientation").get("val") == "maxMin"  # bars grow leftwards
    colours = [p.find(f"{C}spPr/{A}solidFill/{A}srgbClr").get("val") for p in bars.iter(f"{C}dPt")]
    assert colours == ["2E7D32", "D32F2F"]
    assert bars.find(f".//{C}dLbls/{C}numFmt").get("formatCode") == "[$-2000401]#,##0"
    line = etree.fromstring(found[charts[2]])
    values = [v.text for v in line.iter(f"{C}v")]
    assert "60.0" in values and "80.0" in values


def test_embedded_workbook_matches_the_chart_values(deck):
    from openpyxl import load_workbook
    found = parts(deck)
    names = sorted(n for n in found if n.startswith("ppt/embeddings/") and n.endswith(".xlsx"))
    sheet = load_workbook(io.BytesIO(found[names[0]])).active
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [["على المسار", 5], ["متأخر", 1]]


def test_same_calls_same_bytes_and_times_from_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1690848000")  # 2023-08-01 00:00 UTC
    first, second = small_deck(), small_deck()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(2023, 8, 1, 0, 0, 0)}
        workbook = next(n for n in package.namelist() if n.endswith(".xlsx"))
        with zipfile.ZipFile(io.BytesIO(package.read(workbook))) as book:
            core = book.read("docProps/core.xml").decode()
            assert {info.date_time for info in book.infolist()} == {(2023, 8, 1, 0, 0, 0)}
    assert re.findall(r"<dcterms:created[^>]*>([^<]*)<", core) == ["2023-08-01T00:00:00Z"]


def test_notes_are_written_on_every_slide(deck):
    presentation = Presentation(io.BytesIO(deck))
    assert [s.notes_slide.notes_text_frame.text for s in presentation.slides] == ["ملاحظة أولى\nملاحظة ثانية"]


def a_template(tmp_path: Path, slides: int = 1) -> Path:
    """Write a 4:3 presentation with a slide of its own (as an organisation's master would come)."""
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = Emu(9144000), Emu(6858000)
    for _ in range(slides):
        presentation.slides.add_slide(presentation.slide_layouts[0]).shapes.title.text = "old"
    path = tmp_path / "deck.pptx"
    presentation.save(path)
    return path


def test_a_template_gives_its_size_and_master_and_loses_its_slides(tmp_path):
    data = read_template(a_template(tmp_path, slides=2))
    deck = small_deck(data)
    presentation = Presentation(io.BytesIO(deck))
    assert (presentation.slide_width, presentation.slide_height) == (9144000, 6858000)
    assert len(presentation.slides) == 1
    assert presentation.slides[0].slide_layout.name == "Blank"
    assert "old" not in "".join(shape.text_frame.text for shape in presentation.slides[0].shapes if shape.has_text_frame)
    assert not any(name.startswith("ppt/slides/slide2") for name in parts(deck))
    (tmp_path / "out.pptx").write_bytes(deck)
    assert audit(tmp_path / "out.pptx") == ""


def test_a_template_that_is_no_presentation_is_refused(tmp_path):
    path = tmp_path / "deck.pptx"
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError) as refused:
        read_template(path)
    assert "not a zip archive" in str(refused.value.problems[0])


def test_a_template_with_macros_is_refused_naming_the_part(tmp_path):
    source = a_template(tmp_path)
    with zipfile.ZipFile(source) as package:
        entries = {name: package.read(name) for name in package.namelist()}
    entries["ppt/vbaProject.bin"] = b"macro"
    path = tmp_path / "macro.pptx"
    with zipfile.ZipFile(path, "w") as package:
        for name, data in entries.items():
            package.writestr(name, data)
    with pytest.raises(InputError) as refused:
        read_template(path)
    assert any(problem.where == "ppt/vbaProject.bin" or "vbaProject" in str(problem) for problem in refused.value.problems)


# -- slides kept as XML text until saved (issue 20): the same bytes as slides parsed at once -------

def busy_deck(lazy: bool, template: bytes | None = None, rtl: bool = True) -> bytes:
    """Write several slides: text with empty lines and escapes, tables with and without fills,
    a chart after text on a slide, a slide exported and imported again, footers added last."""
    writer = DeckWriter(template, rtl=rtl, lazy=lazy)
    slides = []
    for number in range(4):
        slide = writer.slide([f"ملاحظة {number}", "", "a < b & c > \"d\""] if number != 2 else [])
        writer.text(slide, Box(457200, 228600, 5486400, 457200), [f"عنوان {number}", "سطر\n\nبعد سطر فارغ"], bold=True)
        writer.table(slide, Box(457200, 900000, 8000000, 0), ["المؤشر", "الحالة"],
                     [["أ & ب", Cell("متأخر", fill="C00000", colour="FFFFFF", bold=True)], ["", "—"]], (2.0, 1.0))
        if number == 1:
            writer.bar_chart(slide, Box(457200, 3000000, 5000000, 3000000), ["على المسار", "متأخر"], [5, 1],
                             ["00B050", "C00000"], number_format())
            writer.text(slide, Box(6000000, 3000000, 3000000, 500000), ["بعد الرسم"])
        slides.append(slide)
    exported = writer.export_slide(slides[1])
    slides.append(writer.import_slide(writer.notes_xml(["ملاحظة منسوخة"]), exported))
    for number, slide in enumerate(slides, start=1):
        writer.text(slide, Box(0, 6400000, 3000000, 300000), [f"{number} / {len(slides)}"], size_pt=10)
    return writer.to_bytes()


@pytest.mark.parametrize("rtl", [True, False])
def test_slides_kept_as_text_give_the_bytes_of_slides_parsed_at_once(rtl, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    lazy = busy_deck(True, rtl=rtl)
    assert lazy == busy_deck(False, rtl=rtl)
    template = read_template(a_template(tmp_path, slides=2))
    assert busy_deck(True, template, rtl) == busy_deck(False, template, rtl)
    found = parts(lazy)
    assert found["ppt/slides/slide5.xml"].count(b"<c:chart ") == 1  # the imported slide has its chart
    (tmp_path / "out.pptx").write_bytes(lazy)
    assert audit(tmp_path / "out.pptx") == ""


def test_relationships_written_as_text_are_python_pptxs(deck, tmp_path):
    from review.office.pptx import relationships_xml
    for data in (deck, busy_deck(True), small_deck(read_template(a_template(tmp_path)))):
        package = Presentation(io.BytesIO(data)).part.package
        found = [part for part in package.iter_parts() if part._rels]
        assert len(found) > 3
        for part in found:
            assert relationships_xml(part.partname, part.rels) == part.rels.xml, part.partname
    # An external relationship is left to python-pptx (its TargetMode).
    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])
    slide.part.relate_to("https://example.com/?a=1&b=2", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink", is_external=True)
    assert relationships_xml(slide.part.partname, slide.part.rels) == slide.part.rels.xml
    assert b'TargetMode="External"' in slide.part.rels.xml
