"""Quarterly data: every ``data/<period>/`` folder read, checked against the plan and merged.

SPEC §3.3. Files are picked by name prefix (``indicators*.csv``, ``projects-MOH.xlsx``) or, for
Excel, by sheet name; each kind's columns may be written in English, Arabic or both
(``value / القيمة``). Every problem of every file is collected before stopping.

Every problem with a row names what the row is about — ``indicator H1 (sector health): …`` for an
id of the plan, ``recommendation 'R-01' (sector health): …`` — after the file, row and column.
Text cells are checked as the plan's texts are (``review.model.limits``): a control character or
more than an Excel cell holds refuses the row, located.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from review.errors import InputError, Location, Problem, WARNING, WHOLE_FILE, quoted
from review.model.limits import MAX_CELL_CHARS, control_character
from review.model.data import Challenge, DataSet, Origin, PeriodData, ProjectReport, RecommendationRow, Reported
from review.model.periods import Period, check_year
from review.model.plan import Plan
from review.intake.numbers import parse_number
from review.intake.receipts import read_deadline, read_receipts, record_path
from review.model.layout import PERIOD_RECORDS
from review.intake.readers import FORM_COVER, KINDS, Table, data_files, data_folders, name_order, read_file, scan_folder


#: Column → Arabic aliases (SPEC §3.3). The English name is always accepted too.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "indicators": {"indicator_id": ("رمز المؤشر",), "value": ("القيمة",),
                   "note": ("ملاحظات", "ملاحظة"), "source": ("المصدر",)},
    "projects": {"project_id": ("رمز المشروع",), "progress": ("نسبة الإنجاز",),
                 "spent": ("المصروف",), "note": ("ملاحظات", "ملاحظة")},
    "challenges": {"sector_id": ("رمز القطاع",), "description": ("الوصف",), "entity_id": ("رمز الجهة",),
                   "indicator_id": ("رمز المؤشر",), "project_id": ("رمز المشروع",), "category": ("الفئة",),
                   "cause": ("سبب التعثر",), "remedy": ("المعالجة المقترحة",),
                   "severity": ("درجة الأهمية",), "support_needed": ("الدعم المطلوب",),
                   "reply": ("الرد التوضيحي", "رد الجهة")},
    "recommendations": {"id": ("رقم التوصية",), "text": ("نص التوصية",), "status": ("الحالة",),
                        "sector_id": ("رمز القطاع",), "owner_entity": ("الجهة المسؤولة",),
                        "due_period": ("موعد الإنجاز",), "note": ("ملاحظات", "ملاحظة")},
}
REQUIRED = {"indicators": ("indicator_id", "value"), "projects": ("project_id", "progress"),
            "challenges": ("sector_id", "description"), "recommendations": ("id",)}
#: Rows searched for the header (forms carry title rows above it).
HEADER_SEARCH_ROWS = 30

SEVERITIES = {"high": ("عالية", "مرتفعة", "عالي"), "medium": ("متوسطة", "متوسط"), "low": ("منخفضة", "منخفض")}
REC_STATUSES = {"not_started": ("لم يبدأ", "لم تبدأ", "لم يبدأ التنفيذ"), "in_progress": ("قيد التنفيذ", "جاري التنفيذ"),
                "done": ("منفذ", "منفذة", "تم التنفيذ", "منجزة"), "dropped": ("ملغى", "ملغاة", "أسقطت")}


def _normal(text: object) -> str:
    return str(text).strip().rstrip("*").strip().casefold() if text is not None else ""


def _header_map(kind: str, cells: list[object]) -> dict[str, int]:
    """Return column → index for the cells of a candidate header row."""
    names = {}
    for column, aliases in COLUMNS[kind].items():
        for option in (column, *aliases):
            names[_normal(option)] = column
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = _normal(cell)
        if not text:
            continue
        for part in [text, *(p.strip() for p in text.split("/"))]:
            known = names.get(part)
            if known and known not in found:
                found[known] = index
                break
    return found


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


class _PeriodReader:
    """Reads one period folder against the plan, collecting problems."""

    def __init__(self, plan: Plan, period: Period, folder: Path):
        self.plan = plan
        self.data = PeriodData(period, folder)
        self.problems: list[Problem] = []
        self.categories = self._category_lookup()
        #: How the problems of the row being read start (``_subject_of``).
        self.subject = ""
        #: The files of ``data.files``, to ask in constant time (a period holds hundreds).
        self.files: set[Path] = set()

    def _category_lookup(self) -> dict[str, str]:
        lookup = {}
        for key, label in self.plan.challenge_categories.items():
            for option in (key, label.ar, label.en):
                if option:
                    lookup[_normal(option)] = key
        return lookup

    def problem(self, table: Table, row: int, column: str, message: str, severity: str = "error") -> None:
        """Record a problem with a cell of the row being read, naming what the row is about."""
        self.problems.append(Problem(table.file, table.where(row), f"column {quoted(column)}" if column else "",
                                     self.subject + message, severity))

    def _subject_of(self, kind: str, row: dict[str, object]) -> str:
        """Return what a row is about, as its messages start: ``indicator H1 (sector health): ``;
        empty when its id is empty or not the plan's (the message about that id names it)."""
        if kind in ("indicators", "projects"):
            ident = _text(row[f"{kind[:-1]}_id"])
            index = self.plan.indicator_index if kind == "indicators" else self.plan.project_index
            entry = index.get(ident)
            return f"{kind[:-1]} {ident} (sector {entry[0].id}): " if entry else ""
        sector = _text(row.get("sector_id"))
        in_sector = f" (sector {sector})" if sector in self.plan.sector_by_id else ""
        if kind == "challenges":
            about = [f"sector {sector}"] if in_sector else []
            about += [f"{what} {_text(row.get(column))}" for what, column, known in
                      (("indicator", "indicator_id", self.plan.indicator_index),
                       ("project", "project_id", self.plan.project_index)) if _text(row.get(column)) in known]
            return f"challenge ({', '.join(about)}): " if about else ""
        ident = _text(row["id"])
        return f"recommendation {quoted(ident)}{in_sector}: " if ident else ""

    def _bad_texts(self, table: Table, number: int, row: dict[str, object], shown: dict[str, str]) -> bool:
        """Record every text cell of the row that no pack or workbook can hold (a control
        character, more than an Excel cell holds); return True when there is one."""
        bad = False
        for column, cell in row.items():
            if not isinstance(cell, str):
                continue
            found = control_character(cell)
            if found is not None:
                self.problem(table, number, shown.get(column, column),
                             f"expected text without control characters, got {found} in {quoted(cell)}")
                bad = True
            elif len(cell) > MAX_CELL_CHARS:
                self.problem(table, number, shown.get(column, column),
                             f"expected at most {MAX_CELL_CHARS:,} characters (what an Excel cell holds), "
                             f"got {len(cell):,}")
                bad = True
        return bad

    def read(self, table: Table) -> None:
        header_row, columns, headers = None, {}, []
        required = REQUIRED[table.kind]
        for number, cells in table.rows[:HEADER_SEARCH_ROWS]:
            found = _header_map(table.kind, cells)
            if all(c in found for c in required):
                header_row, columns, headers = number, found, cells
                break
        if header_row is None:
            wanted = ", ".join(f"{c!r} ({COLUMNS[table.kind][c][0]})" for c in required)
            where = Location(sheet=table.sheet) if table.sheet else WHOLE_FILE
            self.problems.append(Problem(table.file, where, "",
                                         f"no header row with the columns {wanted} in the first "
                                         f"{HEADER_SEARCH_ROWS} rows (expected {table.kind} data)"))
            return
        if table.file not in self.files:
            self.files.add(table.file)
            self.data.files.append(table.file)
        shown = {c: _text(headers[i]) or c for c, i in columns.items()}
        read_row = {"indicators": self._indicators, "projects": self._projects,
                    "challenges": self._challenges, "recommendations": self._recommendations}[table.kind]
        for number, cells in table.rows:
            if number <= header_row or all(_text(c) == "" for c in cells):
                continue
            row = {c: (cells[i] if i < len(cells) else None) for c, i in columns.items()}
            origin = Origin(table.file, table.where(number))
            self.subject = self._subject_of(table.kind, row)
            if not self._bad_texts(table, number, row, shown):
                read_row(table, number, row, shown, origin)
        self.subject = ""

    # -- one method per kind -------------------------------------------------------------

    def _number(self, table, number, row, shown, column) -> tuple[bool, float | None]:
        try:
            return True, parse_number(row.get(column))
        except ValueError as exc:
            self.problem(table, number, shown.get(column, column), str(exc))
            return False, None

    def _known(self, table, number, shown, column, value, known, what) -> bool:
        if value in known:
            return True
        sample = ", ".join(sorted(known)[:3])
        self.problem(table, number, shown.get(column, column),
                     f"unknown {what} id {quoted(value)} (expected one of the plan's {what} ids, e.g. {sample})")
        return False

    def _indicators(self, table, number, row, shown, origin) -> None:
        ident = _text(row["indicator_id"])
        ok, value = self._number(table, number, row, shown, "value")
        if not ident:
            self.problem(table, number, shown["indicator_id"], "expected an indicator id, got an empty cell")
            return
        if not self._known(table, number, shown, "indicator_id", ident, self.plan.indicator_index, "indicator"):
            return
        if not ok or value is None:
            return
        reported = Reported(value, _text(row.get("note")), _text(row.get("source")), origin)
        earlier = self.data.indicators.get(ident)
        if earlier is None:
            self.data.indicators[ident] = reported
        elif earlier.value != value:
            self.problem(table, number, shown["value"],
                         f"reported twice for {self.data.period} with different values: "
                         f"{earlier.value:g} in {earlier.origin} and {value:g} here")

    def _projects(self, table, number, row, shown, origin) -> None:
        ident = _text(row["project_id"])
        ok, progress = self._number(table, number, row, shown, "progress")
        ok_spent, spent = self._number(table, number, row, shown, "spent")
        if not ident:
            self.problem(table, number, shown["project_id"], "expected a project id, got an empty cell")
            return
        if not self._known(table, number, shown, "project_id", ident, self.plan.project_index, "project"):
            return
        if ok and progress is not None and not 0 <= progress <= 100:
            self.problem(table, number, shown["progress"],
                         f"expected a progress between 0 and 100 %, got {quoted(row['progress'])}")
            ok = False
        if ok_spent and spent is not None and spent < 0:
            self.problem(table, number, shown["spent"], f"expected an amount ≥ 0, got {quoted(row['spent'])}")
            ok_spent = False
        if not (ok and ok_spent) or progress is None:
            return
        report = ProjectReport(progress, spent, _text(row.get("note")), origin)
        earlier = self.data.projects.get(ident)
        if earlier is None:
            self.data.projects[ident] = report
        elif (earlier.progress, earlier.spent) != (progress, spent):
            self.problem(table, number, shown["progress"],
                         f"reported twice for {self.data.period} with different values: "
                         f"{earlier.progress:g} % in {earlier.origin} and {progress:g} % here")

    def _challenges(self, table, number, row, shown, origin) -> None:
        sector = _text(row["sector_id"])
        description = _text(row["description"])
        values = {c: _text(row.get(c)) for c in ("entity_id", "indicator_id", "project_id")}
        good = self._known(table, number, shown, "sector_id", sector, self.plan.sector_by_id, "sector")
        reply = _text(row.get("reply"))
        if not description and not reply:  # a row may carry only the entity's reply to earlier findings
            self.problem(table, number, shown["description"], "expected a description of the challenge, got an empty cell")
            good = False
        for column, known, what in (("entity_id", self.plan.entity_by_id, "entity"),
                                    ("indicator_id", self.plan.indicator_index, "indicator"),
                                    ("project_id", self.plan.project_index, "project")):
            if values[column] and not self._known(table, number, shown, column, values[column], known, what):
                good = False
        category = _text(row.get("category"))
        if category:
            key = self.categories.get(_normal(category))
            if key is None:
                self.problem(table, number, shown.get("category", "category"),
                             f"expected one of {', '.join(self.plan.challenge_categories)}, got {quoted(category)}")
                good = False
            category = key or ""
        severity = _text(row.get("severity"))
        if severity:
            key = _lookup(SEVERITIES, severity)
            if key is None:
                self.problem(table, number, shown.get("severity", "severity"),
                             f"expected high, medium or low (عالية، متوسطة، منخفضة), got {quoted(severity)}")
                good = False
            severity = key or ""
        if good:
            self.data.challenges.append(Challenge(
                sector, description, values["entity_id"], values["indicator_id"], values["project_id"],
                category, _text(row.get("cause")), _text(row.get("remedy")), severity,
                _text(row.get("support_needed")), origin, reply))

    def _recommendations(self, table, number, row, shown, origin) -> None:
        ident = _text(row["id"])
        text, status_text = _text(row.get("text")), _text(row.get("status"))
        good = True
        if not ident:
            self.problem(table, number, shown["id"], "expected a recommendation id, got an empty cell")
            good = False
        if not text and not status_text:
            self.problem(table, number, shown.get("text", "text"),
                         "expected the recommendation's text (adoption) or a status (update), got neither")
            good = False
        status = ""
        if status_text:
            status = _lookup(REC_STATUSES, status_text) or ""
            if not status:
                self.problem(table, number, shown.get("status", "status"),
                             f"expected one of {', '.join(REC_STATUSES)}, got {quoted(status_text)}")
                good = False
        sector, owner = _text(row.get("sector_id")), _text(row.get("owner_entity"))
        if sector and not self._known(table, number, shown, "sector_id", sector, self.plan.sector_by_id, "sector"):
            good = False
        if owner and not self._known(table, number, shown, "owner_entity", owner, self.plan.entity_by_id, "entity"):
            good = False
        due = None
        if _text(row.get("due_period")):
            try:
                due = Period.parse(_text(row["due_period"]))
            except ValueError:
                self.problem(table, number, shown["due_period"], "expected a period like '2024-Q3' "
                             f"(quarter 1 to 4), got {quoted(_text(row['due_period']))}")
                good = False
        if good:
            self.data.recommendations.append(RecommendationRow(
                ident, text, status, sector, owner, due, _text(row.get("note")), self.data.period, origin))


