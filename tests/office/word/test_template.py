"""The default template: committed file matches the code, passes the audit, Arabic by default."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE

from review.office.word import rtl
from review.office.word.template import TABLE_STYLE, build_template, template_bytes

from .conftest import audit

TEMPLATE = Path(__file__).resolve().parents[3] / "templates" / "briefing.docx"


def test_committed_template_is_up_to_date():
    # Regenerate with: python -m review.office.word.template templates/briefing.docx
    assert TEMPLATE.read_bytes() == template_bytes()


def test_template_passes_strict_audit():
    assert audit(TEMPLATE) == []


def test_template_has_no_legacy_parts():
    with zipfile.ZipFile(TEMPLATE) as archive:
        names = archive.namelist()
    assert names[0] == "[Content_Types].xml"
    assert not [n for n in names if "stylesWithEffects" in n or "thumbnail" in n or "customXml" in n]


def test_template_styles_are_arabic():
    document = docx.Document(io.BytesIO(template_bytes()))
    styles = document.styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption",
                 "toc 1", "toc 2", "toc 3", "Header", "Footer"):
        style = styles[name]
        assert style.type == WD_STYLE_TYPE.PARAGRAPH
        assert "<w:bidi/>" in style.element.xml, name
        assert rtl.resolve_style_run(style, styles)["cs_font"] == "Arial", name
    heading = rtl.resolve_style_run(styles["Heading 1"], styles)
    assert heading == {"cs_font": "Arial", "size_pt": 18.0, "bold": True}
    assert styles["toc 1"].style_id == "TOC1"
    table_style = styles[TABLE_STYLE]
    assert table_style.type == WD_STYLE_TYPE.TABLE
    assert "<w:bidiVisual/>" in table_style.element.xml


def test_template_page_and_body():
    document = build_template()
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 2) == round(section.right_margin.cm, 2) == 2.0
    assert rtl.section_is_rtl(section) is True
    assert [p.text for p in document.paragraphs] == [""]
    assert not document.tables
