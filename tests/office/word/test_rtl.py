"""XML helper tests: build an element, apply a verb, compare the XML (schema order included)."""

from __future__ import annotations

import re

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from review.office.word import rtl


def xml(element) -> str:
    """Serialize without namespace declarations, for readable comparisons."""
    text = etree.tostring(element, encoding="unicode")
    return re.sub(r' xmlns:\w+="[^"]+"', "", text)


def paragraph(inner: str = "") -> Paragraph:
    return Paragraph(parse_xml(f"<w:p {nsdecls('w')}>{inner}</w:p>"), None)


def run(inner: str = "") -> Run:
    return Run(parse_xml(f"<w:r {nsdecls('w')}>{inner}</w:r>"), None)


def test_bidi_goes_before_spacing_and_jc():
    p = paragraph('<w:pPr><w:pStyle w:val="Normal"/><w:spacing w:after="0"/>'
                  '<w:jc w:val="center"/></w:pPr>')
    rtl.set_paragraph_direction(p, True)
    assert xml(p._p.pPr) == ('<w:pPr><w:pStyle w:val="Normal"/><w:bidi/><w:spacing w:after="0"/>'
                             '<w:jc w:val="center"/></w:pPr>')


def test_bidi_goes_after_keep_next_and_is_replaced_not_duplicated():
    p = paragraph('<w:pPr><w:keepNext/><w:ind w:left="0"/><w:rPr><w:b/></w:rPr></w:pPr>')
    rtl.set_paragraph_direction(p, True)
    rtl.set_paragraph_direction(p, False)
    assert xml(p._p.pPr) == ('<w:pPr><w:keepNext/><w:bidi w:val="0"/><w:ind w:left="0"/>'
                             '<w:rPr><w:b/></w:rPr></w:pPr>')


def test_paragraph_without_properties_gets_them_first():
    p = paragraph("<w:r><w:t>x</w:t></w:r>")
    rtl.set_paragraph_direction(p, True)
    assert xml(p._p) == "<w:p><w:pPr><w:bidi/></w:pPr><w:r><w:t>x</w:t></w:r></w:p>"


@pytest.mark.parametrize("align, value", [("start", "left"), ("end", "right"),
                                          ("center", "center"), ("justify", "both")])
def test_alignment_is_logical(align, value):
    p = paragraph('<w:pPr><w:outlineLvl w:val="0"/></w:pPr>')
    rtl.set_paragraph_alignment(p, align)
    rtl.set_paragraph_direction(p, True)
    assert xml(p._p.pPr) == f'<w:pPr><w:bidi/><w:jc w:val="{value}"/><w:outlineLvl w:val="0"/></w:pPr>'


def test_unknown_alignment_is_refused():
    with pytest.raises(ValueError, match="alignment: expected one of"):
        rtl.set_paragraph_alignment(paragraph(), "right")


def test_run_direction_fonts_sizes_and_weight_in_schema_order():
    r = run('<w:rPr><w:color w:val="FF0000"/><w:lang w:val="ar-SA"/></w:rPr><w:t>x</w:t>')
    rtl.set_run_direction(r, True, cs_font="Arial", size_pt=10.5, bold=True)
    assert xml(r._r.rPr) == (
        '<w:rPr><w:rFonts w:cs="Arial"/><w:b/><w:bCs/><w:color w:val="FF0000"/>'
        '<w:sz w:val="21"/><w:szCs w:val="21"/><w:rtl/><w:lang w:val="ar-SA"/></w:rPr>')


def test_run_direction_off_is_explicit_and_theme_font_slot_is_dropped():
    r = run('<w:rPr><w:rFonts w:ascii="Calibri" w:cstheme="minorBidi"/></w:rPr>')
    rtl.set_run_direction(r, False, cs_font="Arial", bold=False)
    assert xml(r._r.rPr) == ('<w:rPr><w:rFonts w:ascii="Calibri" w:cs="Arial"/><w:b w:val="0"/>'
                             '<w:bCs w:val="0"/><w:rtl w:val="0"/></w:rPr>')


def test_run_colour_replaces_theme_colour():
    r = run('<w:rPr><w:color w:val="000000" w:themeColor="text1"/><w:sz w:val="20"/></w:rPr>')
    rtl.set_run_colour(r, "1F4E79")
    assert xml(r._r.rPr) == '<w:rPr><w:color w:val="1F4E79"/><w:sz w:val="20"/></w:rPr>'


def _table(tbl_pr: str = "") -> Table:
    element = parse_xml(
        f"<w:tbl {nsdecls('w')}><w:tblPr>{tbl_pr}</w:tblPr><w:tblGrid><w:gridCol/></w:tblGrid>"
        "<w:tr><w:tc><w:tcPr><w:tcW w:w='0' w:type='auto'/><w:vAlign w:val='center'/></w:tcPr>"
        "<w:p/></w:tc></w:tr></w:tbl>")
    return Table(element, None)