def _lookup(options: dict[str, tuple[str, ...]], value: str) -> str | None:
    key = _normal(value)
    for name, aliases in options.items():
        if key == name or key in (_normal(a) for a in aliases):
            return name
    return None


def read_period(plan: Plan, period: Period, folder: Path,
                files: list[Path] | None = None) -> tuple[PeriodData, list[Problem]]:
    """Return one period's data and every problem found in its files (errors and warnings).

    ``files`` reads those files in that order instead of the folder's (``review receive`` checks
    a file with the files in force beside it); the receipt log and deadline are the folder's.
    """
    reader = _PeriodReader(plan, period, folder)
    if files is None:
        files, reader.problems = scan_folder(folder)
    reader.data.receipts, found = read_receipts(folder)
    reader.problems.extend(found)
    reader.data.deadline, found = read_deadline(folder)
    reader.problems.extend(found)
    for path in files:
        tables, problems = read_file(path)
        reader.problems.extend(problems)
        form_entity, refusals = check_form_metadata(plan, period, tables)
        if refusals:
            reader.problems.extend(refusals)
            continue
        tables = [t for t in tables if t.kind != FORM_COVER]
        first_challenge = len(reader.data.challenges)
        if not tables and not problems:
            reader.problems.append(Problem(path, WHOLE_FILE, "", "ignored: the name does not start with "
                                           f"{', '.join(KINDS)} and no sheet is named after one", WARNING))
        for table in tables:
            if not table.kind:
                reader.problems.append(Problem(path, WHOLE_FILE, "", "ignored: the name does not start with "
                                               f"{', '.join(KINDS)}", WARNING))
                continue
            reader.read(table)
        if form_entity:
            # A form's challenges sheet has no entity column: the cover says whose they are.
            reader.data.challenges[first_challenge:] = [
                c if c.entity_id else replace(c, entity_id=form_entity)
                for c in reader.data.challenges[first_challenge:]]
    return reader.data, reader.problems


