"""``results.xlsx``: the period's results as right-to-left sheets with Arabic headers and status fills.

Only this module and the forms module write Excel. Output is deterministic: fixed document
properties and zip entry times (``zipfix``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import status as st
from .evaluate import PeriodResult
from .phrases import Phrases
from .plan.model import Plan
from .xlsxfix import strict_xlsx

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


def add_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]],
              rtl: bool = True, status_column: int | None = None, status_keys: Sequence[str] = (),
              percent_columns: Sequence[int] = (), widths: Sequence[int] = ()) -> Worksheet:
    """Append a sheet with a header row, data rows, frozen header, and status cells filled by colour.

    ``status_keys`` gives, row by row, the status key whose colour fills column ``status_column``.
    """
    sheet = workbook.create_sheet(title[:31])
    sheet.sheet_view.rightToLeft = rtl
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for number, row in enumerate(rows, start=2):
        sheet.append(list(row))
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


def results_workbook(plan: Plan, result: PeriodResult, phrases: Phrases, period_label: str,
                     issue_time: dt.datetime) -> bytes:
    """Return ``results.xlsx``: summary, sectors, objectives, indicators, projects, entities."""
    lang, t = phrases.lang, phrases
    rtl = lang == "ar"
    wb = Workbook()
    wb.remove(wb.active)
    fixed_properties(wb, f"{plan.title.get(lang)} — {period_label}", issue_time)

    def label(status: str) -> str:
        return t(f"status.{status}")

    summary = [(t("workbook.plan"), plan.title.get(lang)), (t("workbook.period"), period_label),
               (t("workbook.plan_score"), result.plan.score), (t("workbook.plan_status"), label(result.plan.status)),
               (t("workbook.plan_coverage"), result.plan.coverage), (t("workbook.plan_trend"), result.plan.trend)]
    sheet = add_sheet(wb, t("workbook.summary"), ["", ""], summary, rtl, widths=(36, 60))
    for row in (4, 5, 7):
        sheet.cell(row, 2).number_format = PERCENT
    sheet.cell(5, 2).fill = PatternFill("solid", fgColor=st.colour(result.plan.status))
    sheet.cell(5, 2).font = Font(color=st.TEXT_COLOURS[result.plan.status], bold=True)

    names = {s.id: s.name.get(lang) for s in plan.sectors}
    add_sheet(wb, t("workbook.sectors"),
              [t("column.id"), t("column.sector"), t("column.score"), t("column.status"),
               t("column.coverage"), t("column.trend_pp")],
              [(s.id, names[s.id], s.score, label(s.status), s.coverage, s.trend) for s in result.sectors],
              rtl, 4, [s.status for s in result.sectors], (3, 5, 6), (14, 40, 12, 16, 14, 14))

    objective_names = {o.id: o.name.get(lang) for s in plan.sectors for o in s.objectives}
    add_sheet(wb, t("workbook.objectives"),
              [t("column.id"), t("column.objective"), t("column.sector"), t("column.score"),
               t("column.status"), t("column.coverage"), t("column.trend_pp")],
              [(o.id, objective_names[o.id], names[o.sector], o.score, label(o.status), o.coverage, o.trend)
               for o in result.objectives],
              rtl, 5, [o.status for o in result.objectives], (4, 6, 7), (14, 50, 24, 12, 16, 14, 14))

    index = plan.indicator_index
    entities = {e.id: e.name.get(lang) for e in plan.entities}
    add_sheet(wb, t("workbook.indicators"),
              [t("column.id"), t("column.indicator"), t("column.sector"), t("column.objective"),
               t("column.entity"), t("column.unit"), t("column.target"), t("column.actual"),
               t("column.variance"), t("column.achievement"), t("column.score"), t("column.status"),
               t("column.trend_pp")],
              [(i.id, index[i.id][2].name.get(lang), names[i.sector], objective_names[i.objective],
                entities[i.entity], index[i.id][2].unit.get(lang), i.target, i.actual,
                None if i.target is None or i.actual is None else i.actual - i.target,
                i.achievement, i.score, label(i.status), i.trend) for i in result.indicators],
              rtl, 12, [i.status for i in result.indicators], (10, 11, 13),
              (10, 50, 20, 30, 30, 10, 12, 12, 12, 12, 12, 16, 12))

    projects = plan.project_index
    add_sheet(wb, t("workbook.projects"),
              [t("column.id"), t("column.project"), t("column.sector"), t("column.entity"),
               t("column.planned"), t("column.progress"), t("column.achievement"), t("column.status"),
               t("column.budget"), t("column.spent"), t("column.budget_execution")],
              [(p.id, projects[p.id][1].name.get(lang), names[p.sector], entities[p.entity], p.planned,
                p.actual, p.achievement, label(p.status), projects[p.id][1].budget, p.spent, p.budget_execution)
               for p in result.projects],
              rtl, 8, [p.status for p in result.projects], (5, 6, 7, 11),
              (10, 44, 20, 30, 14, 14, 14, 16, 14, 14, 14))

    focal = {e.id: e.focal_point or "" for e in plan.entities}
    add_sheet(wb, t("workbook.entities"),
              [t("column.id"), t("column.entity"), t("column.focal_point"), t("column.expected"),
               t("column.received"), t("column.completeness")],
              [(e.id, entities[e.id], focal[e.id], e.expected, e.received, e.completeness)
               for e in result.entities],
              rtl, widths=(10, 44, 28, 12, 12, 16), percent_columns=(6,))
    return workbook_bytes(wb)
