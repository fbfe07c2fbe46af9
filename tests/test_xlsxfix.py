"""``strict_xlsx``: openpyxl's package rewritten the way Excel saves it (shared strings, font order, no clock)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from review.secretariat.workbook import fixed_properties, workbook_bytes
from review.office.xlsx import strict_xlsx


def sample() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["القيمة", "value", "القيمة", 12.5, None])
    sheet.append([CellRichText(TextBlock(InlineFont(b=True), "غامق"), " عادي"), " spaced "])
    workbook.create_sheet("second").append(["value"])
    fixed_properties(workbook, "t", dt.datetime(2024, 1, 2, 3, 4, 5))
    return workbook_bytes(workbook)


def part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def test_inline_strings_become_shared_strings_and_read_back_the_same():
    fixed = strict_xlsx(sample())
    assert "inlineStr" not in part(fixed, "xl/worksheets/sheet1.xml")
    sst = part(fixed, "xl/sharedStrings.xml")
    assert 'count="6" uniqueCount="4"' in sst
    assert re.findall(r"<t[^>]*>([^<]*)</t>", sst) == ["القيمة", "value", "غامق", " عادي", " spaced "]
    assert "sharedStrings.xml" in part(fixed, "[Content_Types].xml")
    assert "sharedStrings.xml" in part(fixed, "xl/_rels/workbook.xml.rels")
    workbook = load_workbook(io.BytesIO(fixed))
    assert [c.value for c in workbook.active[1]] == ["القيمة", "value", "القيمة", 12.5]
    assert workbook.active["B2"].value == " spaced "
    assert workbook["second"]["A1"].value == "value"


def test_font_children_follow_the_schema_order():
    styles = part(strict_xlsx(sample()), "xl/styles.xml")
    font = re.search(r"<font>(.*?)</font>", styles).group(1)
    assert re.findall(r"<(\w+) ", font) == ["sz", "color", "name", "family", "scheme"]


def test_modified_is_the_fixed_created_time_and_output_is_stable():
    fixed = strict_xlsx(sample())
    core = part(fixed, "docProps/core.xml")
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]+)<", core) == ["2024-01-02T03:04:05Z"] * 2
    assert strict_xlsx(fixed) == fixed
