"""``review export``: the history for analysts (SPEC §5.9) — one tidy row per indicator and period.

Every period with data is evaluated as a build evaluates it (``load`` + ``evaluate_history``),
so a row's numbers equal that period's ``results.json``: unrounded, percentages 0–100, trend in
percentage points, status as its English key; None where not computable. No pandas here:
``review.api`` turns the same rows into DataFrames.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from review.errors import UsageError, display_path
from review.evaluate import evaluate_history
from review.office.package import source_date_time
from review.office.xlsx import MemoryWorkbook, add_table
from review.pipeline.build import Loaded, load

#: The columns of the indicator history, in order.
INDICATOR_COLUMNS = ("plan", "period", "sector", "objective", "indicator", "name", "entity", "unit", "direction",
                     "target", "actual", "achievement", "score", "status", "trend")
#: The columns of the project history, in order.
PROJECT_COLUMNS = ("plan", "period", "sector", "project", "name", "entity", "planned", "actual", "achievement",
                   "status", "budget_execution", "spent")
#: What ``--out`` may end with.
FORMATS = (".csv", ".xlsx")

Row = tuple


def history_tables(loaded: Loaded) -> tuple[list[Row], list[Row]]:
    """Return (indicator rows, project rows) of every period with data, oldest period first and
    plan order within a period; each row's values in the order of its columns."""
    plan, data = loaded.plan, loaded.data
    if not data.periods:
        return [], []
    lang = plan.language
    indicators = {i.id: i for _, _, i in plan.indicators()}
    projects = {p.id: p for _, p in plan.projects()}
    wanted = set(data.periods)
    indicator_rows: list[Row] = []
    project_rows: list[Row] = []
    for result in evaluate_history(plan, data, max(data.periods)):
        if result.period not in wanted:
            continue
        period = str(result.period)
        for r in result.indicators:
            indicator = indicators[r.id]
            indicator_rows.append((plan.id, period, r.sector, r.objective, r.id, indicator.name.get(lang), r.entity,
                                   indicator.unit.get(lang) if indicator.unit else None, indicator.direction,
                                   r.target, r.actual, r.achievement, r.score, r.status, r.trend))
        for p in result.projects:
            project_rows.append((plan.id, period, p.sector, p.id, projects[p.id].name.get(lang), p.entity,
                                 p.planned, p.actual, p.achievement, p.status, p.budget_execution, p.spent))
    return indicator_rows, project_rows


def history(plan_dir: Path) -> tuple[list[Row], list[Row]]:
    """Return :func:`history_tables` of a plan folder; raises InputError for an invalid plan or data."""
    return history_tables(load(Path(plan_dir)))


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # every digit: the CSV reads back to the same number
    return str(value)


def csv_bytes(columns: Sequence[str], rows: Sequence[Row]) -> bytes:
    """Return the rows as UTF-8 CSV with a byte-order mark (Excel then reads the Arabic), header first;
    None is an empty cell and numbers keep every digit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(indicator_rows: Sequence[Row], project_rows: Sequence[Row], title: str) -> bytes:
    """Return the history as a workbook: sheets ``indicators`` and ``projects``, a header row each,
    numbers as numbers, None as an empty cell (deterministic bytes)."""
    book = MemoryWorkbook(title, dt.datetime(*source_date_time()))
    header = book.style({"bold": True, "bottom": 1})
    add_table(book, "indicators", INDICATOR_COLUMNS, indicator_rows, rtl=False, header_format=header,
              widths=(14, 9, 12, 12, 12, 40, 10, 10, 9, 12, 12, 12, 12, 11, 10))
    add_table(book, "projects", PROJECT_COLUMNS, project_rows, rtl=False, header_format=header,
              widths=(14, 9, 12, 12, 40, 10, 10, 10, 12, 11, 16, 12))
    return book.to_bytes()


def check_out(out: Path | None) -> None:
    """Raise UsageError unless ``out`` is None or a file name ending in .csv or .xlsx."""
    if out is None:
        return
    if Path(out).suffix.lower() not in FORMATS:
        raise UsageError(f"--out {display_path(out)}: expected a file name ending in .csv or .xlsx")
    if Path(out).is_dir():
        raise UsageError(f"--out {display_path(out)}: is a folder (expected the name of the .csv or .xlsx file to write)")


def export_bytes(plan_dir: Path, suffix: str = ".csv") -> bytes:
    """Return the history export of ``plan_dir`` as ``.csv`` (indicators) or ``.xlsx`` (indicators and projects)."""
    loaded = load(Path(plan_dir))
    indicator_rows, project_rows = history_tables(loaded)
    if suffix.lower() == ".xlsx":
        return xlsx_bytes(indicator_rows, project_rows, f"{loaded.plan.id} — history")
    return csv_bytes(INDICATOR_COLUMNS, indicator_rows)
