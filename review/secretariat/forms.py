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

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from review.archive import revisions as archive
from review.errors import InputError, UsageError
from review.evaluate import planned_progress, target_for
from review.intake.data import (COLUMNS, FORM_METADATA, DataSet, ProjectReport, data_folders,
                          read_period)
from review.intake.readers import COVER_SHEET_NAMES, SHEET_NAMES
from review.model.periods import Period, check_year, period_label, quarter_dates
from review.language.phrases import Phrases, load_phrases
from review.model.plan import Entity, Indicator, Plan, Project
from review.intake.plan import load_plan
from review.secretariat.workbook import HEADER_FILL, HEADER_FONT, append_row, fixed_properties, put, workbook_bytes
from review.office.package import source_date_time

Progress = Callable[[str], None]

FORMS_DIR = "forms"
COVER_SHEET = COVER_SHEET_NAMES[0]
#: Data sheets carry the intake's Arabic kind names, so a form is read whatever its file name.
SHEET = {kind: SHEET_NAMES[kind][1] for kind in ("indicators", "projects", "challenges")}
#: Empty rows offered on the challenges sheet.
CHALLENGE_ROWS = 25
#: Rows above a data sheet's header: a title and a hint.
TITLE_ROWS = 2
HEADER_ROW = TITLE_ROWS + 1

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)
#: Values are checked as numbers between these bounds (any real figure fits).
NUMBER_BOUNDS = ("-1000000000000000", "1000000000000000")
SEVERITY_KEYS = ("high", "medium", "low")


def _quiet(message: str) -> None:
    pass


# -- what a form holds (pure) -------------------------------------------------------------------

def _latest_before(data: DataSet, period: Period, lookup) -> tuple[Period, object] | None:
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


def _new_sheet(workbook: Workbook, title: str, rtl: bool) -> Worksheet:
    sheet = workbook.create_sheet(title)
    sheet.sheet_view.rightToLeft = rtl
    # Locked cells stay selectable; columns and rows may be resized; nothing else changes.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    return sheet


def _data_sheet(workbook: Workbook, kind: str, title: str, hint: str, headers: Sequence[str],
                widths: Sequence[int], rtl: bool) -> Worksheet:
    sheet = _new_sheet(workbook, SHEET[kind], rtl)
    last = get_column_letter(len(headers))
    append_row(sheet, [title])
    append_row(sheet, [hint])
    append_row(sheet, list(headers))
    sheet["A1"].font = TITLE_FONT
    sheet["A2"].alignment = WRAP
    sheet.merge_cells(f"A1:{last}1")
    sheet.merge_cells(f"A2:{last}2")
    sheet.row_dimensions[2].height = 30
    for cell in sheet[HEADER_ROW]:
        cell.fill, cell.font, cell.border = HEADER_FILL, HEADER_FONT, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[HEADER_ROW].height = 45
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    return sheet


def _style_row(sheet: Worksheet, row: int, inputs: Sequence[int], count: int) -> None:
    for column in range(1, count + 1):
        cell = sheet.cell(row, column)
        cell.border = BORDER
        cell.alignment = WRAP
        if column in inputs:
            cell.fill, cell.protection = INPUT_FILL, UNLOCKED


def _validation(sheet: Worksheet, phrases: Phrases, kind: str, cells: str, prompt: str, error: str,
                low: str | None = None, high: str | None = None, source: str | None = None) -> None:
    if kind == "list":
        rule = DataValidation(type="list", formula1=source, allow_blank=True)
        rule.promptTitle, rule.errorTitle = phrases("forms.list_title"), phrases("forms.list_title")
    else:
        operator = "between" if high is not None else "greaterThanOrEqual"
        rule = DataValidation(type="decimal", operator=operator, formula1=low, formula2=high, allow_blank=True)
        rule.promptTitle, rule.errorTitle = phrases("forms.number_title"), phrases("forms.number_title")
    # A warning, not a stop: Excel stores Arabic-Indic digits (٧٥) and some pasted figures as
    # text, which a stop rule would refuse although the intake reads them (SPEC §3.3).
    rule.errorStyle = "warning"
    rule.prompt, rule.error = prompt, error
    rule.showInputMessage = rule.showErrorMessage = True
    rule.add(cells)
    sheet.add_data_validation(rule)


