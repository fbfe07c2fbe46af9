"""Deterministic .xlsx workbooks through XlsxWriter: in memory, text always text, no clock.

XlsxWriter writes a package the way Excel saves one (shared strings, parts in schema order), so
its workbooks pass the strict Open XML audit (SPEC §7) as written. Three things it leaves to the
caller, and this module settles once for every workbook of the project:

- the document's dates: XlsxWriter stamps ``created`` and ``modified`` with the clock unless it
  is given a time, so :class:`MemoryWorkbook` always takes one from its caller;
- the zip entries' times and order, rewritten by ``package.normalize_zip`` (``SOURCE_DATE_EPOCH``);
- a cell's type: ``Worksheet.write`` guesses it from how a string looks ("=…" a formula, "{=…}"
  an array formula, "http://…" a link). A plan's or a submission's text must never turn into a
  live formula or link, so :func:`write_cell` chooses by the Python type and writes text with
  ``write_string``; the workbook options below say the same to any other write.

What Excel cannot hold is made to fit rather than refused here (``review validate`` refuses it in
the plan; this is the last line of defence): a document property over 255 characters, a sheet
name over 31 and a cell's text over 32,767 are cut, ending in "…" (see ``package.fit_text``); a
sheet name loses the characters Excel forbids in it and is numbered when another sheet has it.

It knows no domain: styles are XlsxWriter format properties given by the caller.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from review.office.package import MAX_PROPERTY_CHARS, fit_text, normalize_zip, source_date_time

#: Strings stay strings: no formula, link or number guessed from a string's look.
OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False}
#: Excel's limit on a sheet name (``review.model.limits.MAX_SHEET_NAME_CHARS``).
MAX_SHEET_NAME = 31
#: Excel's limit on the text of one cell (``review.model.limits.MAX_CELL_CHARS``).
MAX_CELL_CHARS = 32_767
# Characters Excel refuses in a sheet name; a name may not start or end with an apostrophe either,
# and "History" is Excel's own.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAME = "history"


class MemoryWorkbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook built in memory, its document properties fixed from inputs.

    ``title`` and ``created`` (naive, read as UTC) become the document's title and its
    ``created`` and ``modified`` dates; the author is ``author``; a title or author over 255
    characters is cut, ending in "…". Call :meth:`to_bytes` once, at the end.
    """

    def __init__(self, title: str, created: dt.datetime, author: str = "review") -> None:
        self._buffer = io.BytesIO()
        super().__init__(self._buffer, OPTIONS)
        self.set_properties({"title": fit_text(title, MAX_PROPERTY_CHARS),
                             "author": fit_text(author, MAX_PROPERTY_CHARS), "created": created})
        self._styles: dict[tuple, Format] = {}

    def style(self, properties: Mapping[str, object]) -> Format:
        """Return the cell format of ``properties`` (XlsxWriter's format keys), made once per workbook."""
        key = tuple(sorted(properties.items()))
        if key not in self._styles:
            self._styles[key] = self.add_format(dict(properties))
        return self._styles[key]

    #: Have XlsxWriter store its parts uncompressed: :func:`normalize_zip` compresses them once,
    #: rather than inflating what XlsxWriter deflated and deflating it again (the same bytes).
    store_parts = True

    def to_bytes(self) -> bytes:
        """Close the workbook and return its .xlsx bytes, zip entries dated ``source_date_time()``.

        The same calls give the same bytes.
        """
        if self.store_parts:
            # XlsxWriter names the compression of its zip in its module (read when it closes).
            from xlsxwriter import workbook
            deflated, workbook.ZIP_DEFLATED = workbook.ZIP_DEFLATED, zipfile.ZIP_STORED
            try:
                self.close()
            finally:
                workbook.ZIP_DEFLATED = deflated
        else:
            self.close()
        return normalize_zip(self._buffer.getvalue(), source_date_time())


def sheet_name(title: str, taken: Iterable[str] = ()) -> str:
    """Return the sheet name Excel accepts for ``title``, different from every name in ``taken``.

    The characters ``[ ] : * ? / \\`` become "-", apostrophes at either end go, an empty name or
    "History" becomes "Sheet"; a name over 31 characters is cut, ending in "…"; a name ``taken``
    already (compared without case, as Excel does) gets " (2)", " (3)" … within the 31.
    """
    name = _SHEET_NAME_FORBIDDEN.sub("-", title).strip("'")
    if not name or name.lower() == _RESERVED_SHEET_NAME:
        name = "Sheet"
    used = {existing.lower() for existing in taken}
    candidate, number = fit_text(name, MAX_SHEET_NAME), 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = fit_text(name, MAX_SHEET_NAME - len(suffix)) + suffix
    return candidate


