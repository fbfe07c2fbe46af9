"""The secretariat's house style in Excel: the header row, status fills, right-to-left tables.

The status and recommendations reports share it, and the forms take its header. Writing itself
(in memory, text always text, fixed document dates and zip entry times) is
``review.office.xlsx``'s; this module only says how the secretariat's tables look, as
XlsxWriter format properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from xlsxwriter.worksheet import Worksheet

from review.model import status as st
from review.office.xlsx import MemoryWorkbook, add_table

#: The header row: white bold text on dark blue, centred and wrapped.
HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "pattern": 1,
          "align": "center", "valign": "vcenter", "text_wrap": True}
DEFAULT_WIDTH = 14


def status_style(key: str) -> dict[str, object]:
    """Return the format properties of a cell filled in status ``key``'s colour (bold text that reads on it)."""
    return {"bg_color": f"#{st.colour(key)}", "pattern": 1, "bold": True,
            "font_color": f"#{st.TEXT_COLOURS.get(key, '000000')}"}


def add_report_sheet(book: MemoryWorkbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]],
              rtl: bool = True, status_cells: Mapping[tuple[int, int], str] | None = None,
              widths: Sequence[int] = ()) -> Worksheet:
    """Return a new sheet with the header row, the data rows and the header frozen at the top.

    ``status_cells`` maps (row, column) of the data, both counted from 0, to the status key whose
    colour fills that cell. ``widths`` default to 14 characters a column.
    """
    fills = status_cells or {}

    def cell_format(row: int, column: int):
        key = fills.get((row, column))
        return None if key is None else book.style(status_style(key))

    return add_table(book, title, headers, rows, rtl=rtl, header_format=book.style(HEADER),
                     widths=widths or [DEFAULT_WIDTH] * len(headers), cell_format=cell_format)
