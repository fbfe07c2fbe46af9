"""The Python API for analysts (SPEC §5.9): a plan's evaluated history as pandas DataFrames.

    >>> from review.api import history, projects
    >>> frame = history("plans/services-1444")          # one row per indicator and period
    >>> frame[frame.status == "off_track"].groupby("sector").size()

The values are those of each period's ``results.json`` (unrounded; percentages 0–100; ``trend``
in percentage points; ``status`` the English key; missing values NaN). pandas is imported here
only — the command line never imports this module — and is an optional dependency:
``pip install 'review[api]'``. See docs/python-api.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from review.pipeline.export import INDICATOR_COLUMNS, PROJECT_COLUMNS
from review.pipeline.export import history as history_rows

if TYPE_CHECKING:
    import pandas

__all__ = ["history", "projects"]


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("review.api needs pandas, an optional dependency: install it with "
                          "pip install 'review[api]' (or pip install pandas)") from None
    return pandas


def _frame(columns: tuple[str, ...], rows: list[tuple]) -> "pandas.DataFrame":
    pd = _pandas()
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for column in ("target", "actual", "achievement", "score", "trend", "planned", "budget_execution", "spent"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def history(plan_dir: str | Path) -> "pandas.DataFrame":
    """Return one row per indicator and period with data: plan, period (``1444-Q4``), sector,
    objective, indicator, name, entity, unit, direction, target, actual, achievement, score,
    status, trend — the same as ``review export`` writes.

    Raises ``review.errors.InputError`` (its ``problems`` list every problem) for an invalid plan
    or data, and ImportError naming the ``api`` extra when pandas is not installed.
    """
    _pandas()
    return _frame(INDICATOR_COLUMNS, history_rows(Path(plan_dir))[0])


def projects(plan_dir: str | Path) -> "pandas.DataFrame":
    """Return one row per project and period with data: plan, period, sector, project, name,
    entity, planned, actual, achievement, status, budget_execution, spent (percentages 0–100)."""
    _pandas()
    return _frame(PROJECT_COLUMNS, history_rows(Path(plan_dir))[1])
