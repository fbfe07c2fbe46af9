"""A period's records beside its data (SPEC §3.4): the receipt log and the recorded deadline.

``data/<period>/receipts.csv`` is append-only: ``review receive`` adds one whole line per file
received, with a single write. A line cut short (the machine stopped mid-write) can only be the
last one; it is ignored with a warning, never read as a receipt. ``data/<period>/deadline.txt``
holds the Gregorian date ``review forms --deadline`` recorded (``2023-08-03``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from review.errors import Location, Problem, WARNING, WHOLE_FILE, quoted
from review.model.data import ACCEPTED, REFUSED, Receipt
from review.model.layout import DEADLINE_FILE, RECEIPTS_FILE

#: The receipt log's columns, in order (its first line).
RECEIPT_COLUMNS = ("received_at", "entity_id", "file", "sha256", "rows", "result", "reason")


#: A receipt log larger than this is not read (about 50,000 receipts; a period has a few dozen).
MAX_LOG_BYTES = 10 * 1024 * 1024


def record_path(folder: Path, name: str) -> Path | None:
    """Return ``folder/name`` when it is a regular file of its own (not a link), else None:
    the period's records are the tool's files, never followed elsewhere."""
    path = Path(folder) / name
    return path if path.is_file() and not path.is_symlink() else None


def receipt_line(receipt: Receipt) -> bytes:
    """Return one receipt as a complete CSV line (UTF-8, ending in a newline)."""
    buffer = io.StringIO()
    stamp = receipt.received.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    csv.writer(buffer, lineterminator="\n").writerow(
        [stamp, receipt.entity, receipt.file, receipt.sha256, receipt.rows, receipt.result,
         " ".join(receipt.reason.split())])
    return buffer.getvalue().encode("utf-8")


def header_line() -> bytes:
    """Return the receipt log's header line."""
    return (",".join(RECEIPT_COLUMNS) + "\n").encode("utf-8")


def parse_time(text: str) -> dt.datetime:
    """Return the UTC time written ``2023-08-01T09:30:00Z``; raise ValueError otherwise."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"expected a UTC time like 2023-08-01T09:30:00Z, got {text!r}")
    return value.astimezone(dt.timezone.utc)


def read_receipts(folder: Path) -> tuple[list[Receipt], list[Problem]]:
    """Return the receipts logged in ``folder/receipts.csv`` (none when absent) and warnings.

    A last line without its newline was cut short by a crash: it is ignored with a warning. A
    line that cannot be read is ignored with a warning naming it: the log only informs the
    timeliness report, it never stops a build.
    """
    path = Path(folder) / RECEIPTS_FILE
    if record_path(folder, RECEIPTS_FILE) is None:
        if path.exists() or path.is_symlink():
            return [], [Problem(path, WHOLE_FILE, "", "receipt log not read: not a regular file (expected the "
                                                      "file 'review receive' writes)", WARNING)]
        return [], []
    try:
        if path.stat().st_size > MAX_LOG_BYTES:
            return [], [Problem(path, WHOLE_FILE, "", f"receipt log not read: larger than {MAX_LOG_BYTES:,} bytes",
                                WARNING)]
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(path, WHOLE_FILE, "", f"receipt log not read: {(exc.strerror or str(exc)).lower()}", WARNING)]
    problems: list[Problem] = []
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] != "":
        problems.append(Problem(path, Location(row=len(lines)), "",
                                "ignored: the last line is incomplete (a receipt cut short while being "
                                "written); the next receipt starts on a new line", WARNING))
    lines = lines[:-1]
    receipts: list[Receipt] = []
    for number, line in enumerate(lines, start=1):
        if number == 1 and line.startswith(RECEIPT_COLUMNS[0]) or not line.strip():
            continue
        try:
            cells = next(csv.reader([line]))
            if len(cells) != len(RECEIPT_COLUMNS) or cells[5] not in (ACCEPTED, REFUSED):
                raise ValueError(f"expected {len(RECEIPT_COLUMNS)} columns "
                                 f"({', '.join(RECEIPT_COLUMNS)}), got {quoted(line)}")
            receipts.append(Receipt(parse_time(cells[0]), cells[1], cells[2], cells[3], int(cells[4]),
                                    cells[5], cells[6]))
        except (ValueError, csv.Error) as exc:
            problems.append(Problem(path, Location(row=number), "", f"ignored: {exc}", WARNING))
    return receipts, problems


def read_deadline(folder: Path) -> tuple[dt.date | None, list[Problem]]:
    """Return the deadline recorded in ``folder/deadline.txt`` (None when absent) and its problems."""
    path = Path(folder) / DEADLINE_FILE
    if record_path(folder, DEADLINE_FILE) is None:
        if path.exists() or path.is_symlink():
            return None, [Problem(path, WHOLE_FILE, "", "not a regular file (expected the date 'review forms "
                                                        "--deadline' writes, e.g. 2024-10-15)")]
        return None, []
    try:
        if path.stat().st_size > 100:
            raise OSError("larger than a date")
        text = path.read_text(encoding="utf-8-sig").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, WHOLE_FILE, "", f"cannot read the deadline: {exc}")]
    try:
        return dt.date.fromisoformat(text), []
    except ValueError:
        return None, [Problem(path, Location(line=1), "",
                              f"expected a Gregorian date like 2024-10-15 (what 'review forms --deadline' "
                              f"writes), got {quoted(text)}")]