def _folder_key(folder: Path, contents: Mapping[Path, bytes] | None = None) -> list | None:
    """Return what decides a period folder's reading besides the plan — every entry's name and
    kind, and the SHA-256 of every data file — or None when a file cannot be read now (e.g. one
    Excel holds open): then the folder is read without the cache, which reports it properly.
    ``contents`` holds files' bytes read already (the build's snapshot): those are not read again."""
    contents = contents or {}

    def content(path: Path) -> bytes:
        found = contents.get(path)
        return path.read_bytes() if found is None else found
    try:
        wanted = set(data_files(folder)) | {path for name in PERIOD_RECORDS if (path := record_path(folder, name))}
        return [(path.name, hashlib.sha256(content(path)).hexdigest() if path in wanted
                 else "file" if path.is_file() else "other") for path in sorted(folder.iterdir(), key=name_order)]
    except OSError:
        return None


def check_recommendations(periods: dict[Period, PeriodData]) -> list[Problem]:
    """Return problems across periods: an update before (or without) its adoption, a re-adoption."""
    problems = []
    adopted: dict[str, RecommendationRow] = {}
    for row in (row for period in sorted(periods) for row in periods[period].recommendations):
        if row.text:
            first = adopted.get(row.id)
            if first is not None and first.text != row.text:
                problems.append(Problem(row.origin.file, row.origin.where, "column 'text'",
                                        f"recommendation {row.id!r} adopted again with another text "
                                        f"(first in {first.origin}); give the new one its own id"))
                continue
            adopted.setdefault(row.id, row)
        elif row.id not in adopted:
            problems.append(Problem(row.origin.file, row.origin.where, "column 'id'",
                                    f"status update for recommendation {row.id!r}, which no earlier or "
                                    f"same period adopted (expected the id of an adopted recommendation, "
                                    f"or its text to adopt it here)"))
    return problems