def add_sheet(book: xlsxwriter.Workbook, title: str, rtl: bool) -> Worksheet:
    """Return a new sheet named ``title`` as :func:`sheet_name` makes it fit, right to left when ``rtl``."""
    sheet = book.add_worksheet(sheet_name(title, (sheet.name for sheet in book.worksheets())))
    if rtl:
        sheet.right_to_left()
    return sheet


def write_cell(sheet: Worksheet, row: int, column: int, value: object, cell_format: Format | None = None) -> None:
    """Write ``value`` at ``row``, ``column`` (both from 0) as the cell type of its Python type.

    A ``str`` is a text cell whatever it reads ("=1+1", "{=A1}", "#N/A", "http://…"), cut to
    Excel's 32,767 characters ending in "…" when longer; a real
    number (not a bool) is a number cell; None or "" is an empty cell, written only when
    ``cell_format`` is given (a styled empty cell). Raises TypeError for any other value.
    """
    if value is None or value == "":
        if cell_format is not None:
            sheet.write_blank(row, column, None, cell_format)
    elif isinstance(value, str):
        sheet.write_string(row, column, fit_text(value, MAX_CELL_CHARS), cell_format)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        sheet.write_number(row, column, value, cell_format)
    else:
        raise TypeError(f"no spreadsheet cell type for {value!r} (expected text or a number)")


def merge_cells(sheet: Worksheet, first_row: int, first_column: int, last_row: int, last_column: int,
                value: object, cell_format: Format) -> None:
    """Merge the range (counted from 0) and write ``value`` in its first cell, as :func:`write_cell` does.

    Every cell of the range takes ``cell_format``.
    """
    # merge_range writes its value through Worksheet.write, which guesses the type from the
    # text; it gets an empty value and the text is written after it, as text.
    sheet.merge_range(first_row, first_column, last_row, last_column, "", cell_format)
    write_cell(sheet, first_row, first_column, value, cell_format)


def add_table(book: xlsxwriter.Workbook, title: str, headers: Sequence[object], rows: Iterable[Sequence[object]],
              *, rtl: bool, header_format: Format | None, widths: Sequence[float],
              cell_format: Callable[[int, int], Format | None] = lambda row, column: None) -> Worksheet:
    """Return a new sheet holding a header row, then ``rows``, the header frozen at the top.

    ``widths`` are the columns' widths in characters, from the first column. ``cell_format(row,
    column)`` gives the format of a data cell, ``row`` counted from 0 at the first data row and
    ``column`` from 0; None leaves it plain. Values are written by :func:`write_cell`.
    """
    sheet = add_sheet(book, title, rtl)
    sheet.freeze_panes(1, 0)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    for column, header in enumerate(headers):
        write_cell(sheet, 0, column, header, header_format)
    for index, row in enumerate(rows):
        for column, value in enumerate(row):
            write_cell(sheet, index + 1, column, value, cell_format(index, column))
    return sheet


def sheet_range(sheet_name: str, first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    """Return the absolute reference of a range (counted from 0) of sheet ``sheet_name``: ``'name'!$A$2:$A$9``.

    The name is always quoted (a quote in it doubled), which Excel accepts for any name, and the
    range has both ends even when it is one cell (``$A$2:$A$2``), so its shape does not depend
    on how many values it holds.
    """
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    first = xl_rowcol_to_cell(first_row, first_column, row_abs=True, col_abs=True)
    last = xl_rowcol_to_cell(last_row, last_column, row_abs=True, col_abs=True)
    return f"{quoted}!{first}:{last}"


def add_validation(sheet: Worksheet, first_row: int, first_column: int, last_row: int, last_column: int,
                   options: Mapping[str, object]) -> None:
    """Add a data validation of XlsxWriter's ``options`` to the range (counted from 0).

    Raises ValueError when XlsxWriter refuses it (an unknown option, a title over 32 or a
    message over 255 characters, a range off the sheet), which it would otherwise only warn of
    and leave out.
    """
    if sheet.data_validation(first_row, first_column, last_row, last_column, dict(options)) != 0:
        raise ValueError(f"data validation of sheet {sheet.name!r} refused: {dict(options)!r}")