def test_bidi_visual_sits_between_style_and_width():
    table = _table('<w:tblStyle w:val="ReviewTable"/><w:tblW w:w="0" w:type="auto"/>'
                   '<w:tblLook w:val="0420"/>')
    rtl.set_table_direction(table, True)
    rtl.set_table_layout_fixed(table)
    rtl.set_table_borders(table, "BFBFBF", size_eighths=4)
    tbl_pr = xml(table._tbl.tblPr)
    order = re.findall(r"<w:(\w+)", tbl_pr)
    assert order[:7] == ["tblPr", "tblStyle", "bidiVisual", "tblW", "tblBorders", "top", "left"]
    assert order[-2:] == ["tblLayout", "tblLook"]


def test_shade_cell_goes_before_vertical_alignment():
    table = _table()
    cell = _Cell(table._tbl.tr_lst[0].tc_lst[0], table)
    rtl.shade_cell(cell, "2E7D32")
    assert xml(cell._tc.tcPr) == ('<w:tcPr><w:tcW w:w="0" w:type="auto"/>'
                                  '<w:shd w:val="clear" w:color="auto" w:fill="2E7D32"/>'
                                  '<w:vAlign w:val="center"/></w:tcPr>')


def test_repeat_header_row():
    table = _table()
    row = _Row(table._tbl.tr_lst[0], table)
    rtl.mark_repeat_header(row)
    assert xml(row._tr.trPr) == "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"


def test_section_bidi_before_doc_grid():
    section = docx.Document().sections[0]
    rtl.set_section_direction(section, True)
    children = [etree.QName(child).localname for child in section._sectPr]
    assert children[-3:] == ["cols", "bidi", "docGrid"]


def test_complex_field_runs():
    p = paragraph()
    runs = rtl.add_field(p, "PAGE", "1")
    assert len(runs) == 5
    assert xml(p._p) == (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        '<w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    assert rtl.field_instructions(p) == ["PAGE"]
    rtl.set_run_direction(runs[0], True)
    assert xml(runs[0]._r) == ('<w:r><w:rPr><w:rtl/></w:rPr>'
                               '<w:fldChar w:fldCharType="begin"/></w:r>')


def test_update_fields_goes_before_compat_and_extension_elements():
    document = docx.Document()
    rtl.set_update_fields_on_open(document.settings)
    names = [etree.QName(child).localname for child in document.settings.element]
    assert names.index("updateFields") < names.index("compat")
    assert names.index("characterSpacingControl") < names.index("updateFields")


def test_style_direction_and_resolution_through_based_on_chain():
    document = docx.Document()
    styles = document.styles
    rtl.set_run_fonts(styles["Normal"], latin="Arial", cs="Arial")
    rtl.set_run_direction(styles["Normal"], None, size_pt=12)
    rtl.set_paragraph_direction(styles["Normal"], True)
    assert "<w:bidi/>" in xml(styles["Normal"].element)
    child = styles.add_style("Child", WD_STYLE_TYPE.PARAGRAPH)
    child.base_style = styles["Normal"]
    rtl.set_run_direction(child, None, bold=True)
    assert rtl.resolve_style_run(child, styles) == {"cs_font": "Arial", "size_pt": 12.0, "bold": True}


def test_picture_description():
    import io

    from .conftest import make_png

    document = docx.Document()
    shape = document.add_paragraph().add_run().add_picture(io.BytesIO(make_png()))
    rtl.set_picture_description(shape, "توزيع المؤشرات")
    assert rtl.picture_descriptions(document.element) == ["توزيع المؤشرات"]
    assert shape._inline.docPr.get("title") == "توزيع المؤشرات"


def test_legacy_parts_are_removed():
    document = docx.Document()
    rtl.remove_legacy_parts(document)
    reltypes = {rel.reltype for rel in document.part.rels.values()}
    assert not any(t.endswith("/stylesWithEffects") for t in reltypes)
    assert not any(r.reltype.endswith("/thumbnail") for r in document.part.package.rels.values())


def test_keep_row_together_adds_cant_split_in_schema_order():
    import docx as _docx
    from docx.oxml.ns import qn as _qn
    from review.office.word import rtl as _rtl
    table = _docx.Document().add_table(rows=1, cols=1)
    row = table.rows[0]
    _rtl.mark_repeat_header(row)
    _rtl.keep_row_together(row)
    children = [c.tag for c in row._tr.trPr]
    assert children == [_qn("w:cantSplit"), _qn("w:tblHeader")]
