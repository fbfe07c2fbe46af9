"""``review.api``: the history as pandas DataFrames, equal to ``review export``."""

from __future__ import annotations

import math
import sys

import pandas as pd
import pytest

from review.api import history, projects
from review.pipeline.export import INDICATOR_COLUMNS, PROJECT_COLUMNS
from review.pipeline.export import history as history_rows

from tests.pipeline.test_export import DATA


def _same(frame: pd.DataFrame, columns: tuple[str, ...], rows: list[tuple]) -> None:
    assert tuple(frame.columns) == columns and len(frame) == len(rows)
    for record, row in zip(frame.itertuples(index=False), rows):
        for got, want in zip(record, row):
            if want is None:
                assert got is None or (isinstance(got, float) and math.isnan(got)) or got is pd.NA
            else:
                assert got == want


def test_history_and_projects_frames_equal_the_export(make_plan):
    plan_dir = make_plan(data=DATA)
    indicators, project_rows = history_rows(plan_dir)
    frame = history(plan_dir)
    _same(frame, INDICATOR_COLUMNS, indicators)
    assert frame["achievement"].dtype == "float64"
    assert frame.loc[(frame.period == "2024-Q2") & (frame.indicator == "H1"), "actual"].item() == 75
    _same(projects(str(plan_dir)), PROJECT_COLUMNS, project_rows)


def test_a_clear_error_without_pandas(make_plan, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas then raises ImportError
    with pytest.raises(ImportError, match=r"review\.api needs pandas.*pip install 'review\[api\]'"):
        history(make_plan(data=DATA))
