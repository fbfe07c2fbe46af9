"""The sector briefing packs read back: audit-clean, right to left, numbers equal to results.json."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from review.pipeline.build import BuildOptions, build
from review.model.periods import Period
from review.language.phrases import load_phrases
from review.office.word.writer import is_arabic

from tests.conftest import PLANS, audit

W_BIDI, W_RTL, W_BIDI_VISUAL = qn("w:bidi"), qn("w:rtl"), qn("w:bidiVisual")
ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Build both samples once (Arabic) and one sector in English; return the output folders."""
    out = tmp_path_factory.mktemp("packs")
    folders = {
        "services": build(BuildOptions(PLANS / "services-1444", Period.parse("1444-Q4"), out / "ar",
                                       issue_date=__import__("datetime").date(2023, 8, 1))),
        "diversification": build(BuildOptions(PLANS / "diversification-2024", Period.parse("2025-Q2"), out / "ar",
                                              issue_date=__import__("datetime").date(2025, 7, 20))),
        "english": build(BuildOptions(PLANS / "services-1444", Period.parse("1444-Q4"), out / "en",
                                      sectors=["health"], lang="en",
                                      issue_date=__import__("datetime").date(2023, 8, 1))),
    }
    return folders


def packs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.docx"))


def test_every_sector_has_a_pack_and_charts(builds):
    for key, sectors in (("services", 5), ("diversification", 5)):
        folder = builds[key]
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        assert sorted(p.stem for p in packs(folder) if p.stem != "executive") == sorted(s["id"] for s in results["sectors"])
        assert len(list((folder / "charts").glob("*.png"))) >= 4 * sectors
    assert [p.stem for p in packs(builds["english"]) if p.stem != "executive"] == ["health"]


def test_packs_pass_the_strict_audit(builds):
    for key in ("services", "diversification", "english"):
        assert audit(builds[key]) == "", key


def body_paragraphs(document):
    """Yield every paragraph of the body, including those inside table cells."""
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def is_on(element, tag) -> bool:
    found = element.find(tag) if element is not None else None
    return found is not None and found.get(qn("w:val"), "1") not in ("0", "false", "off")


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_arabic_packs_are_right_to_left_throughout(builds, key):
    for path in packs(builds[key]):
        document = docx.Document(str(path))
        for paragraph in body_paragraphs(document):
            assert is_on(paragraph._p.pPr, W_BIDI), f"{path.name}: paragraph {paragraph.text[:40]!r} is not RTL"
            for run in paragraph.runs:
                if run.text.strip():
                    assert is_on(run._r.rPr, W_RTL), f"{path.name}: run {run.text[:30]!r} is not RTL"
        for table in document.tables:
            assert is_on(table._tbl.tblPr, W_BIDI_VISUAL), f"{path.name}: a table lacks bidiVisual"
        for section in document.sections:
            assert is_on(section._sectPr, W_BIDI)


def table_with_header(document, first_header: str):
    for table in document.tables:
        if table.rows[0].cells[0].text.strip() == first_header:
            return table
    raise AssertionError(f"no table headed {first_header!r}")


def test_indicator_table_matches_results_json(builds):
    folder = builds["services"]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    phrases = load_phrases(lang="ar")
    labels = {k: phrases(f"status.{k}") for k in ("on_track", "at_risk", "off_track", "stalled", "no_data")}
    for sector in results["sectors"]:
        document = docx.Document(str(folder / f"{sector['id']}.docx"))
        table = table_with_header(document, phrases("column.objective"))
        rows = [[c.text for c in row.cells] for row in table.rows[1:]]
        expected = [i for i in results["indicators"] if i["sector"] == sector["id"]]
        assert len(rows) == len(expected)
        for row, item in zip(rows, expected):
            achievement = "—" if item["achievement"] is None else f"{item['achievement']:,.1f}%"
            assert row[8] == achievement, (item["id"], row)
            assert row[9] == labels[item["status"]], (item["id"], row)
            for column, key in ((5, "target"), (6, "actual")):
                if item[key] is None:
                    assert row[column] == "—"
                else:
                    shown = float(row[column].replace(",", ""))
                    assert shown == pytest.approx(item[key], abs=0.051 if "." in row[column] else 0.51), (item["id"], key, row)


