"""Readers: one per file suffix, each turning a data file into tables of raw cells.

Only this module knows CSV dialects, text encodings and Excel. A reader never judges the
content; it returns :class:`Table` objects (rows of raw cells with their 1-based row numbers) and
problems about the file itself (empty, too large, wrong encoding, damaged, beyond a limit).

Every file is read whole or refused, never in part: a CSV quote left open, an Excel sheet whose
stored size is stale, a sheet whose part is missing are errors or read completely. An ``.xlsx``
is scanned as a stream (:class:`_XlsxScan`) before openpyxl sees it, so that a small file which
unpacks to millions of cells or strings is refused within seconds and in bounded memory.
"""

from __future__ import annotations

import csv
import io
import os
import posixpath
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from review.errors import Location, Problem, WARNING, WHOLE_FILE, quoted
from review.model.layout import DATA_DIR, PERIOD_RECORDS, SUPERSEDED_DIR
from review.model.periods import Period

#: Files larger than this are refused unread (a national plan's quarter is far below 1 MB).
MAX_BYTES = 10 * 1024 * 1024
#: An .xlsx whose parts unpack to more than this is refused (zip bomb).
MAX_UNPACKED = 200 * 1024 * 1024
#: Rows of one table (a CSV file, an Excel sheet: the highest row number); more is refused.
MAX_ROWS = 100_000
#: Columns of one row (the highest column number); more is refused.
MAX_COLUMNS = 1_000
#: Cells of one file, counting every row as wide as its last cell; more is refused.
MAX_CELLS = 500_000
#: Shared strings of one .xlsx (Excel stores each distinct text once); more is refused.
MAX_SHARED_STRINGS = 500_000
#: XML elements of one .xlsx, all parts together: bounds the work on a file of unknown elements.
MAX_XML_ELEMENTS = 2_000_000
#: XML elements of one part that is not a sheet or the shared strings (openpyxl loads those
#: parts whole as trees, e.g. the styles).
MAX_PART_ELEMENTS = 200_000
#: Parts (files inside the zip) of one .xlsx; more is refused.
MAX_PARTS = 10_000
#: Sheets of one .xlsx; more is refused.
MAX_SHEETS = 1_000
#: Problems kept for the cells of one file; the rest are counted.
MAX_CELL_PROBLEMS = 50

KINDS = ("indicators", "projects", "challenges", "recommendations")
#: Sheet names that make a sheet a given kind, whatever the file is called (SPEC §3.3).
SHEET_NAMES = {
    "indicators": ("indicators", "المؤشرات"),
    "projects": ("projects", "المشاريع"),
    "challenges": ("challenges", "التحديات"),
    "recommendations": ("recommendations", "التوصيات"),
}
#: A data-collection form's cover sheet (``review forms``): read alongside the data sheets so the
#: intake can check the form's plan, period and entity (``data.check_form_metadata``).
COVER_SHEET_NAMES = ("الغلاف", "cover")
FORM_COVER = "form-cover"


@dataclass
class Table:
    """Raw rows of one CSV file or one Excel sheet, read as one kind of data."""

    file: Path
    kind: str
    sheet: str | None = None
    #: (row number as the user sees it, cells); cells are str, float or None.
    rows: list[tuple[int, list[object]]] = field(default_factory=list)

    def where(self, row: int) -> Location:
        """Return a row's location as the user sees it: ``row 7`` or ``sheet 'x', row 7``."""
        return Location(sheet=self.sheet, row=row)


def kind_of_name(name: str) -> str | None:
    """Return the data kind a file name announces by its prefix (``indicators-MOH.csv``), or None."""
    lower = name.lower()
    return next((kind for kind in KINDS if lower.startswith(kind)), None)


def _kind_of_sheet(title: str) -> str | None:
    key = title.strip().lower()
    return next((kind for kind, names in SHEET_NAMES.items() if key in names), None)


