"""The bundled samples' packs, read as XML: typeset tables, contents links, document furniture (issue 16)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from review.language.phrases import load_phrases
from review.model.periods import Period
from review.office.word import measure, rtl
from review.office.word.writer import CELL_PADDING
from review.pipeline.build import BuildOptions, build
from tests.conftest import PLANS

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, Path]:
    """Build the services sample in Arabic and English and the diversification sample; return every pack."""
    out = tmp_path_factory.mktemp("look")
    folders = [
        build(BuildOptions(PLANS / "services-1444", Period.parse("1444-Q4"), out / "ar", issue_date=dt.date(2023, 8, 1))),
        build(BuildOptions(PLANS / "services-1444", Period.parse("1444-Q4"), out / "en", lang="en",
                           sectors=["health"], issue_date=dt.date(2023, 8, 1))),
        build(BuildOptions(PLANS / "diversification-2024", Period.parse("2025-Q2"), out / "ar",
                           issue_date=dt.date(2025, 7, 20))),
    ]
    return {f"{folder.parts[-4]}/{folder.parts[-3]}/{folder.parts[-2]}/{path.name}": path
            for folder in folders for path in sorted(folder.glob("*.docx"))}


def sections_of_tables(body):
    """Yield (table element, its section's text width in EMU) for every top-level table."""
    pending = []
    for child in body:
        if child.tag == qn("w:tbl"):
            pending.append(child)
            continue
        sect = child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") if child.tag == qn("w:p") else (
            child if child.tag == qn("w:sectPr") else None)
        if sect is not None:
            size, margins = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
            width = (int(size.get(qn("w:w"))) - int(margins.get(qn("w:left"))) - int(margins.get(qn("w:right")))) * 635
            for table in pending:
                yield table, width
            pending = []


def cell_text(tc) -> str:
    # A line break inside a paragraph (a list of file names) separates words like a new paragraph.
    return "\n".join("".join((t.text or "") if t.tag == qn("w:t") else "\n" for t in p.iter(qn("w:t"), qn("w:br")))
                     for p in tc.iter(qn("w:p")))


def run_size(tc) -> tuple[float, bool]:
    run = next(tc.iter(qn("w:r")), None)
    rpr = run.find(qn("w:rPr")) if run is not None else None
    size = rpr.find(qn("w:szCs")) if rpr is not None else None
    bold = rpr.find(qn("w:bCs")) if rpr is not None else None
    return (int(size.get(qn("w:val"))) / 2 if size is not None else 12.0,
            bold is not None and bold.get(qn("w:val"), "1") not in ("0", "false"))


def test_every_table_fits_its_section_and_every_column_its_longest_word(packs):
    checked = 0
    for name, path in packs.items():
        body = docx.Document(str(path)).element.body
        for table, text_width in sections_of_tables(body):
            grid = [int(col.get(qn("w:w"))) * 635 for col in table.iter(qn("w:gridCol"))]
            assert sum(grid) <= text_width, name
            for tr in table.iter(qn("w:tr")):
                for column, tc in enumerate(tr.findall(qn("w:tc"))):
                    text = cell_text(tc)
                    if not text.strip():
                        continue
                    size, bold = run_size(tc)
                    assert grid[column] >= measure.longest_word(text, size, bold) + CELL_PADDING - 635, (name, text)
                    checked += 1
    assert checked > 500


def test_rows_never_split_headers_repeat_headings_keep_with_their_content(packs):
    for name, path in packs.items():
        document = docx.Document(str(path))
        for table in document.element.body.iter(qn("w:tbl")):
            for tr in table.findall(qn("w:tr")):
                assert tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None, name
        for paragraph in document.paragraphs:
            if paragraph.style.name.startswith("Heading"):
                assert paragraph.paragraph_format.keep_with_next, (name, paragraph.text)


def test_contents_link_to_headings_and_never_ask_for_an_update(packs):
    for name, path in packs.items():
        document = docx.Document(str(path))
        body = document.element.body
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        marks = rtl.heading_bookmarks(body)
        anchors = [anchor for _, anchor in rtl.internal_links(body)]
        assert [marks[a] for a in anchors] == headings, name
        assert "updateFields" not in document.settings.element.xml
        assert "w:dirty" not in body.xml
        assert "PAGEREF" not in " ".join(rtl.field_instructions(body)), name  # a draft: no page numbers


def test_hijri_plan_furniture(packs):
    phrases = load_phrases(lang="ar")
    document = docx.Document(str(packs["ar/services-1444/1444-Q4/health.docx"]))
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert "الربع الرابع 1444هـ" in header and "ر4" not in header
    text = "\n".join(p.text for p in document.paragraphs)
    # 1 August 2023 is 14 Muharram 1445 (Umm al-Qura).
    assert "تاريخ الإصدار: 14 محرم 1445هـ الموافق 1 أغسطس 2023" in text
    assert phrases("furniture.approval") in text and phrases("furniture.distribution") in text
    cells = [c.text for t in document.tables[:1] for r in t.rows for c in r.cells]
    assert {"أعدّه", "راجعه", "اعتمده", "د. عبدالله محمد الصبري"} <= set(cells)
    assert "رئيس ورشة المراجعة الربعية" in text


def test_gregorian_plan_has_no_hijri_date_and_no_approval_block(packs):
    document = docx.Document(str(packs["ar/diversification-2024/2025-Q2/executive.docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "الموافق" not in text and "اعتماد الوثيقة" not in text
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert "الربع الثاني ٢٠٢٥" in header  # the plan writes Arabic-Indic digits


def test_methodology_annex_has_the_status_legend(packs):
    phrases = load_phrases(lang="ar")
    document = docx.Document(str(packs["ar/services-1444/1444-Q4/executive.docx"]))
    legend = [t for t in document.tables if t.rows[0].cells[0].text == phrases("legend.status")]
    assert len(legend) == 1
    labels = [r.cells[0].text for r in legend[0].rows[1:]]
    assert labels == [phrases(f"status.{k}") for k in ("completed", "on_track", "at_risk", "off_track", "delayed",
                                                       "stalled", "no_data")]
