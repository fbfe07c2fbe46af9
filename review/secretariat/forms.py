"""``review forms``: one data-collection workbook per entity for a period (SPEC §5.4, issue 6).

A form is a right-to-left workbook: a cover (entity, focal point, period, deadline, instructions,
and the machine-read plan/period/entity rows of ``intake.data.FORM_METADATA``), then the sheets
the intake reads by name — المؤشرات, المشاريع, التحديات — with bilingual headers
(``value / القيمة``) under title rows. Pre-filled columns (name, unit, target, last value …) are
extra columns the intake ignores; only the fill-in cells are unlocked. A filled form dropped
into ``plans/<plan>/data/<period>/`` is read as is, whatever its file name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from xlsxwriter.worksheet import Worksheet

from review.archive import revisions as archive
from review.errors import InputError, UsageError
from review.evaluate import planned_progress, target_for
from review.intake.data import COLUMNS, FORM_METADATA, data_folders, read_period
from review.model.data import DataSet, ProjectReport
from review.intake.readers import COVER_SHEET_NAMES, SHEET_NAMES
from review.intake.receipts import read_deadline
from review.model.layout import DATA_DIR, DEADLINE_FILE
from review.model.periods import Period, check_year, period_label, quarter_dates
from review.language.phrases import Phrases, load_phrases
from review.model.plan import Entity, Indicator, Plan, Project
from review.intake.plan import load_plan
from review.office.package import source_date_time
from review.office.xlsx import MemoryWorkbook, add_sheet, add_validation, merge_cells, sheet_range, write_cell
from review.secretariat.workbook import HEADER

T = TypeVar("T")

Progress = Callable[[str], None]

FORMS_DIR = "forms"
COVER_SHEET = COVER_SHEET_NAMES[0]
#: Data sheets carry the intake's Arabic kind names, so a form is read whatever its file name.
SHEET = {kind: SHEET_NAMES[kind][1] for kind in ("indicators", "projects", "challenges")}
#: Empty rows offered on the challenges sheet.
CHALLENGE_ROWS = 25
#: Rows above a data sheet's header: a title and a hint.
TITLE_ROWS = 2
#: The header's row as Excel numbers it (from 1), which is also the first data row counted from 0.
HEADER_ROW = TITLE_ROWS + 1

# Cell styles, as XlsxWriter format properties; a cell's format is the union of those it takes.
INPUT = {"bg_color": "#FFF2CC", "pattern": 1, "locked": False}  # a fill-in cell: coloured, unlocked
TITLE = {"bold": True, "font_size": 14}
LABEL = {"bold": True}
METADATA = {"font_color": "#7F7F7F"}
BORDER = {"border": 1, "border_color": "#BFBFBF"}  # thin, light grey
WRAP = {"text_wrap": True, "valign": "top"}
#: Values are checked as numbers between these bounds (any real figure fits).
NUMBER_BOUNDS = (-10**15, 10**15)
SEVERITY_KEYS = ("high", "medium", "low")


def _quiet(message: str) -> None:
    pass


# -- what a form holds (pure) -------------------------------------------------------------------

def _latest_before(data: DataSet, period: Period, lookup: Callable[[Period], T | None]) -> tuple[Period, T] | None:
    """Return (period, ``lookup(period)``) for the latest period before ``period`` where it is not None."""
    for earlier in sorted((p for p in data.periods if p < period), reverse=True):
        found = lookup(earlier)
        if found is not None:
            return earlier, found
    return None


def last_value(data: DataSet, indicator_id: str, period: Period) -> tuple[Period, float] | None:
    """Return (period, value) of the latest value reported for the indicator before ``period``, or None."""
    return _latest_before(data, period, lambda earlier: data.value(indicator_id, earlier))


def last_progress(data: DataSet, project_id: str, period: Period) -> tuple[Period, ProjectReport] | None:
    """Return (period, report) of the project's latest report before ``period``, or None."""
    return _latest_before(data, period, lambda earlier: data.project(project_id, earlier))


def entity_indicators(plan: Plan, entity_id: str) -> list[Indicator]:
    """Return the indicators the entity reports, in plan order."""
    return [i for _, _, i in plan.indicators() if i.entity == entity_id]


def entity_projects(plan: Plan, entity_id: str) -> list[Project]:
    """Return the projects the entity implements, in plan order."""
    return [p for _, p in plan.projects() if p.entity == entity_id]


