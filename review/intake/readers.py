"""Readers: one per file suffix, each turning a data file into tables of raw cells.

Only this module knows CSV dialects, text encodings and Excel. A reader never judges the
content; it returns :class:`Table` objects (rows of raw cells with their 1-based row numbers) and
problems about the file itself (empty, too large, wrong encoding, not an Excel file).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from review.errors import Location, Problem, WARNING, WHOLE_FILE
from review.model.layout import DATA_DIR
from review.model.periods import Period

#: Files larger than this are refused unread (a national plan's quarter is far below 1 MB).
MAX_BYTES = 10 * 1024 * 1024
#: An .xlsx whose parts unpack to more than this is refused (zip bomb).
MAX_UNPACKED = 200 * 1024 * 1024
#: Rows read from one table; anything beyond is refused.
MAX_ROWS = 100_000

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
    """Return the tables of one data file and the problems of the file itself."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [Problem(path, WHOLE_FILE, "", f"cannot read the file ({exc.strerror})")]
    if size == 0:
        return [], [Problem(path, WHOLE_FILE, "", "the file is empty (0 bytes); expected a header row and data rows")]
    if size > MAX_BYTES:
        return [], [Problem(path, WHOLE_FILE, "", f"file too large ({size:,} bytes; expected at most {MAX_BYTES:,})")]
    return READERS[path.suffix.lower()](path)


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


def _read_csv(path: Path) -> tuple[list[Table], list[Problem]]:
    kind = kind_of_name(path.name)
    text, problems = _decode(path, path.read_bytes())
    if text is None:
        return [], problems
    if not text.strip():
        return [], problems + [Problem(path, WHOLE_FILE, "", "the file holds no rows; expected a header row and data rows")]
    first_line = text.split("\n", 1)[0]
    # Arabic Excel sometimes saves with ';' or tabs; pick the delimiter the first line uses most.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    table = Table(path, kind or "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            if len(table.rows) >= MAX_ROWS:
                return [], problems + [Problem(path, WHOLE_FILE, "", f"more than {MAX_ROWS:,} rows; refused")]
            table.rows.append((start, [c for c in cells]))
            start = reader.line_num + 1
    except csv.Error as exc:
        return [], problems + [Problem(path, Location(row=reader.line_num), "", f"unreadable CSV ({exc})")]
    return [table], problems


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


def _read_xlsx(path: Path) -> tuple[list[Table], list[Problem]]:
    from openpyxl import load_workbook  # the only place that knows the Excel engine
    from openpyxl.utils.exceptions import InvalidFileException

    not_xlsx = Problem(path, WHOLE_FILE, "", "not an Excel .xlsx workbook (expected a file saved by Excel as .xlsx)")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED:
                return [], [Problem(path, WHOLE_FILE, "", f"unpacks to {unpacked:,} bytes (expected at most {MAX_UNPACKED:,}); refused")]
            if "xl/workbook.xml" not in archive.namelist():
                return [], [not_xlsx]
    except (zipfile.BadZipFile, OSError):
        return [], [not_xlsx]
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError, zipfile.BadZipFile, TypeError):
        return [], [not_xlsx]
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
            for number, row in enumerate(ws.iter_rows(), start=1):
                if number > MAX_ROWS:
                    return [], [Problem(path, Location(sheet=ws.title), "", f"more than {MAX_ROWS:,} rows; refused")]
                table.rows.append((number, [_xlsx_cell(c) for c in row]))
            tables.append(table)
        return tables, []
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        return [], [Problem(path, WHOLE_FILE, "", f"unreadable Excel workbook ({exc})")]
    finally:
        workbook.close()


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


def data_files(folder: Path) -> list[Path]:
    """Return the files of a period folder that the tool reads, in name order."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in READERS
                  and not p.name.startswith((".", "~$")))


#: One reader per file suffix: a data file of another suffix is not read (``data_files``).
READERS: dict[str, Callable[[Path], tuple[list[Table], list[Problem]]]] = {".csv": _read_csv, ".xlsx": _read_xlsx}
