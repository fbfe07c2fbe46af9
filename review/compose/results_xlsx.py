"""``results.xlsx``: the period's results as right-to-left sheets with Arabic headers and status fills.

A build writes this workbook every time, even after one figure changed; it is written with
XlsxWriter through ``review.office.xlsx`` (in memory, text always text, document dates from the
issue time and zip entries normalised, so the same inputs give the same bytes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from review.model import status as st
from review.evaluate import PeriodResult
from review.language.phrases import Phrases
from review.model.plan import Indicator, Plan
from review.office.xlsx import MemoryWorkbook, add_table, write_cell

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "pattern": 1,
          "align": "center", "valign": "vcenter", "text_wrap": True}
PERCENT = "0.0"
DEFAULT_WIDTH = 14


class _Formats:
    """The workbook's cell formats, each made once."""

    def __init__(self, book: MemoryWorkbook) -> None:
        self._book = book
        self.header = book.style(HEADER)
        self.percent = book.style({"num_format": PERCENT})

    def status(self, key: str):
        return self._book.style({"bg_color": f"#{st.colour(key)}", "pattern": 1, "bold": True,
                                 "font_color": f"#{st.TEXT_COLOURS.get(key, '000000')}"})


def _sheet(book: MemoryWorkbook, formats: _Formats, title: str, headers: Sequence[str],
           rows: Iterable[Sequence[object]], rtl: bool, status_column: int | None = None,
           status_keys: Sequence[str] = (), percent_columns: Sequence[int] = (),
           widths: Sequence[int] = ()):
    """Add a sheet with a header row, data rows, frozen header, and status cells filled by colour.

    Columns are numbered from 1; ``status_keys`` gives, row by row, the status whose colour
    fills column ``status_column``. Empty values are left blank (formatted where the column is).
    """
    percent = {column - 1 for column in percent_columns}

    def cell_format(row: int, column: int):
        if column + 1 == status_column and row < len(status_keys):
            return formats.status(status_keys[row])
        return formats.percent if column in percent else None

    return add_table(book, title, headers, rows, rtl=rtl, header_format=formats.header,
                     widths=widths or [DEFAULT_WIDTH] * len(headers), cell_format=cell_format)


def _unit(indicator: Indicator, lang: str) -> str:
    return indicator.unit.get(lang) if indicator.unit else ""


def results_workbook(plan: Plan, result: PeriodResult, phrases: Phrases, period_label: str,
                     issue_time: dt.datetime) -> bytes:
    """Return ``results.xlsx``: summary, sectors, objectives, indicators, projects, entities."""
    lang, t = phrases.lang, phrases
    rtl = lang == "ar"
    book = MemoryWorkbook(f"{plan.title.get(lang)} — {period_label}", issue_time)
    formats = _Formats(book)

    def label(status: str) -> str:
        return t(f"status.{status}")

    plan_result = result.plan
    summary = [(t("workbook.plan"), plan.title.get(lang)), (t("workbook.period"), period_label),
               (t("workbook.plan_score"), plan_result.score), (t("workbook.plan_status"), label(plan_result.status)),
               (t("workbook.plan_coverage"), plan_result.coverage), (t("workbook.plan_trend"), plan_result.trend)]
    sheet = _sheet(book, formats, t("workbook.summary"), ["", ""], summary[:2], rtl, widths=(36, 60))
    # The plan's score, coverage and trend are percentages; its status cell takes the status colour.
    for row, (name, value) in enumerate(summary[2:], start=3):
        write_cell(sheet, row, 0, name)
        write_cell(sheet, row, 1, value, formats.status(plan_result.status) if row == 4 else formats.percent)

    names = {s.id: s.name.get(lang) for s in plan.sectors}
    _sheet(book, formats, t("workbook.sectors"),
           [t("column.id"), t("column.sector"), t("column.score"), t("column.status"),
            t("column.coverage"), t("column.trend_pp")],
           [(s.id, names[s.id], s.score, label(s.status), s.coverage, s.trend) for s in result.sectors],
           rtl, 4, [s.status for s in result.sectors], (3, 5, 6), (14, 40, 12, 16, 14, 14))

    objective_names = {o.id: o.name.get(lang) for s in plan.sectors for o in s.objectives}
    _sheet(book, formats, t("workbook.objectives"),
           [t("column.id"), t("column.objective"), t("column.sector"), t("column.score"),
            t("column.status"), t("column.coverage"), t("column.trend_pp")],
           [(o.id, objective_names[o.id], names[o.sector or ""], o.score, label(o.status), o.coverage, o.trend)
            for o in result.objectives],
           rtl, 5, [o.status for o in result.objectives], (4, 6, 7), (14, 50, 24, 12, 16, 14, 14))

    index = plan.indicator_index
    entities = {e.id: e.name.get(lang) for e in plan.entities}
    _sheet(book, formats, t("workbook.indicators"),
           [t("column.id"), t("column.indicator"), t("column.sector"), t("column.objective"),
            t("column.entity"), t("column.unit"), t("column.target"), t("column.actual"),
            t("column.variance"), t("column.achievement"), t("column.score"), t("column.status"),
            t("column.trend_pp")],
           [(i.id, index[i.id][2].name.get(lang), names[i.sector], objective_names[i.objective],
             entities[i.entity], _unit(index[i.id][2], lang), i.target, i.actual,
             None if i.target is None or i.actual is None else i.actual - i.target,
             i.achievement, i.score, label(i.status), i.trend) for i in result.indicators],
           rtl, 12, [i.status for i in result.indicators], (10, 11, 13),
           (10, 50, 20, 30, 30, 10, 12, 12, 12, 12, 12, 16, 12))

    projects = plan.project_index
    _sheet(book, formats, t("workbook.projects"),
           [t("column.id"), t("column.project"), t("column.sector"), t("column.entity"),
            t("column.planned"), t("column.progress"), t("column.achievement"), t("column.status"),
            t("column.budget"), t("column.spent"), t("column.budget_execution")],
           [(p.id, projects[p.id][1].name.get(lang), names[p.sector], entities[p.entity], p.planned,
             p.actual, p.achievement, label(p.status), projects[p.id][1].budget, p.spent, p.budget_execution)
            for p in result.projects],
           rtl, 8, [p.status for p in result.projects], (5, 6, 7, 11),
           (10, 44, 20, 30, 14, 14, 14, 16, 14, 14, 14))

    focal = {e.id: e.focal_point or "" for e in plan.entities}
    _sheet(book, formats, t("workbook.entities"),
           [t("column.id"), t("column.entity"), t("column.focal_point"), t("column.expected"),
            t("column.received"), t("column.completeness")],
           [(e.id, entities[e.id], focal[e.id], e.expected, e.received, e.completeness)
            for e in result.entities],
           rtl, widths=(10, 44, 28, 12, 12, 16), percent_columns=(6,))
    return book.to_bytes()
