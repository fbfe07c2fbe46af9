"""``office.xlsx``: XlsxWriter workbooks in memory, text always text, numbers numbers, same bytes twice."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
import xlsxwriter

from review.office.xlsx import (
    MemoryWorkbook,
    add_sheet,
    add_table,
    add_validation,
    merge_cells,
    sheet_name,
    sheet_range,
    write_cell,
)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
WHEN = dt.datetime(2024, 1, 2, 3, 4, 5)
#: Text that XlsxWriter's ``write`` would turn into a formula, an array formula, a link or a number.
LOOKALIKES = ["=1+1", '=HYPERLINK("http://example.com","اضغط")', "{=SUM(A1:A2)}", "#N/A", "#DIV/0!",
              "http://example.com", "mailto:someone@example.com", "12", " spaced "]


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


def cells(data: bytes, sheet: int = 1) -> dict[str, ElementTree.Element]:
    """Return cell reference → its ``<c>`` element in sheet number ``sheet``."""
    root = ElementTree.fromstring(part(data, f"xl/worksheets/sheet{sheet}.xml"))
    return {cell.get("r"): cell for cell in root.iter(f"{MAIN}c")}


def shared_strings(data: bytes) -> list[str]:
    root = ElementTree.fromstring(part(data, "xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in item.iter(f"{MAIN}t")) for item in root.iter(f"{MAIN}si")]


def sample(rtl: bool = True) -> bytes:
    book = MemoryWorkbook("عنوان", WHEN)
    sheet = add_sheet(book, "ورقة", rtl)
    for row, value in enumerate(LOOKALIKES):
        write_cell(sheet, row, 0, value)
    for row, value in enumerate([3, 2.5, -0.125, 10**15]):
        write_cell(sheet, row, 1, value)
    return book.to_bytes()


def test_text_that_looks_like_a_formula_link_error_or_number_stays_a_text_cell():
    data = sample()
    strings = shared_strings(data)
    found = cells(data)
    for row, text in enumerate(LOOKALIKES, start=1):
        cell = found[f"A{row}"]
        assert cell.get("t") == "s", text
        assert cell.find(f"{MAIN}f") is None, text
        assert strings[int(cell.find(f"{MAIN}v").text)] == text
    assert "<f>" not in part(data, "xl/worksheets/sheet1.xml")
    assert "<hyperlink" not in part(data, "xl/worksheets/sheet1.xml")


def test_the_xml_check_catches_what_a_plain_write_makes_of_such_text():
    # The checks above can fail: XlsxWriter's own guess makes a formula and a link of them.
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write(0, 0, "=1+1")
    sheet.write(1, 0, "http://example.com")
    book.close()
    found = cells(buffer.getvalue())
    assert found["A1"].find(f"{MAIN}f") is not None
    assert "<hyperlink" in part(buffer.getvalue(), "xl/worksheets/sheet1.xml")


def test_numbers_are_number_cells():
    found = cells(sample())
    for row, value in enumerate(["3", "2.5", "-0.125", "1000000000000000"], start=1):
        cell = found[f"B{row}"]
        assert cell.get("t") is None and cell.find(f"{MAIN}v").text == value


@pytest.mark.parametrize("value", [True, dt.date(2024, 1, 1), b"bytes", [1]])
def test_a_value_of_no_cell_type_is_refused(value):
    book = MemoryWorkbook("t", WHEN)
    with pytest.raises(TypeError, match="no spreadsheet cell type for"):
        write_cell(add_sheet(book, "s", False), 0, 0, value)
    book.to_bytes()


def test_empty_values_are_written_only_when_styled():
    book = MemoryWorkbook("t", WHEN)
    sheet = add_sheet(book, "s", False)
    styled = book.style({"bold": True})
    for column, value in enumerate([None, "", None, ""]):
        write_cell(sheet, 0, column, value, styled if column >= 2 else None)
    found = cells(book.to_bytes())
    assert sorted(found) == ["C1", "D1"]
    assert all(c.find(f"{MAIN}v") is None and c.get("s") for c in found.values())


def test_same_calls_give_the_same_bytes_and_no_clock():
    first = sample()
    assert sample() == first
    core = part(first, "docProps/core.xml")
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]+)<", core) == ["2024-01-02T03:04:05Z"] * 2
    assert "<dc:title>عنوان</dc:title>" in core and "<dc:creator>review</dc:creator>" in core


def test_parts_stored_by_xlsxwriter_give_the_bytes_of_parts_it_deflated(monkeypatch):
    from xlsxwriter import workbook
    stored = sample()
    assert workbook.ZIP_DEFLATED == zipfile.ZIP_DEFLATED  # put back after closing
    monkeypatch.setattr(MemoryWorkbook, "store_parts", False)
    assert sample() == stored


def test_zip_entries_carry_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    unset = sample()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stamped = sample()
    assert stamped != unset
    times = {info.date_time for info in zipfile.ZipFile(io.BytesIO(stamped)).infolist()}
    assert times == {(2023, 11, 14, 22, 13, 20)}
    assert zipfile.ZipFile(io.BytesIO(stamped)).namelist()[0] == "[Content_Types].xml"


def test_sheets_are_right_to_left_when_asked():
    assert '<sheetView rightToLeft="1"' in part(sample(rtl=True), "xl/worksheets/sheet1.xml")
    assert "rightToLeft" not in part(sample(rtl=False), "xl/worksheets/sheet1.xml")


def test_a_sheet_name_is_cut_to_excels_31_characters():
    book = MemoryWorkbook("t", WHEN)
    assert add_sheet(book, "س" * 40, True).name == "س" * 30 + "…"
    assert add_sheet(book, "س" * 31, True).name == "س" * 31
    book.to_bytes()


@pytest.mark.parametrize("title, taken, expected", [
    ("a[b]:c*d?e/f\\g", (), "a-b--c-d-e-f-g"),
    ("'quoted'", (), "quoted"),
    ("", (), "Sheet"),
    ("History", (), "Sheet"),
    ("Data", ("data",), "Data (2)"),
    ("Data", ("Data", "Data (2)"), "Data (3)"),
    ("ن" * 40, ("ن" * 30 + "…",), "ن" * 26 + "… (2)"),
    ("😀" * 20, (), "😀" * 15 + "…"),  # each counts twice for Excel
])
def test_sheet_names_are_made_to_fit_excel(title, taken, expected):
    assert sheet_name(title, taken) == expected


def test_any_title_gives_a_sheet_xlsxwriter_accepts():
    book = MemoryWorkbook("t", WHEN)
    for title in ["ورقة:1", "ورقة:1", "'", "x" * 100, "x" * 100, "history", "[]"]:
        add_sheet(book, title, True)
    assert len({sheet.name.lower() for sheet in book.worksheets()}) == 7
    book.to_bytes()


def test_long_text_is_cut_to_excels_cell_and_property_limits(tmp_path):
    from review.office.xlsx import MAX_CELL_CHARS
    from review.office.package import MAX_PROPERTY_CHARS
    book = MemoryWorkbook("ع" * 1000, WHEN, author="م" * 300)
    sheet = add_sheet(book, "ورقة", True)
    write_cell(sheet, 0, 0, "ن" * 100_000)
    write_cell(sheet, 1, 0, "ن" * MAX_CELL_CHARS)
    data = book.to_bytes()
    strings = shared_strings(data)
    assert strings[0] == "ن" * (MAX_CELL_CHARS - 1) + "…"
    assert strings[1] == "ن" * MAX_CELL_CHARS
    core = part(data, "docProps/core.xml")
    assert "ع" * (MAX_PROPERTY_CHARS - 1) + "…<" in core and "ع" * MAX_PROPERTY_CHARS not in core
    assert "م" * (MAX_PROPERTY_CHARS - 1) + "…<" in core
    path = tmp_path / "long.xlsx"
    path.write_bytes(data)
    from tests.conftest import audit
    assert audit(path) == ""


def test_the_office_limits_are_the_models():
    """office may not import model: its own figures must stay the ones validate checks against."""
    from review.model import limits
    from review.office import package, xlsx
    assert package.MAX_PROPERTY_CHARS == limits.MAX_PROPERTY_CHARS
    assert xlsx.MAX_SHEET_NAME == limits.MAX_SHEET_NAME_CHARS
    assert xlsx.MAX_CELL_CHARS == limits.MAX_CELL_CHARS


def test_table_has_a_frozen_header_widths_and_formats_per_cell():
    book = MemoryWorkbook("t", WHEN)
    header, marked = book.style({"bold": True}), book.style({"italic": True})
    add_table(book, "s", ["id", "value"], [("=A1", 1), ("b", None)], rtl=True, header_format=header,
              widths=(10, 20), cell_format=lambda row, column: marked if (row, column) == (1, 1) else None)
    data = book.to_bytes()
    sheet = part(data, "xl/worksheets/sheet1.xml")
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet
    assert len(re.findall(r"<col [^>]*customWidth=\"1\"", sheet)) == 2
    found = cells(data)
    assert found["A1"].get("s") == found["B1"].get("s") != found["B3"].get("s")
    assert found["A2"].get("t") == "s" and found["B2"].get("t") is None and found["A2"].get("s") is None
    assert found["B3"].find(f"{MAIN}v") is None and found["B3"].get("s")  # empty, styled


def test_merged_range_holds_its_text_as_text():
    book = MemoryWorkbook("t", WHEN)
    sheet = add_sheet(book, "s", True)
    merge_cells(sheet, 0, 0, 0, 2, "=SUM(1,2)", book.style({"bold": True}))
    data = book.to_bytes()
    assert '<mergeCell ref="A1:C1"/>' in part(data, "xl/worksheets/sheet1.xml")
    found = cells(data)
    assert found["A1"].get("t") == "s" and found["A1"].find(f"{MAIN}f") is None
    assert shared_strings(data) == ["=SUM(1,2)"]


def test_sheet_range_is_absolute_and_always_quoted():
    assert sheet_range("القوائم", 1, 0, 1, 0) == "'القوائم'!$A$2:$A$2"
    assert sheet_range("it's", 1, 3, 9, 3) == "'it''s'!$D$2:$D$10"


def test_a_validation_xlsxwriter_would_drop_is_an_error():
    book = MemoryWorkbook("t", WHEN)
    sheet = add_sheet(book, "s", True)
    add_validation(sheet, 0, 0, 4, 0, {"validate": "list", "source": sheet_range("s", 0, 1, 2, 1)})
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="data validation of sheet 's' refused"):
        add_validation(sheet, 0, 1, 4, 1, {"validate": "decimal", "criteria": ">=", "value": 0,
                                           "input_title": "x" * 40})
    assert "<formula1>'s'!$B$1:$B$3</formula1>" in part(book.to_bytes(), "xl/worksheets/sheet1.xml")