#: How a caller keeps readings between runs: ``remember(key, compute, keep)`` returns ``compute()``,
#: or what it returned before for the same ``key`` (plain values that decide the reading), keeping
#: only values that ``keep`` accepts (the build passes ``review.archive.cache.remembered``).
Remember = Callable[[tuple, Callable[[], Any], Callable[[Any], bool]], Any]


def read_data(plan: Plan, plan_dir: Path, remember: Remember | None = None,
              contents: Mapping[Path, bytes] | None = None) -> DataSet:
    """Return every period's data of the plan, oldest first.

    Raises InputError with every error of every file (warnings ride along in the error, and in
    ``DataSet.warnings`` when there is no error). ``remember`` keeps each folder's reading by
    content, so that only folders whose files changed are read again; ``contents`` (by path: the
    bytes the build has read already for its snapshot) spares reading them again to find out. A
    folder read again is kept only when its files on disk are still those bytes.
    """
    plan_key = hashlib.sha256(plan.model_dump_json().encode("utf-8")).hexdigest() if remember else ""
    periods: dict[Period, PeriodData] = {}
    keys: dict[Period, str] = {}
    problems: list[Problem] = []
    for period, folder in data_folders(plan_dir):
        if period is None:
            problems.append(Problem(folder, WHOLE_FILE, "", f"folder ignored: expected a period name like 2024-Q3, got {folder.name!r}", WARNING))
            continue
        try:
            check_year(period.year, plan.calendar)
        except ValueError as exc:
            problems.append(Problem(folder, WHOLE_FILE, "", f"{exc} (the plan's calendar is {plan.calendar})"))
            continue
        listing = _folder_key(folder, contents) if remember is not None else None
        if remember is None or listing is None:
            data, found = read_period(plan, period, folder)
        else:
            # Kept only when free of errors, and when no file changed while it was read.
            key = (plan_key, str(period), folder.as_posix(), listing)
            data, found = remember(key, lambda: read_period(plan, period, folder),
                                   lambda read: not any(p.is_error for p in read[1])
                                   and _folder_key(folder) == listing)
            keys[period] = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()
        periods[period] = data
        problems.extend(found)
    if not any(p.is_error for p in problems):  # a cross-period rule, checked once all is read
        problems.extend(check_recommendations(periods))
    if any(p.is_error for p in problems):
        raise InputError(problems)
    return DataSet(dict(sorted(periods.items())), problems, keys)


