"""Excel workbooks through openpyxl: right-to-left sheets with Arabic headers and status fills.

The helpers of the workbooks written with openpyxl (the status and recommendations reports,
and the forms module's forms, which it reads back). ``results.xlsx``, written on every build,
is ``review.results_xlsx``'s (XlsxWriter). Output is deterministic: fixed document properties
and zip entry times (``zipfix``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from review.model import status as st
from review.office.xlsx import strict_xlsx

HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
PERCENT = "0.0"


def fixed_properties(workbook: Workbook, title: str, when: dt.datetime) -> None:
    """Set the workbook's document properties from inputs only (no clock)."""
    props = workbook.properties
    props.title = title
    props.creator = "review"
    props.lastModifiedBy = "review"
    props.created = when
    props.modified = when


def workbook_bytes(workbook: Workbook) -> bytes:
    """Return the saved workbook, strict-clean (shared strings, schema order) with fixed zip entry times."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return strict_xlsx(buffer.getvalue())


def _not_text_to_openpyxl(value: object) -> bool:
    # openpyxl takes any string starting with "=" for a formula, so a name or a note sent in as
    # "=HYPERLINK(…)" would become a live formula, and "#N/A" for an error value. These workbooks
    # hold neither: such text is marked as text.
    return isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)


def put(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """Set a cell to ``value``, text kept as text even when it starts with "=" or reads "#N/A"."""
    cell = sheet.cell(row, column, value)
    if _not_text_to_openpyxl(value):
        cell.data_type = "s"


def append_row(sheet: Worksheet, values: Sequence[object]) -> int:
    """Append ``values`` as a row (text kept as text, see ``put``); return its row number."""
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if _not_text_to_openpyxl(value):
            sheet.cell(row, column).data_type = "s"
    return row


def add_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]],
              rtl: bool = True, status_column: int | None = None, status_keys: Sequence[str] = (),
              percent_columns: Sequence[int] = (), widths: Sequence[int] = ()) -> Worksheet:
    """Append a sheet with a header row, data rows, frozen header, and status cells filled by colour.

    ``status_keys`` gives, row by row, the status key whose colour fills column ``status_column``.
    """
    sheet = workbook.create_sheet(title[:31])
    sheet.sheet_view.rightToLeft = rtl
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for number, row in enumerate(rows, start=2):
        append_row(sheet, row)
        for column in percent_columns:
            sheet.cell(number, column).number_format = PERCENT
        if status_column is not None and number - 2 < len(status_keys):
            key = status_keys[number - 2]
            cell = sheet.cell(number, status_column)
            cell.fill = PatternFill("solid", fgColor=st.colour(key))
            cell.font = Font(color=st.TEXT_COLOURS.get(key, "000000"), bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [14] * len(headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    return sheet