def test_status_cells_are_coloured(builds):
    from review.model.status import COLOURS
    document = docx.Document(str(builds["services"] / "health.docx"))
    phrases = load_phrases(lang="ar")
    table = table_with_header(document, phrases("column.objective"))
    for row in table.rows[1:]:
        shading = row.cells[9]._tc.tcPr.find(qn("w:shd"))
        assert shading is not None and shading.get(qn("w:fill")) in COLOURS.values()


def test_pictures_have_alt_text_and_fields_exist(builds):
    for path in packs(builds["services"]):
        with zipfile.ZipFile(path) as archive:
            body = archive.read("word/document.xml").decode("utf-8")
            footers = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("word/footer"))
        descriptions = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
        assert len(descriptions) >= 4 and all(d.strip() for d in descriptions), path.name
        assert "TOC \\o" in body
        assert "PAGE" in footers and "NUMPAGES" in footers


def test_english_pack_is_left_to_right_without_arabic_wording(builds):
    path = builds["english"] / "health.docx"
    document = docx.Document(str(path))
    arabic_phrases = load_phrases(lang="ar")
    text = "\n".join(p.text for p in body_paragraphs(document))
    for key, entry in arabic_phrases.entries.items():
        if key.startswith(("pack.", "column.", "status.", "methodology.")) and "{" not in entry["ar"] and len(entry["ar"]) > 3:
            assert entry["ar"] not in text, key
    quoted = 0
    for paragraph in body_paragraphs(document):
        # Only Arabic the entities wrote (quoted in a table cell) is set right to left.
        if is_arabic(paragraph.text):
            quoted += 1
            assert is_on(paragraph._p.pPr, W_BIDI), paragraph.text
        else:
            assert not is_on(paragraph._p.pPr, W_BIDI), paragraph.text
    assert quoted  # the health sector's challenges were submitted in Arabic
    assert load_phrases(lang="en")("furniture.as_submitted") in text
    assert "Executive summary" in text and "Indicator performance" in text


def test_rebuild_is_byte_identical(builds, tmp_path):
    again = build(BuildOptions(PLANS / "services-1444", Period.parse("1444-Q4"), tmp_path,
                               issue_date=__import__("datetime").date(2023, 8, 1)))
    first = builds["services"]
    # The manifest records when and how the build ran; everything else must match byte for byte.
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file() and p.name != "manifest.json")
    for name in names:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name


def test_hostile_data_text_never_breaks_a_pack(make_plan, tmp_path):
    nasty = "تحدٍّ with Latin IDs H1 و 85% " + "طويل " * 3000 + "\u202e\ufffe"
    challenges = ("sector_id,description,cause,remedy,support_needed\n"
                  f"health,\"{nasty}\",\"\",\"سطر1\nسطر2\",\n")
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n",
                                          "challenges.csv": challenges}})
    built = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "o",
                               issue_date=__import__("datetime").date(2024, 5, 1)))
    document = docx.Document(str(built / "health.docx"))
    assert any("طويل" in c.text for t in document.tables for r in t.rows for c in r.cells)
    assert audit(built / "health.docx") == ""