# -- data-collection forms (``review forms``) -------------------------------------------------

#: Rows of a form's cover sheet that identify it: the key (``period / الفترة``) in column A, the
#: value in column B. ``review.secretariat.forms`` writes them; a filled form is checked against them.
FORM_METADATA = {"plan_id": "رمز الخطة", "period": "الفترة", "entity_id": "رمز الجهة"}


def _header_of(table: Table) -> tuple[int, dict[str, int], list[object]] | None:
    """Return (row number, column → index, header cells) of a table's header row, or None."""
    for number, cells in table.rows[:HEADER_SEARCH_ROWS]:
        found = _header_map(table.kind, cells)
        if all(c in found for c in REQUIRED[table.kind]):
            return number, found, cells
    return None


def check_form_metadata(plan: Plan, period: Period, tables: list[Table]) -> tuple[str | None, list[Problem]]:
    """Return a filled form's entity id and the problems that refuse the whole form.

    ``tables`` are one file's tables. A file without a cover sheet carrying the form's metadata
    is not a form: ``(None, [])``. A form is refused when it belongs to another plan or period
    than the folder it sits in, names an unknown entity, or carries rows of another entity
    (an indicator or project it does not report, a challenge naming another entity).
    """
    cover = next((t for t in tables if t.kind == FORM_COVER), None)
    if cover is None:
        return None, []
    found: dict[str, tuple[int, str, str]] = {}
    for number, cells in cover.rows:
        key = _normal(cells[0] if cells else None).split("/")[0].strip()
        if key in FORM_METADATA and key not in found and len(cells) > 1:
            found[key] = (number, _text(cells[1]), _text(cells[0]))
    if not found:
        return None, []
    missing = [f"{k} / {v}" for k, v in FORM_METADATA.items() if k not in found]
    if missing:
        return None, [Problem(cover.file, Location(sheet=cover.sheet), "",
                              f"a form's cover must identify it; missing the row(s) {', '.join(map(repr, missing))} "
                              f"(expected a form written by 'review forms'; write it again)")]
    problems = []

    def refuse(key: str, message: str) -> None:
        number, _, label = found[key]
        problems.append(Problem(cover.file, cover.where(number), label, message))

    plan_id, form_period, entity = (found[k][1] for k in FORM_METADATA)
    if plan_id != plan.id:
        refuse("plan_id", f"expected plan {plan.id!r} (the folder's), got {plan_id!r}: "
                          "this form belongs to another plan")
    if form_period != str(period):
        refuse("period", f"expected period {period} (the folder's), got {form_period!r}: a form is "
                         "read only in the data folder of the period it was written for")
    if entity not in plan.entity_by_id:
        refuse("entity_id", f"unknown entity id {entity!r} (expected one of the plan's entity ids, "
                            f"e.g. {', '.join(sorted(plan.entity_by_id)[:3])})")
    if problems:
        return None, problems
    for table in tables:
        header = _header_of(table) if table.kind in ("indicators", "projects", "challenges") else None
        if header is None:
            continue
        header_row, columns, cells = header
        column = {"indicators": "indicator_id", "projects": "project_id", "challenges": "entity_id"}[table.kind]
        if column not in columns:
            continue
        shown = f"column {_text(cells[columns[column]]) or column!r}"
        for number, row in table.rows:
            if number <= header_row or columns[column] >= len(row):
                continue
            ident = _text(row[columns[column]])
            if table.kind == "indicators":
                owner = plan.indicator_index[ident][2].entity if ident in plan.indicator_index else entity
            elif table.kind == "projects":
                owner = plan.project_index[ident][1].entity if ident in plan.project_index else entity
            else:
                owner = ident or entity
            if owner != entity:
                what = "entity" if table.kind == "challenges" else f"{table.kind[:-1]} {ident!r} belongs to entity"
                problems.append(Problem(table.file, table.where(number), shown,
                                        f"{what} {owner!r}, but this is the form of entity {entity!r} "
                                        f"(expected only {entity}'s rows; {owner} reports in its own form)"))
    return (None, problems) if problems else (entity, [])