def entity_sectors(plan: Plan, entity_id: str) -> list[str]:
    """Return the ids of the sectors the entity reports to (leads, or owns an indicator or project).

    Every sector when the entity has none of its own, so its challenges can still be filed.
    """
    own = [s.id for s in plan.sectors
           if s.lead_entity == entity_id or any(i.entity == entity_id for _, i in s.indicators())
           or any(p.entity == entity_id for p in s.projects)]
    return own or [s.id for s in plan.sectors]


def read_history(plan: Plan, plan_dir: Path, period: Period) -> DataSet:
    """Return the data of every period before ``period`` (later folders are not read).

    Raises InputError with the problems of those folders; the period's own folder, where
    submissions are arriving, never stops a form from being written.
    """
    periods, problems = {}, []
    for earlier, folder in data_folders(plan_dir):
        if earlier is None or earlier >= period:
            continue
        try:
            check_year(earlier.year, plan.calendar)
        except ValueError:
            continue  # reported by 'review validate'; no value of that folder can be used
        data, found = read_period(plan, earlier, folder)
        periods[earlier] = data
        problems.extend(found)
    if any(p.is_error for p in problems):
        raise InputError(problems)
    return DataSet(dict(sorted(periods.items())), problems)


# -- writing the workbook ----------------------------------------------------------------------

def _bilingual(phrases: Phrases, key: str) -> str:
    return f"{phrases.with_lang('en')(key)} / {phrases.with_lang('ar')(key)}"


def _column(kind: str, column: str) -> str:
    """Return a header the intake reads as ``column``: ``value / القيمة``."""
    return f"{column} / {COLUMNS[kind][column][0]}"


def _number_format(value: float | None, decimals: int | None = None) -> str:
    if decimals is not None:
        return "#,##0" + ("." + "0" * decimals if decimals else "")
    if value is None or float(value).is_integer():
        return "#,##0"
    return "#,##0.0##"


def _new_sheet(book: MemoryWorkbook, title: str, rtl: bool) -> Worksheet:
    sheet = add_sheet(book, title, rtl)
    # Locked cells stay selectable; columns and rows may be resized, and objects and scenarios
    # (there are none) are not guarded; nothing else changes.
    sheet.protect("", {"objects": True, "scenarios": True, "format_columns": True, "format_rows": True})
    return sheet


def _data_sheet(book: MemoryWorkbook, kind: str, title: str, hint: str, headers: Sequence[str],
                widths: Sequence[int], rtl: bool, frozen_columns: int = 2) -> Worksheet:
    """Return a data sheet of ``kind``: the title and hint rows, the header row, widths, frozen panes.

    The panes freeze the rows above the data and ``frozen_columns`` columns.
    """
    sheet = _new_sheet(book, SHEET[kind], rtl)
    last = len(headers) - 1
    merge_cells(sheet, 0, 0, 0, last, title, book.style(TITLE))
    merge_cells(sheet, 1, 0, 1, last, hint, book.style(WRAP))
    sheet.set_row(1, 30)
    header = book.style({**HEADER, **BORDER})
    for column, text in enumerate(headers):
        write_cell(sheet, TITLE_ROWS, column, text, header)
    sheet.set_row(TITLE_ROWS, 45)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(HEADER_ROW, frozen_columns)
    return sheet


def _write_row(book: MemoryWorkbook, sheet: Worksheet, row: int, values: Sequence[object], inputs: Sequence[int],
               number_formats: dict[int, str] | None = None) -> None:
    """Write a bordered, wrapped data row; ``inputs`` are its fill-in columns.

    ``number_formats`` maps a column to its number format. Rows and columns count from 0.
    """
    for column, value in enumerate(values):
        style = {**BORDER, **WRAP, **(INPUT if column in inputs else {})}
        if number_formats and column in number_formats:
            style["num_format"] = number_formats[column]
        write_cell(sheet, row, column, value, book.style(style))


def _validation(sheet: Worksheet, phrases: Phrases, kind: str, column: int, rows: tuple[int, int],
                prompt: str, error: str, low: int | None = None, high: int | None = None,
                source: str | None = None) -> None:
    """Validate column ``column`` (from 0) over ``rows`` (first and last, from 0): a list or a number."""
    if kind == "list":
        title = phrases("forms.list_title")
        rule: dict[str, Any] = {"validate": "list", "source": source}
    else:
        title = phrases("forms.number_title")
        rule = ({"validate": "decimal", "criteria": "between", "minimum": low, "maximum": high}
                if high is not None else {"validate": "decimal", "criteria": ">=", "value": low})
    # A warning, not a stop: Excel stores Arabic-Indic digits (٧٥) and some pasted figures as
    # text, which a stop rule would refuse although the intake reads them (SPEC §3.3).
    rule |= {"error_type": "warning", "ignore_blank": True, "show_input": True, "show_error": True,
             "input_title": title, "input_message": prompt, "error_title": title, "error_message": error}
    add_validation(sheet, rows[0], column, rows[1], column, rule)