def test_render_with_libreoffice(builds, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed: the render test needs `soffice` on PATH")
    path = builds["services"] / "health.docx"
    result = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "health.pdf"
    assert pdf.is_file(), result.stderr
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages >= 5


def test_executive_pack_tables_match_results_json(builds):
    folder = builds["services"]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    phrases = load_phrases(lang="ar")
    document = docx.Document(str(folder / "executive.docx"))
    dashboard = table_with_header(document, phrases("column.sector"))  # the dashboard opens the pack
    rows = [[c.text for c in row.cells] for row in dashboard.rows[1:]]
    assert [row[1] for row in rows] == [f"{s['score']:,.1f}%" for s in results["sectors"]] + [
        f"{results['plan_score']:,.1f}%"]
    assert [int(row[4]) for row in rows[:-1]] == [
        sum(1 for i in results["indicators"] if i["sector"] == s["id"] and i["status"] in ("off_track", "stalled"))
        for s in results["sectors"]]
    comparison = next(t for t in document.tables if t.rows[0].cells[0].text == phrases("column.sector")
                      and t.rows[0].cells[-1].text == phrases("status.off_track"))
    rows = [[c.text for c in row.cells] for row in comparison.rows[1:]]
    assert len(rows) == len(results["sectors"])
    for row, sector in zip(rows, results["sectors"]):
        assert row[1] == f"{sector['score']:,.1f}%"
        assert row[2] == phrases(f"status.{sector['status']}")
        assert row[3] == f"{sector['coverage']:,.1f}%"
    lagging = [i for i in results["indicators"] if i["status"] in ("stalled", "off_track")]
    text = "\n".join(p.text for p in body_paragraphs(document))
    plan_score = f"{results['plan_score']:,.1f}%"
    assert plan_score in text
    lagging_tables = [t for t in document.tables if t.rows[0].cells[-1].text == phrases("facts.reported")
                      and t.rows[0].cells[1].text == phrases("column.indicator")]
    assert len(lagging_tables) == 1, "no table of the off-track and stalled indicators"
    rows = [[c.text for c in row.cells] for row in lagging_tables[0].rows[1:]]
    # Every off-track and stalled indicator, lowest achievement first, with its reported causes.
    assert [row[6] for row in rows] == [f"{i['achievement']:,.1f}%" for i in
                                        sorted(lagging, key=lambda i: i["achievement"])]
    assert [row[7] for row in rows] == [phrases(f"status.{i['status']}") for i in
                                        sorted(lagging, key=lambda i: i["achievement"])]
    assert all(row[9] for row in rows)
    assert sum(row[9].startswith(phrases("facts.no_reasons")) for row in rows) == 1  # E02 has no challenge


def test_results_workbook_matches_results_json(builds):
    import openpyxl
    from review.model.status import TEXT_COLOURS, colour
    folder = builds["services"]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    phrases = load_phrases(lang="ar")
    book = openpyxl.load_workbook(folder / "results.xlsx")
    assert [sheet.title for sheet in book] == [phrases(f"workbook.{name}") for name in
                                               ("summary", "sectors", "objectives", "indicators", "projects", "entities")]
    assert all(sheet.sheet_view.rightToLeft and sheet.freeze_panes == "A2" for sheet in book)
    assert book.properties.creator == "review" and book.properties.created == book.properties.modified
    summary = book.worksheets[0]
    assert summary["B4"].value == pytest.approx(results["plan_score"]) and summary["B4"].number_format == "0.0"
    plan_status = {phrases(f"status.{key}"): key for key in TEXT_COLOURS}[summary["B5"].value]
    assert summary["B5"].fill.fgColor.rgb == f"FF{colour(plan_status)}"
    assert summary["B6"].number_format == summary["B7"].number_format == "0.0"  # coverage, trend
    sheet = book.worksheets[3]
    header = [cell.value for cell in sheet[1]]
    assert header[0] == phrases("column.id") and sheet["A1"].fill.fgColor.rgb == "FF1F3864" and sheet["A1"].font.b
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in rows] == [i["id"] for i in results["indicators"]]
    for row, item in zip(rows, results["indicators"]):
        for column, key in ((6, "target"), (7, "actual"), (9, "achievement")):
            assert row[column].value == (None if item[key] is None else pytest.approx(item[key])), (item["id"], key)
        status = row[11]
        assert status.value == phrases(f"status.{item['status']}")
        assert status.fill.fgColor.rgb == f"FF{colour(item['status'])}"
        assert status.font.color.rgb == f"FF{TEXT_COLOURS[item['status']]}" and status.font.b
        assert row[9].number_format == "0.0"


def test_data_text_in_the_results_workbook_is_never_a_formula(make_plan, tmp_path):
    import openpyxl

    from tests.conftest import base_plan
    plan = base_plan()
    plan["title"]["ar"] = '=HYPERLINK("http://example.com", "خطة")'
    plan["sectors"][0]["name"]["ar"] = "{=SUM(1,2)}"  # an array formula to older XlsxWriter
    plan["entities"][0]["focal_point"] = "http://example.com"
    folder = make_plan(plan, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    built = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "o",
                               issue_date=__import__("datetime").date(2024, 5, 1)))
    summary, sectors, *_, entities = openpyxl.load_workbook(built / "results.xlsx").worksheets
    assert summary["B2"].data_type == "s" and summary["B2"].value == plan["title"]["ar"]
    assert sectors["B2"].data_type == "s" and sectors["B2"].value == "{=SUM(1,2)}"
    assert entities["C2"].data_type == "s" and entities["C2"].value == "http://example.com"
    assert entities["C2"].hyperlink is None
    assert audit(built / "results.xlsx") == ""