def read_file(path: Path) -> tuple[list[Table], list[Problem]]:
    """Return the tables of one data file and the problems of the file itself.

    The file is read once, whole, and refused (no table) when it cannot be read, is not a regular
    file, is empty or larger than :data:`MAX_BYTES`.
    """
    try:
        # Non-blocking, so that a named pipe put in the file's place cannot hang the run.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return [], [Problem(path, WHOLE_FILE, "", "not a regular file (expected a .csv or .xlsx file)")]
            if status.st_size > MAX_BYTES:
                return [], [Problem(path, WHOLE_FILE, "", f"file too large ({status.st_size:,} bytes; "
                                                          f"expected at most {MAX_BYTES:,})")]
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return [], [_unreadable(path, exc)]
    if not raw:
        return [], [Problem(path, WHOLE_FILE, "", "the file is empty (0 bytes); expected a header row and data rows")]
    if len(raw) > MAX_BYTES:  # it grew while being read
        return [], [Problem(path, WHOLE_FILE, "", f"file too large (expected at most {MAX_BYTES:,} bytes)")]
    return READERS[path.suffix.lower()](path, raw)


def _unreadable(path: Path, exc: OSError) -> Problem:
    reason = (exc.strerror or type(exc).__name__).lower()
    return Problem(path, WHOLE_FILE, "", f"cannot read the file: {reason} (expected a file this user may "
                                         "read: check its permissions)")


# -- CSV ----------------------------------------------------------------------------------------