def _cover(book: MemoryWorkbook, plan: Plan, entity: Entity, period: Period, deadline: dt.date | None,
           counts: tuple[int, int], phrases: Phrases, rtl: bool) -> None:
    t, lang = phrases, phrases.lang
    sheet = _new_sheet(book, COVER_SHEET, rtl)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 90)
    start, end = quarter_dates(period, plan.calendar)
    rows: list[tuple[str, str, dict | None]] = [
        (plan.organization.get(lang), "", TITLE),
        (plan.title.get(lang), "", LABEL),
        (t("forms.title"), "", TITLE),
        ("", "", None),
        (t("forms.entity"), entity.name.get(lang), LABEL),
        (t("forms.focal_point"), entity.focal_point or "—", LABEL),
        (t("forms.email"), entity.email or "—", LABEL),
        (t("forms.period"), f"{period_label(period, plan.calendar, lang)} — "
                            f"{t('forms.dates', start=start.isoformat(), end=end.isoformat())}", LABEL),
        (t("forms.deadline"), deadline.isoformat() if deadline else t("forms.no_deadline"), LABEL),
        (t("forms.counts"), t("forms.counts_value", indicators=counts[0], projects=counts[1]), LABEL),
        ("", "", None),
        (t("forms.instructions"), "", TITLE),
    ]
    rows += [(f"{n}.", t(f"forms.instruction_{n}"), None) for n in range(1, 8)]
    rows += [("", "", None), (t("forms.metadata"), "", LABEL)]
    for row, (label, value, font) in enumerate(rows):
        label_format = book.style({**WRAP, **(font or {})})
        if label and not value and font is not None:
            merge_cells(sheet, row, 0, row, 1, label, label_format)
            continue
        write_cell(sheet, row, 0, label, label_format)
        write_cell(sheet, row, 1, value, book.style(WRAP))
    # The intake finds these rows by their key in column A (intake.data.check_form_metadata).
    metadata = book.style(METADATA)
    for row, (key, value) in enumerate(zip(FORM_METADATA, (plan.id, str(period), entity.id)), start=len(rows)):
        write_cell(sheet, row, 0, f"{key} / {FORM_METADATA[key]}", metadata)
        write_cell(sheet, row, 1, value, metadata)


def _choices(plan: Plan, entity_id: str, phrases: Phrases) -> dict[str, list[str]]:
    """Return the drop-down choices of the challenges sheet: choice name → values."""
    lang = phrases.lang
    return {
        "sector": entity_sectors(plan, entity_id),
        "category": [label.get(lang) or key for key, label in plan.challenge_categories.items()],
        "severity": [phrases(f"severity.{key}") for key in SEVERITY_KEYS],
        "indicator": [i.id for i in entity_indicators(plan, entity_id)],
        "project": [p.id for p in entity_projects(plan, entity_id)],
    }


def _list_ranges(title: str, choices: dict[str, list[str]]) -> dict[str, str]:
    """Return choice name → the range of its values on the lists sheet ``title`` (names in row 1)."""
    return {name: sheet_range(title, 1, column, len(values), column)
            for column, (name, values) in enumerate(choices.items()) if values}


def _lists_sheet(book: MemoryWorkbook, title: str, choices: dict[str, list[str]], rtl: bool) -> None:
    """Add the hidden sheet of drop-down choices: a column per choice, its name on top."""
    sheet = _new_sheet(book, title, rtl)
    sheet.hide()
    for column, (name, values) in enumerate(choices.items()):
        for row, value in enumerate([name, *values]):
            write_cell(sheet, row, column, value)