def _cover(workbook: Workbook, plan: Plan, entity: Entity, period: Period, deadline: dt.date | None,
           counts: tuple[int, int], phrases: Phrases, rtl: bool) -> None:
    t, lang = phrases, phrases.lang
    sheet = _new_sheet(workbook, COVER_SHEET, rtl)
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 90
    start, end = quarter_dates(period, plan.calendar)
    rows: list[tuple[str, str, Font | None]] = [
        (plan.organization.get(lang), "", TITLE_FONT),
        (plan.title.get(lang), "", LABEL_FONT),
        (t("forms.title"), "", TITLE_FONT),
        ("", "", None),
        (t("forms.entity"), entity.name.get(lang), LABEL_FONT),
        (t("forms.focal_point"), entity.focal_point or "—", LABEL_FONT),
        (t("forms.email"), entity.email or "—", LABEL_FONT),
        (t("forms.period"), f"{period_label(period, plan.calendar, lang)} — "
                            f"{t('forms.dates', start=start.isoformat(), end=end.isoformat())}", LABEL_FONT),
        (t("forms.deadline"), deadline.isoformat() if deadline else t("forms.no_deadline"), LABEL_FONT),
        (t("forms.counts"), t("forms.counts_value", indicators=counts[0], projects=counts[1]), LABEL_FONT),
        ("", "", None),
        (t("forms.instructions"), "", TITLE_FONT),
    ]
    rows += [(f"{n}.", t(f"forms.instruction_{n}"), None) for n in range(1, 8)]
    rows += [("", "", None), (t("forms.metadata"), "", LABEL_FONT)]
    for label, value, font in rows:
        row = append_row(sheet, [label, value])
        sheet.cell(row, 1).alignment = sheet.cell(row, 2).alignment = WRAP
        if font is not None:
            sheet.cell(row, 1).font = font
        if label and not value and font is not None:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    # The intake finds these rows by their key in column A (intake.data.check_form_metadata).
    for key, value in zip(FORM_METADATA, (plan.id, str(period), entity.id)):
        row = append_row(sheet, [f"{key} / {FORM_METADATA[key]}", value])
        sheet.cell(row, 1).font = Font(color="7F7F7F")
        sheet.cell(row, 2).font = Font(color="7F7F7F")


def _lists_sheet(workbook: Workbook, plan: Plan, entity_id: str, phrases: Phrases,
                 rtl: bool) -> dict[str, str]:
    """Add the hidden sheet of drop-down choices; return choice name → range formula."""
    lang = phrases.lang
    choices = {
        "sector": entity_sectors(plan, entity_id),
        "category": [label.get(lang) or key for key, label in plan.challenge_categories.items()],
        "severity": [phrases(f"severity.{key}") for key in SEVERITY_KEYS],
        "indicator": [i.id for i in entity_indicators(plan, entity_id)],
        "project": [p.id for p in entity_projects(plan, entity_id)],
    }
    sheet = _new_sheet(workbook, phrases("forms.lists_sheet"), rtl)
    sheet.sheet_state = "hidden"
    ranges = {}
    for column, (name, values) in enumerate(choices.items(), start=1):
        letter = get_column_letter(column)
        put(sheet, 1, column, name)
        for row, value in enumerate(values, start=2):
            put(sheet, row, column, value)
        if values:
            ranges[name] = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _indicators(workbook: Workbook, plan: Plan, data: DataSet, entity: Entity, period: Period,
                phrases: Phrases, title_values: dict, rtl: bool) -> None:
    t, lang, kind = phrases, phrases.lang, "indicators"
    headers = [_column(kind, "indicator_id"), _bilingual(t, "forms.name"), _bilingual(t, "forms.unit"),
               _bilingual(t, "forms.direction"), _bilingual(t, "forms.measure"), _bilingual(t, "forms.target"),
               _bilingual(t, "forms.last_value"), _bilingual(t, "forms.last_period"),
               _column(kind, "value"), _column(kind, "note"), _column(kind, "source")]
    inputs = (9, 10, 11)
    sheet = _data_sheet(workbook, kind, t("forms.indicators_title", **title_values), t("forms.indicators_hint"),
                        headers, (12, 48, 12, 16, 22, 16, 16, 14, 16, 30, 24), rtl)
    indicators = entity_indicators(plan, entity.id)
    for row, indicator in enumerate(indicators, start=HEADER_ROW + 1):
        target = target_for(indicator, period)
        last = last_value(data, indicator.id, period)
        append_row(sheet, [indicator.id, indicator.name.get(lang), indicator.unit.get(lang).strip(),
                      t(f"forms.{indicator.direction}"), t(f"forms.{indicator.measure}"), target,
                      last[1] if last else None, str(last[0]) if last else None, None, None, None])
        _style_row(sheet, row, inputs, len(headers))
        sheet.cell(row, 6).number_format = _number_format(target, indicator.decimals)
        sheet.cell(row, 7).number_format = _number_format(last[1] if last else None, indicator.decimals)
    if indicators:
        first, last_row = HEADER_ROW + 1, HEADER_ROW + len(indicators)
        _validation(sheet, t, "decimal", f"I{first}:I{last_row}", t("forms.number_prompt"),
                    t("forms.number_error"), *NUMBER_BOUNDS)