def _decode(path: Path, raw: bytes) -> tuple[str | None, list[Problem]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    # Windows-1256 maps nearly every byte, so judge by content: text has no NULs and few controls.
    controls = sum(1 for b in raw if b < 32 and b not in (9, 10, 13))
    if b"\x00" in raw or controls > len(raw) // 100:
        return None, [Problem(path, WHOLE_FILE, "", "not a text CSV file (expected UTF-8 or Windows-1256 text; "
                                            "an Excel file must be saved as .xlsx)")]
    # Every byte decodes in Windows-1256 (Python maps the five unassigned ones), so no check is left.
    text = raw.decode("cp1256", errors="replace")
    return text, [Problem(path, WHOLE_FILE, "", "not UTF-8; read as Windows-1256 (Arabic Excel CSV). "
                                        "Save as 'CSV UTF-8' to silence this warning", WARNING)]


def _read_csv(path: Path, raw: bytes) -> tuple[list[Table], list[Problem]]:
    kind = kind_of_name(path.name)
    text, problems = _decode(path, raw)
    if text is None:
        return [], problems
    if not text.strip():
        return [], problems + [Problem(path, WHOLE_FILE, "", "the file holds no rows; expected a header row and data rows")]
    first_line = text.split("\n", 1)[0]
    # Arabic Excel sometimes saves with ';' or tabs; pick the delimiter the first line uses most.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    table = Table(path, kind or "")
    # Strict: a quote left open, or text after a closing quote, is an error instead of rows
    # swallowed into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start, cells_read = 1, 0
    try:
        for cells in reader:
            if len(table.rows) >= MAX_ROWS:
                return [], problems + [Problem(path, Location(row=start), "", f"more than {MAX_ROWS:,} rows; refused")]
            cells_read += len(cells)
            if len(cells) > MAX_COLUMNS or cells_read > MAX_CELLS:
                return [], problems + [Problem(path, Location(row=start), "", _too_many_cells(len(cells)))]
            table.rows.append((start, list[object](cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        found = _quote_problem(path, text, start, delimiter)
        return [], problems + [found or Problem(path, Location(row=start), "", f"unreadable CSV ({quoted(str(exc))[1:-1]})")]
    return [table], problems


def _too_many_cells(width: int) -> str:
    if width > MAX_COLUMNS:
        return f"more than {MAX_COLUMNS:,} columns ({width:,}); refused"
    return f"more than {MAX_CELLS:,} cells in the file; refused"


_LINE_END = re.compile(r"\r\n|\r|\n")
_QUOTED_CELL = re.compile(r'"[^"]*(?:""[^"]*)*"')


def _end_of(pattern: re.Pattern[str], text: str, position: int) -> int:
    """Return where a match of ``pattern`` at ``position`` ends (``position`` when none)."""
    found = pattern.match(text, position)
    return position if found is None else found.end()


def _quote_problem(path: Path, text: str, line: int, delimiter: str) -> Problem | None:
    """Return the problem of the quoted cell that breaks the CSV record starting on ``line`` (an
    unclosed quote, or text after a closing quote), located on the line where that quote opened;
    None when the record has no such cell."""
    start = 0
    for _ in range(line - 1):
        end = _LINE_END.search(text, start)
        if end is None:
            return None
        start = end.end()
    plain = re.compile(f"[^{re.escape(delimiter)}\r\n]*")

    def line_of(position: int) -> int:
        return line + len(_LINE_END.findall(text, start, position))

    position = start
    while True:
        if text.startswith('"', position):
            closed = _QUOTED_CELL.match(text, position)
            if closed is None:
                return Problem(path, Location(row=line_of(position)), "",
                               "a quoted cell opens on this line and is never closed (expected a closing '\"' "
                               "before the end of the file; without it every row below is read into this cell)")
            after = closed.end()
            if after < len(text) and text[after] not in (delimiter, "\r", "\n"):
                junk = text[after:_end_of(plain, text, after)][:20]
                return Problem(path, Location(row=line_of(position)), "",
                               f"a quoted cell opens on this line and its closing quote on line {line_of(after)} is "
                               f"followed by {quoted(junk)} (expected {delimiter!r} or the end of the line after a "
                               "closing '\"'; write a quote inside a cell as '\"\"')")
            position = after
        else:
            position = _end_of(plain, text, position)
        if position >= len(text) or text[position] != delimiter:
            return None
        position += 1


# -- Excel --------------------------------------------------------------------------------------

_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
# What openpyxl turns into a number (int() or float()); anything else would raise there.
_STORED_NUMBER = re.compile(r"\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?\s*")
#: Longest number text taken from a cell (a float has 17 significant digits; more is junk).
_MAX_NUMBER_TEXT = 64


class _Refused(Exception):
    """Stops the scan of a workbook: ``problem`` refuses the whole file."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


@dataclass
class _Sheet:
    """What the scan learnt about one worksheet part."""

    name: str | None = None
    #: Formula cells without a saved value (``B7``), the first few, and how many in all.
    formulas: list[tuple[int, str]] = field(default_factory=list)
    formula_count: int = 0


class _XlsxScan:
    """One streaming pass over every XML part of an .xlsx, before openpyxl reads it.

    Refuses (raises :class:`_Refused`) what openpyxl would read wrongly, slowly or not at all:
    malformed XML, a DTD, a damaged or missing part, more rows, columns, cells, shared strings or
    elements than the limits, rows or cells out of order (openpyxl drops them). Collects, as
    ``problems``, cells openpyxl cannot convert (a stored number ``NaN``, a shared string that
    does not exist) and, as warnings, links to other workbooks; keeps per sheet the formula cells
    without a saved value, reported for the sheets that are read.
    """

    def __init__(self, path: Path, archive: zipfile.ZipFile):
        self.path = path
        self.archive = archive
        self.problems: list[Problem] = []
        self.cell_problems = 0
        self.elements = 0
        self.cells = 0
        self.strings = 0
        self.max_string_index = -1
        self.sheets: dict[str, _Sheet] = {}  # part name → sheet
        self.relations: dict[str, list[dict[str, str]]] = {}  # rels part name → relationships
        self.sheet_refs: list[tuple[str, str]] = []  # (sheet name, relationship id) from workbook.xml

    # -- the whole file --

    def run(self) -> None:
        """Scan every XML part: the workbook and its relationships first, for the sheet names."""
        names = self.archive.namelist()
        if len(names) > MAX_PARTS:
            self.refuse(f"more than {MAX_PARTS:,} parts; refused (expected a data file)")
        for required in ("[Content_Types].xml", "xl/workbook.xml"):
            if required not in names:
                self.refuse(f"damaged workbook: the part {required!r} is missing "
                            "(expected a file saved by Excel as .xlsx)")
        first = ["xl/_rels/workbook.xml.rels", "xl/workbook.xml"]
        for name in first:
            if name in names:
                self.scan_part(name)
        self.name_sheets()
        for name in sorted(n for n in names if n.endswith((".xml", ".rels")) and n not in first):
            self.scan_part(name)
        if self.max_string_index >= self.strings:
            self.refuse(f"a cell refers to shared string {self.max_string_index + 1:,}, but the workbook "
                        f"holds {self.strings:,} (expected a file saved by Excel as .xlsx)")
        if self.cell_problems > MAX_CELL_PROBLEMS:
            self.problems.append(Problem(self.path, WHOLE_FILE, "", f"… and {self.cell_problems - MAX_CELL_PROBLEMS:,} "
                                                                    "more cells that cannot be read"))
        self.warn_external_links()

    def name_sheets(self) -> None:
        """Map each sheet of workbook.xml to its part, refusing a sheet whose part is missing
        (openpyxl would skip it without a word)."""
        relations = {r.get("Id"): r for r in self.relations.get("xl/_rels/workbook.xml.rels", [])}
        if len(self.sheet_refs) > MAX_SHEETS:
            self.refuse(f"more than {MAX_SHEETS:,} sheets; refused (expected a data file)")
        names = set(self.archive.namelist())
        for name, ident in self.sheet_refs:
            relation = relations.get(ident)
            target = _part_name("xl/workbook.xml", relation.get("Target", "")) if relation else ""
            if target not in names:
                self.refuse(f"damaged workbook: the part of sheet {quoted(name)} "
                            f"({quoted(target or ident)}) is missing (expected a file saved by Excel as .xlsx)")
            self.sheets.setdefault(target, _Sheet()).name = name

    def warn_external_links(self) -> None:
        """Add a warning for each link to another workbook: its cells hold what was last saved."""
        for part in (n for n in self.archive.namelist() if n.startswith("xl/externalLinks/") and n.endswith(".xml")):
            rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
            targets = [r.get("Target", "") for r in self.relations.get(rels, []) if r.get("TargetMode") == "External"]
            shown = f"to {quoted(targets[0])}" if targets else f"({part})"
            self.problems.append(Problem(self.path, WHOLE_FILE, "", f"the workbook links {shown}: the linked cells "
                                         "are read as last saved in this file, not from that workbook (expected "
                                         "figures typed in, or pasted as values)", WARNING))

    def refuse(self, message: str, where: Location = WHOLE_FILE) -> None:
        """Stop the scan: ``message`` refuses the file."""
        raise _Refused(Problem(self.path, where, "", message))

    def cell_problem(self, sheet: _Sheet, row: int, ref: str, message: str) -> None:
        """Keep a problem with one cell (the first :data:`MAX_CELL_PROBLEMS`; the rest counted)."""
        self.cell_problems += 1
        if self.cell_problems <= MAX_CELL_PROBLEMS:
            self.problems.append(Problem(self.path, Location(sheet=sheet.name, row=row), f"cell {ref}", message))

    # -- one part --

    def scan_part(self, name: str) -> None:
        """Parse one part as a stream, dispatching by its root element."""
        parser = expat.ParserCreate()
        parser.buffer_text = True
        state = _PartState(self, name, parser)

        def no_dtd(*_args: object) -> None:
            # A workbook never carries a DTD; refusing them rules out entity expansion bombs.
            self.refuse(f"the part {quoted(name)} declares a DTD, which Excel never writes; refused")

        parser.StartDoctypeDeclHandler = no_dtd
        parser.EntityDeclHandler = no_dtd
        parser.StartElementHandler = state.start
        parser.EndElementHandler = state.end
        try:
            with self.archive.open(name) as stream:
                while chunk := stream.read(1 << 16):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError as exc:
            self.refuse(f"damaged workbook: the part {quoted(name)} is not well-formed XML "
                        f"({expat.ErrorString(exc.code)} at line {exc.lineno}, column {exc.offset + 1})")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: an encrypted part; NotImplementedError: an unknown compression.
            self.refuse(f"damaged workbook: the part {quoted(name)} cannot be unpacked "
                        f"({quoted(str(exc) or type(exc).__name__)[1:-1]})")


def _part_name(source: str, target: str) -> str:
    """Return the part a relationship of part ``source`` points at (as openpyxl resolves it)."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _local(name: str) -> str:
    """Return an XML name without its prefix (``x:c`` → ``c``; Excel writes none)."""
    return name.rpartition(":")[2]


class _PartState:
    """The expat handlers of one part and what they track.

    Names are taken without namespace processing, which would cost a string per element; a
    worksheet switches the parser to lean handlers of its own (the bulk of a workbook's elements).
    """

    def __init__(self, scan: _XlsxScan, name: str, parser: expat.XMLParserType):
        self.scan = scan
        self.name = name
        self.parser = parser
        self.root: str | None = None
        self.depth = 0
        self.part_elements = 0
        self.sheet = _Sheet()
        self.row = 0  # the current row's number (openpyxl counts rows without a number)
        self.column = 0  # the last cell's column in the current row
        self.cell_type: str | None = None  # the open cell's type (None outside a cell)
        self.formula = False
        self.value: list[str] = []  # text of the open <v>, its first characters only
        self.value_seen = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        scan = self.scan
        scan.elements += 1
        self.part_elements += 1
        if scan.elements > MAX_XML_ELEMENTS:
            scan.refuse(f"more than {MAX_XML_ELEMENTS:,} XML elements; refused (expected a data file)")
        local = _local(tag)
        self.depth += 1
        if self.root is None:
            self.root = local
            if local == "worksheet":
                self.sheet = scan.sheets.setdefault(self.name, self.sheet)
                self.parser.StartElementHandler = self.sheet_start
                self.parser.EndElementHandler = self.sheet_end
        elif self.root == "sst":
            if local == "si" and self.depth == 2:
                scan.strings += 1
                if scan.strings > MAX_SHARED_STRINGS:
                    scan.refuse(f"more than {MAX_SHARED_STRINGS:,} shared strings; refused")
        elif self.part_elements > MAX_PART_ELEMENTS:
            scan.refuse(f"the part {quoted(self.name)} holds more than {MAX_PART_ELEMENTS:,} XML elements; refused")
        elif self.root == "Relationships" and local == "Relationship":
            scan.relations.setdefault(self.name, []).append({_local(k): v for k, v in attrs.items()})
        elif self.root == "workbook" and local == "sheet":
            relation = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            name = attrs.get("name", "")
            if len(name) > 31:  # Excel's limit; a longer one is not from Excel, and would fill every message
                scan.refuse(f"a sheet name longer than 31 characters ({quoted(name)}); refused")
            scan.sheet_refs.append((name, relation))

    def end(self, tag: str) -> None:
        self.depth -= 1

    def where(self, row: int | None = None) -> Location:
        """Return the location of the current sheet (and ``row``)."""
        return Location(sheet=self.sheet.name, row=row)

    def sheet_start(self, tag: str, attrs: dict[str, str]) -> None:
        scan = self.scan
        scan.elements += 1
        if scan.elements > MAX_XML_ELEMENTS:
            scan.refuse(f"more than {MAX_XML_ELEMENTS:,} XML elements; refused (expected a data file)")
        local = tag if ":" not in tag else _local(tag)
        if local == "c":
            self.cell_start(attrs)
        elif self.cell_type is not None:
            if local == "v":
                self.value = []
                self.parser.CharacterDataHandler = self.value_text
            elif local == "f":
                self.formula = True
            elif local == "is":
                self.value_seen = True
        elif local == "row":
            number = attrs.get("r")
            row = self.row + 1 if number is None else (int(number) if number.isdigit() else -1)
            if row <= self.row:
                scan.refuse(f"row {quoted(number)} comes after row {self.row} (expected rows in increasing order, "
                            "as Excel saves them)", self.where())
            if row > MAX_ROWS:
                scan.refuse(f"more than {MAX_ROWS:,} rows; refused", self.where())
            self.row, self.column = row, 0

    def cell_start(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        column = self.column + 1
        if ref is not None:
            match = _CELL_REF.fullmatch(ref)
            if match is None or int(match.group(2)) != self.row:
                self.scan.refuse(f"cell reference {quoted(ref)} in row {self.row} (expected a cell of that row "
                                 f"like B{self.row})", self.where(self.row))
            column = _column_number(match.group(1))  # type: ignore[union-attr]  # refused when None
        if column <= self.column:
            self.scan.refuse(f"cell {quoted(ref)} comes after column {self.column} (expected cells in "
                             "increasing order, as Excel saves them)", self.where(self.row))
        if column > MAX_COLUMNS:
            self.scan.refuse(f"more than {MAX_COLUMNS:,} columns; refused", self.where(self.row))
        # openpyxl pads a row up to its last cell: count what it will hold.
        self.scan.cells += column - self.column
        if self.scan.cells > MAX_CELLS:
            self.scan.refuse(f"more than {MAX_CELLS:,} cells in the file; refused", self.where())
        self.column = column
        self.cell_type = attrs.get("t", "n")
        self.formula = self.value_seen = False

    def value_text(self, data: str) -> None:
        # Only a number's worth is kept: a cell's text may be long, and is judged later.
        if sum(map(len, self.value)) <= _MAX_NUMBER_TEXT:
            self.value.append(data[:_MAX_NUMBER_TEXT + 1])

    def sheet_end(self, tag: str) -> None:
        if self.cell_type is None:
            return
        local = tag if ":" not in tag else _local(tag)
        if local == "v":
            self.parser.CharacterDataHandler = None
            text = "".join(self.value)
            self.value_seen = bool(text)
            if text:
                self.check_value(text)
        elif local == "c":
            if self.formula and not self.value_seen:
                self.sheet.formula_count += 1
                if len(self.sheet.formulas) < 10:
                    self.sheet.formulas.append((self.row, self.ref()))
            self.cell_type = None

    def ref(self) -> str:
        """Return the open cell's reference (``B7``)."""
        return f"{_column_letters(self.column)}{self.row}"

    def check_value(self, text: str) -> None:
        """Record a problem with a stored value openpyxl cannot convert (it would raise)."""
        kind = self.cell_type
        if kind == "n":
            if len(text) > _MAX_NUMBER_TEXT or not _STORED_NUMBER.fullmatch(text):
                self.scan.cell_problem(self.sheet, self.row, self.ref(),
                                       f"expected a number stored in the cell, got {quoted(text)}")
        elif kind == "s":
            if len(text) > 9 or not text.strip().isdigit():
                self.scan.cell_problem(self.sheet, self.row, self.ref(),
                                       f"expected the number of a shared string, got {quoted(text)}")
            elif int(text) > self.scan.max_string_index:
                self.scan.max_string_index = int(text)
        elif kind == "b" and text.strip() not in ("0", "1"):
            self.scan.cell_problem(self.sheet, self.row, self.ref(),
                                   f"expected a true/false cell stored as 1 or 0, got {quoted(text)}")


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xlsx_cell(cell) -> object:
    value = cell.value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        # A cell formatted as a percentage holds 0.85 for 85 %.
        if "%" in (cell.number_format or ""):
            return round(float(value) * 100, 10)
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, raw: bytes) -> tuple[list[Table], list[Problem]]:
    not_xlsx = Problem(path, WHOLE_FILE, "", "not an Excel .xlsx workbook (expected a file saved by Excel as .xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            # The declared sizes bound what unpacking yields: zipfile stops at them.
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED:
                return [], [Problem(path, WHOLE_FILE, "", f"unpacks to {unpacked:,} bytes (expected at most {MAX_UNPACKED:,}); refused")]
            if "xl/workbook.xml" not in archive.namelist():
                return [], [not_xlsx]
            scan = _XlsxScan(path, archive)
            scan.run()
    except _Refused as refused:
        return [], [refused.problem]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        # NotImplementedError: a zip of a version or compression zipfile does not know.
        return [], [not_xlsx]
    if any(p.is_error for p in scan.problems):
        return [], scan.problems
    try:
        tables = _xlsx_tables(path, raw, scan)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 — see below
        # openpyxl raises many kinds of exception on a malformed part; whatever it raises on a
        # file that passed the scan is about that file, so it is the user's to fix, not a crash.
        first_line = next(iter(str(exc).splitlines()), "")
        detail = quoted(f"{type(exc).__name__}: {first_line}")[1:-1]
        return [], [Problem(path, WHOLE_FILE, "", f"unreadable Excel workbook ({detail}); expected a file "
                                                  "saved by Excel as .xlsx")]
    return tables, scan.problems + [
        Problem(path, Location(sheet=sheet.name, row=row), f"cell {ref}",
                "a formula without a saved value: read as blank (expected the value Excel saves with it: "
                "open the file in Excel and save it again)", WARNING)
        for sheet in scan.sheets.values() if any(t.sheet == sheet.name for t in tables)
        for row, ref in sheet.formulas] + [
        Problem(path, Location(sheet=sheet.name), "", f"… and {sheet.formula_count - len(sheet.formulas):,} more "
                "formula cells without a saved value, read as blank", WARNING)
        for sheet in scan.sheets.values() if any(t.sheet == sheet.name for t in tables)
        and sheet.formula_count > len(sheet.formulas)]


def _xlsx_tables(path: Path, raw: bytes, scan: _XlsxScan) -> list[Table]:
    """Return the tables of the sheets to read, every row of each (openpyxl, read-only)."""
    from openpyxl import load_workbook  # the only place that knows the Excel engine

    with warnings.catch_warnings():
        # openpyxl warns about features it drops (data validation, out-of-range dates); the
        # values are what the tool reads, and a stray warning must not reach the user's screen.
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
        try:
            sheets = [(ws, _kind_of_sheet(ws.title)) for ws in workbook.worksheets]
            chosen = [(ws, kind) for ws, kind in sheets if kind]
            if not chosen:
                kind = kind_of_name(path.name)
                chosen = [(workbook.worksheets[0], kind)] if kind and workbook.worksheets else []
            else:
                chosen = [(ws, FORM_COVER) for ws in workbook.worksheets
                          if ws.title.strip().lower() in COVER_SHEET_NAMES] + chosen
            tables = []
            for ws, kind in chosen:
                table = Table(path, kind, ws.title)
                # The stored dimension (<dimension ref="A1:B2"/>) may be stale; read-only mode
                # trusts it and would stop there, so forget it and read every row saved.
                ws.reset_dimensions()
                for number, row in enumerate(ws.iter_rows(), start=1):
                    table.rows.append((number, [_xlsx_cell(c) for c in row]))
                tables.append(table)
            return tables
        finally:
            workbook.close()


# -- folders ------------------------------------------------------------------------------------

def data_folders(plan_dir: Path) -> list[tuple[Period | None, Path]]:
    """Return the period folders under ``plan_dir/data`` (period None for a badly named one)."""
    root = Path(plan_dir) / DATA_DIR
    if not root.is_dir():
        return []
    out: list[tuple[Period | None, Path]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            out.append((Period.parse(folder.name), folder))
        except ValueError:
            out.append((None, folder))
    return out


def _not_a_file(path: Path) -> str | None:
    """Return what an entry is when it is not a regular file (``a folder``), or None for a file."""
    try:
        mode = path.stat().st_mode  # follows a link, to what it points at
    except FileNotFoundError:
        return "a link to a missing file" if path.is_symlink() else "an entry that vanished"
    except OSError as exc:
        return f"an entry that cannot be examined ({(exc.strerror or type(exc).__name__).lower()})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def name_order(path: Path) -> str:
    """Sort key of the entries of one folder: the order of the paths themselves (by name; case
    folded where the file system folds it, as on Windows), without comparing whole paths (a
    national plan's period folder holds thousands of files)."""
    return os.path.normcase(path.name)


def scan_folder(folder: Path) -> tuple[list[Path], list[Problem]]:
    """Return the files of a period folder that the tool reads, in name order, and the problems
    of its other entries.

    Names starting with ``.`` or ``~$`` (Excel's lock files) are skipped silently, and so are the
    period's records (the receipt log, the deadline) and its ``superseded/`` folder. A link that
    leads out of the plan folder, and a data file this user may not read, are errors; anything
    else that is not a ``.csv`` or ``.xlsx`` regular file (a folder, a named pipe, a device, a
    dangling link, another suffix) is ignored with a warning naming it.
    """
    # Period folders sit at <plan>/data/<period> (data_folders).
    plan_root = folder.parent.parent.resolve()
    files: list[Path] = []
    problems: list[Problem] = []
    try:
        entries = sorted(folder.iterdir(), key=name_order)
    except OSError as exc:
        return [], [_unreadable(folder, exc)]
    for path in entries:
        if path.name.startswith((".", "~$")):
            continue
        if path.name in PERIOD_RECORDS and path.is_file() and not path.is_symlink():
            continue
        if path.name == SUPERSEDED_DIR and path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink():
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(plan_root):
                problems.append(Problem(path, WHOLE_FILE, "", f"refused: a link to {quoted(str(target))}, outside "
                                        "the plan folder (expected the file itself: copy it into the folder)"))
                continue
        other = _not_a_file(path)
        if other is not None:
            problems.append(Problem(path, WHOLE_FILE, "", f"ignored: {other}, not a data file", WARNING))
        elif path.suffix.lower() not in READERS:
            hint = ("an old-format Excel file: save it as .xlsx" if path.suffix.lower() == ".xls"
                    else "only .csv and .xlsx files are read")
            problems.append(Problem(path, WHOLE_FILE, "", f"ignored: {hint}", WARNING))
        elif not os.access(path, os.R_OK):
            problems.append(_unreadable(path, PermissionError(13, "Permission denied")))
        else:
            files.append(path)
    return files, problems


def data_files(folder: Path) -> list[Path]:
    """Return the files of a period folder that the tool reads, in name order (:func:`scan_folder`)."""
    return scan_folder(folder)[0]


#: One reader per file suffix, given the file's path and bytes: a data file of another suffix is
#: not read (``scan_folder``).
READERS: dict[str, Callable[[Path, bytes], tuple[list[Table], list[Problem]]]] = {".csv": _read_csv, ".xlsx": _read_xlsx}