def _indicators(book: MemoryWorkbook, plan: Plan, data: DataSet, entity: Entity, period: Period,
                phrases: Phrases, title_values: dict, rtl: bool) -> None:
    t, lang, kind = phrases, phrases.lang, "indicators"
    headers = [_column(kind, "indicator_id"), _bilingual(t, "forms.name"), _bilingual(t, "forms.unit"),
               _bilingual(t, "forms.direction"), _bilingual(t, "forms.measure"), _bilingual(t, "forms.target"),
               _bilingual(t, "forms.last_value"), _bilingual(t, "forms.last_period"),
               _column(kind, "value"), _column(kind, "note"), _column(kind, "source")]
    inputs = (8, 9, 10)  # I, J, K: value, note, source
    sheet = _data_sheet(book, kind, t("forms.indicators_title", **title_values), t("forms.indicators_hint"),
                        headers, (12, 48, 12, 16, 22, 16, 16, 14, 16, 30, 24), rtl)
    indicators = entity_indicators(plan, entity.id)
    for row, indicator in enumerate(indicators, start=HEADER_ROW):
        target = target_for(indicator, period)
        last = last_value(data, indicator.id, period)
        _write_row(book, sheet, row,
                   [indicator.id, indicator.name.get(lang), indicator.unit.get(lang).strip() if indicator.unit else "",
                    t(f"forms.{indicator.direction}"), t(f"forms.{indicator.measure}"), target,
                    last[1] if last else None, str(last[0]) if last else None, None, None, None],
                   inputs, {5: _number_format(target, indicator.decimals),
                            6: _number_format(last[1] if last else None, indicator.decimals)})
    if indicators:
        _validation(sheet, t, "decimal", 8, (HEADER_ROW, HEADER_ROW + len(indicators) - 1),
                    t("forms.number_prompt"), t("forms.number_error"), *NUMBER_BOUNDS)


def _projects(book: MemoryWorkbook, plan: Plan, data: DataSet, entity: Entity, period: Period,
              phrases: Phrases, title_values: dict, rtl: bool) -> None:
    t, lang, kind = phrases, phrases.lang, "projects"
    budget = _bilingual(t, "forms.budget") + (f" ({plan.currency})" if plan.currency else "")
    headers = [_column(kind, "project_id"), _bilingual(t, "forms.name"), budget, _bilingual(t, "forms.planned"),
               _bilingual(t, "forms.last_progress"), _bilingual(t, "forms.last_spent"),
               _column(kind, "progress"), _column(kind, "spent"), _column(kind, "note")]
    inputs = (6, 7, 8)  # G, H, I: progress, spent, note
    sheet = _data_sheet(book, kind, t("forms.projects_title", **title_values), t("forms.projects_hint"),
                        headers, (12, 48, 18, 16, 16, 18, 16, 18, 30), rtl)
    projects = entity_projects(plan, entity.id)
    for row, project in enumerate(projects, start=HEADER_ROW):
        last = last_progress(data, project.id, period)
        planned = planned_progress(project, period)
        progress, spent = (last[1].progress, last[1].spent) if last else (None, None)
        _write_row(book, sheet, row, [project.id, project.name.get(lang), project.budget, planned, progress, spent,
                                      None, None, None],
                   inputs, {2: _number_format(project.budget), 3: _number_format(planned),
                            4: _number_format(progress), 5: _number_format(spent)})
    if projects:
        rows = (HEADER_ROW, HEADER_ROW + len(projects) - 1)
        _validation(sheet, t, "decimal", 6, rows, t("forms.progress_prompt"), t("forms.progress_error"), 0, 100)
        _validation(sheet, t, "decimal", 7, rows, t("forms.spent_prompt"), t("forms.number_error"), 0)


def _challenges(book: MemoryWorkbook, plan: Plan, entity: Entity, phrases: Phrases, title_values: dict,
                ranges: dict[str, str], rtl: bool) -> None:
    t, lang, kind = phrases, phrases.lang, "challenges"
    columns = ("sector_id", "description", "indicator_id", "project_id", "category", "cause", "remedy",
               "severity", "support_needed", "reply")
    sectors = "، ".join(f"{s} = {plan.sector_by_id[s].name.get(lang)}" for s in entity_sectors(plan, entity.id))
    sheet = _data_sheet(book, kind, t("forms.challenges_title", **title_values),
                        t("forms.challenges_hint", sectors=sectors), [_column(kind, c) for c in columns],
                        (16, 44, 14, 14, 18, 36, 36, 14, 30, 36), rtl, frozen_columns=0)
    rows = (HEADER_ROW, HEADER_ROW + CHALLENGE_ROWS - 1)
    for row in range(rows[0], rows[1] + 1):
        _write_row(book, sheet, row, [None] * len(columns), range(len(columns)))
    for name, column in (("sector", 0), ("indicator", 2), ("project", 3), ("category", 4), ("severity", 7)):
        if name in ranges:
            _validation(sheet, t, "list", column, rows, t("forms.list_title"), t("forms.list_error"),
                        source=ranges[name])