def _projects(workbook: Workbook, plan: Plan, data: DataSet, entity: Entity, period: Period,
              phrases: Phrases, title_values: dict, rtl: bool) -> None:
    t, lang, kind = phrases, phrases.lang, "projects"
    budget = _bilingual(t, "forms.budget") + (f" ({plan.currency})" if plan.currency else "")
    headers = [_column(kind, "project_id"), _bilingual(t, "forms.name"), budget, _bilingual(t, "forms.planned"),
               _bilingual(t, "forms.last_progress"), _bilingual(t, "forms.last_spent"),
               _column(kind, "progress"), _column(kind, "spent"), _column(kind, "note")]
    inputs = (7, 8, 9)
    sheet = _data_sheet(workbook, kind, t("forms.projects_title", **title_values), t("forms.projects_hint"),
                        headers, (12, 48, 18, 16, 16, 18, 16, 18, 30), rtl)
    projects = entity_projects(plan, entity.id)
    for row, project in enumerate(projects, start=HEADER_ROW + 1):
        last = last_progress(data, project.id, period)
        planned = planned_progress(project, period)
        append_row(sheet, [project.id, project.name.get(lang), project.budget, planned,
                      last[1].progress if last else None, last[1].spent if last else None, None, None, None])
        _style_row(sheet, row, inputs, len(headers))
        for column, value in ((3, project.budget), (4, planned), (6, last[1].spent if last else None)):
            sheet.cell(row, column).number_format = _number_format(value)
        sheet.cell(row, 5).number_format = _number_format(last[1].progress if last else None)
    if projects:
        first, last_row = HEADER_ROW + 1, HEADER_ROW + len(projects)
        _validation(sheet, t, "decimal", f"G{first}:G{last_row}", t("forms.progress_prompt"),
                    t("forms.progress_error"), "0", "100")
        _validation(sheet, t, "decimal", f"H{first}:H{last_row}", t("forms.spent_prompt"),
                    t("forms.number_error"), "0")


def _challenges(workbook: Workbook, plan: Plan, entity: Entity, phrases: Phrases, title_values: dict,
                ranges: dict[str, str], rtl: bool) -> None:
    t, lang, kind = phrases, phrases.lang, "challenges"
    columns = ("sector_id", "description", "indicator_id", "project_id", "category", "cause", "remedy",
               "severity", "support_needed")
    sectors = "، ".join(f"{s} = {plan.sector_by_id[s].name.get(lang)}" for s in entity_sectors(plan, entity.id))
    sheet = _data_sheet(workbook, kind, t("forms.challenges_title", **title_values),
                        t("forms.challenges_hint", sectors=sectors), [_column(kind, c) for c in columns],
                        (16, 44, 14, 14, 18, 36, 36, 14, 30), rtl)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    first, last = HEADER_ROW + 1, HEADER_ROW + CHALLENGE_ROWS
    for row in range(first, last + 1):
        _style_row(sheet, row, range(1, len(columns) + 1), len(columns))
    for name, column in (("sector", "A"), ("indicator", "C"), ("project", "D"), ("category", "E"),
                         ("severity", "H")):
        if name in ranges:
            _validation(sheet, t, "list", f"{column}{first}:{column}{last}", t("forms.list_title"),
                        t("forms.list_error"), source=ranges[name])


def form_workbook(plan: Plan, data: DataSet, entity: Entity, period: Period, deadline: dt.date | None,
                  phrases: Phrases) -> bytes:
    """Return the bytes of ``entity``'s form for ``period`` (deterministic, strict-clean .xlsx).

    ``data`` supplies the last reported values (periods before ``period``); ``deadline`` None
    prints «set by the executive office».
    """
    rtl = phrases.lang == "ar"
    workbook = Workbook()
    workbook.remove(workbook.active)
    label = period_label(period, plan.calendar, phrases.lang)
    fixed_properties(workbook, f"{phrases('forms.title')} — {entity.name.get(phrases.lang)} — {label}",
                     dt.datetime(*source_date_time()))
    counts = (len(entity_indicators(plan, entity.id)), len(entity_projects(plan, entity.id)))
    _cover(workbook, plan, entity, period, deadline, counts, phrases, rtl)
    title_values = {"entity": entity.name.get(phrases.lang), "period": label}
    _indicators(workbook, plan, data, entity, period, phrases, title_values, rtl)
    _projects(workbook, plan, data, entity, period, phrases, title_values, rtl)
    ranges = _lists_sheet(workbook, plan, entity.id, phrases, rtl)
    _challenges(workbook, plan, entity, phrases, title_values, ranges, rtl)
    # The hidden lists sheet goes last so the challenges sheet keeps its place among the visible ones.
    workbook.move_sheet(phrases("forms.lists_sheet"), offset=len(workbook.sheetnames))
    workbook.active = 0
    return workbook_bytes(workbook)


def write_forms(plan_dir: Path, period: Period, entities: Sequence[str], out_root: Path,
                deadline: dt.date | None = None, progress: Progress = _quiet) -> list[Path]:
    """Write one form per entity (all when ``entities`` is empty) into ``OUT/<plan>/<period>/forms/``.

    Returns the paths written, in plan order. Forms of other entities already in the folder are
    kept. Raises InputError (invalid plan or earlier data) or UsageError (unknown entity id,
    period outside the plan's calendar); nothing is written then.
    """
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
    return [folder / f"{e.id}.xlsx" for e in chosen]
