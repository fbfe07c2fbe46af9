"""User-facing problems and errors.

A :class:`Problem` is one thing wrong with the user's input, located as the user sees it
(file, line or sheet/row, field). Stages collect problems and raise :class:`InputError` with all of
them at once; the command line prints them and exits 2. Internal bugs stay ordinary exceptions.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"

#: At most this many problems are printed per file; the rest are counted (SPEC §7).
MAX_PER_FILE = 20


#: Characters a terminal may act on: C0 controls (tab and line feed too: one problem, one line),
#: DEL and the C1 controls (ESC starts the sequences that recolour or retitle a terminal).
_TERMINAL_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def escaped(text: str) -> str:
    """Return ``text`` with every control character written as its escape (``\\x1b``), so that
    printing it never sends a control sequence to the terminal."""
    return _TERMINAL_CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def display_path(path: Path | str | None) -> str:
    """Return ``path`` relative to the working directory when it lies below it, else as given,
    with control characters escaped (a file may be named ``indicators-\\x1b[31m.csv``)."""
    if path is None:
        return "<input>"
    path = Path(path)
    try:
        shown = Path(os.path.relpath(path)).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:  # another drive on Windows
        shown = str(path)
    return escaped(shown)


@dataclass(frozen=True)
class Location:
    """Where in a file, as the user sees it: a YAML line (and column), or a CSV row, or an Excel
    sheet and row. Rows and lines are 1-based; what is None is not shown.

    ``str()`` gives ``line 42``, ``line 3, column 7``, ``row 7``, ``sheet 'x', row 14`` or
    ``sheet 'x'``.
    """

    line: int | None = None
    column: int | None = None
    sheet: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts)

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.line, self.column, self.sheet, self.row))


#: The location of a problem with a whole file.
WHOLE_FILE = Location()


def at_line(line: int | None) -> Location:
    """Return the location of a YAML line (``WHOLE_FILE`` when the line is not known)."""
    return Location(line=line) if line else WHOLE_FILE


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, e.g. ``plan.yaml: line 42: sectors[1].id: expected …, got …``.

    ``where`` locates it in the file (:data:`WHOLE_FILE` for a whole-file problem); ``field``
    names the field or column, or is empty.
    """

    file: Path | str | None
    where: Location
    field: str
    message: str
    severity: str = ERROR
    #: Not a problem of its own but this many more errors of ``file``, counted and not worked out
    #: (see :func:`unlisted`); such an entry is never printed, only counted in the summary.
    unlisted: int = 0

    def __str__(self) -> str:
        if self.unlisted:
            return f"{display_path(self.file)}: … and {self.unlisted:,} more"
        parts = [display_path(self.file)]
        if self.where:
            parts.append(str(self.where))
        if self.field:
            parts.append(self.field)
        # The location, field and message may quote the input too (a sheet name, an unknown key).
        text = escaped(": ".join(parts) + ": " + self.message)
        return ("warning: " + text) if self.severity == WARNING else text

    @property
    def is_error(self) -> bool:
        """Return True unless this problem is only a warning."""
        return self.severity == ERROR


def unlisted(file: Path | str | None, count: int) -> Problem:
    """Return the entry standing for ``count`` further errors of ``file`` that were counted but
    not described: a stage works out only the problems that can be shown (``MAX_PER_FILE``)."""
    return Problem(file, WHOLE_FILE, "", "", ERROR, unlisted=count)


#: Messages quote at most this many characters of what the user wrote.
MAX_QUOTED = 200


def quoted(value: object) -> str:
    """Return ``repr(value)`` for a message, cut to :data:`MAX_QUOTED` characters with
    ``… (N characters)`` after it when longer, so a message never echoes a whole hostile input."""
    text = repr(value)
    if len(text) <= MAX_QUOTED:
        return text
    size = len(value) if isinstance(value, (str, bytes)) else len(text)
    return f"{text[:MAX_QUOTED]}… ({size:,} characters)"


def expected(what: str, got: object) -> str:
    """Return the message tail ``expected <what>, got <quoted(got)>`` used across the project."""
    return f"expected {what}, got {quoted(got)}"


class ReviewError(Exception):
    """Base of the errors the command line reports without a traceback."""

    exit_code = 2


class InputError(ReviewError):
    """Invalid user input: carries every problem found (errors and warnings)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


class UsageError(ReviewError):
    """A command used wrongly (bad option value, missing folder)."""


def format_problems(problems: list[Problem], limit: int = MAX_PER_FILE) -> str:
    """Return the problems as lines, at most ``limit`` per file, then a one-line summary.

    Errors come before warnings; within each, the order is the order found (file by file).
    """
    lines: list[str] = []
    shown: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    # Problems share a few files: each file's name is worked out once, not once per problem.
    names: dict[Path | str | None, str] = {}
    for problem in problems:
        if problem.file not in names:
            names[problem.file] = display_path(problem.file)
    ordered = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    for problem in ordered:
        key = names[problem.file]
        if problem.unlisted:
            hidden[key] += problem.unlisted
        elif shown[key] < limit:
            lines.append(str(problem))
            shown[key] += 1
        else:
            hidden[key] += 1
    for key, count in hidden.items():
        lines.append(f"{key}: … and {count:,} more")
    errors = [p for p in problems if p.is_error]
    if errors:
        files = len({names[p.file] for p in errors})
        total = sum(p.unlisted or 1 for p in errors)
        noun = "problem" if total == 1 else "problems"
        lines.append(f"Stopped: {total:,} {noun} in {files} file{'s' if files != 1 else ''}.")
    return "\n".join(lines)