def form_workbook(plan: Plan, data: DataSet, entity: Entity, period: Period, deadline: dt.date | None,
                  phrases: Phrases) -> bytes:
    """Return the bytes of ``entity``'s form for ``period`` (deterministic, strict-clean .xlsx).

    ``data`` supplies the last reported values (periods before ``period``); ``deadline`` None
    prints «set by the executive office».
    """
    rtl = phrases.lang == "ar"
    label = period_label(period, plan.calendar, phrases.lang)
    book = MemoryWorkbook(f"{phrases('forms.title')} — {entity.name.get(phrases.lang)} — {label}",
                          dt.datetime(*source_date_time()))
    counts = (len(entity_indicators(plan, entity.id)), len(entity_projects(plan, entity.id)))
    _cover(book, plan, entity, period, deadline, counts, phrases, rtl)
    title_values = {"entity": entity.name.get(phrases.lang), "period": label}
    _indicators(book, plan, data, entity, period, phrases, title_values, rtl)
    _projects(book, plan, data, entity, period, phrases, title_values, rtl)
    choices, lists_title = _choices(plan, entity.id, phrases), phrases("forms.lists_sheet")
    _challenges(book, plan, entity, phrases, title_values, _list_ranges(lists_title, choices), rtl)
    # The hidden lists sheet goes last so the challenges sheet keeps its place among the visible ones.
    _lists_sheet(book, lists_title, choices, rtl)
    return book.to_bytes()


def write_forms(plan_dir: Path, period: Period, entities: Sequence[str], out_root: Path,
                deadline: dt.date | None = None, progress: Progress = _quiet) -> list[Path]:
    """Write one form per entity (all when ``entities`` is empty) into ``OUT/<plan>/<period>/forms/``.

    ``deadline`` (Gregorian) is printed on the forms and recorded in ``data/<period>/deadline.txt``;
    None prints the plan's deadline for the period, else the recorded one. A deadline that differs
    from the plan's is a UsageError. Returns the paths written, in plan order. Forms of other entities already in the folder are
    kept. Raises InputError (invalid plan or earlier data) or UsageError (unknown entity id,
    period outside the plan's calendar, an ``out_root`` that cannot be a folder); nothing is
    written then.
    """
    archive.check_out_root(out_root)
    plan = load_plan(plan_dir)
    try:
        check_year(period.year, plan.calendar)
    except ValueError as exc:
        raise UsageError(f"--period {period}: {exc} (the plan's calendar is {plan.calendar})")
    unknown = [e for e in entities if e not in plan.entity_by_id]
    if unknown:
        raise UsageError(f"--entity: unknown entity id {unknown[0]!r} "
                         f"(expected one of {', '.join(plan.entity_by_id)})")
    chosen = [e for e in plan.entities if not entities or e.id in entities]
    # The period's deadline (issue 17): the plan's, else one recorded by an earlier --deadline.
    planned = plan.deadline(period)
    period_folder = Path(plan_dir) / DATA_DIR / str(period)
    if deadline is not None and planned is not None and deadline != planned:
        raise UsageError(f"--deadline {deadline.isoformat()}: the plan sets {period}'s deadline to "
                         f"{plan.deadlines[period]} ({planned.isoformat()}); change 'deadlines' in the plan "
                         "or leave out --deadline")
    record = deadline is not None and planned is None
    if deadline is None:
        deadline = planned or read_deadline(period_folder)[0]
    progress(f"Reading the data of {plan_dir} before {period}")
    data = read_history(plan, plan_dir, period)
    phrases = load_phrases(lang=plan.language)
    folder = archive.period_folder(out_root, plan.id, period) / FORMS_DIR
    files: dict[str, bytes] = {}
    if folder.is_dir():
        names = {f"{e.id}.xlsx" for e in chosen}
        files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.xlsx")) if p.name not in names}
    for entity in chosen:
        progress(f"Writing the form of {entity.id}")
        files[f"{entity.id}.xlsx"] = form_workbook(plan, data, entity, period, deadline, phrases)
    archive.publish(folder, files)
    if record and deadline is not None:
        archive.replace_file(period_folder / DEADLINE_FILE, f"{deadline.isoformat()}\n".encode("utf-8"))
    return [folder / f"{e.id}.xlsx" for e in chosen]
