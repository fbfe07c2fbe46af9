"""Facts and the sentences written from them: trends across the quarters, worst items, 'all' only
when true — checked against hand-computed cases."""

from __future__ import annotations

import pytest

from review.evaluate import TrendRun, trend_run
from review.model.periods import Period


def series(*values, start="2023-Q1"):
    period = Period.parse(start)
    out = []
    for value in values:
        out.append((period, value))
        period = period.next()
    return out


@pytest.mark.parametrize(("values", "expected"), [
    # 97 → 94 → 92 → 91: the last step is inside the dead band, but the history is not flat.
    ((97, 94, 92, 91), TrendRun(-1, "down", 3, 0, False)),
    ((90, 88, 85, 89), TrendRun(4, "up", 1, 2, False)),
    ((80, 80.5, 80.2, 80.9), TrendRun(80.9 - 80.2, "up", 1, 1, True)),
    ((80, 85), TrendRun(5, "up", 1, 0, False)),
    ((80, 85, 85.01), TrendRun(85.01 - 85, "flat", 1, 0, False)),
    ((80,), TrendRun(None, "none")),
    ((80, None, 85), TrendRun(None, "none")),            # a quarter without a score breaks the run
    ((70, 80, None, 85, 80), TrendRun(-5, "down", 1, 0, False)),
    ((80, 85, None), TrendRun(None, "none")),
])
def test_trend_run(values, expected):
    run = trend_run(series(*values))
    assert run.direction == expected.direction and run.streak == expected.streak
    assert run.before == expected.before and run.all_flat == expected.all_flat
    assert run.change == (None if expected.change is None else pytest.approx(expected.change))


def test_trend_run_crosses_the_year_and_skips_missing_quarters():
    assert trend_run(series(90, 85, 80, start="2023-Q3")).streak == 2
    gap = [(Period.parse("2023-Q1"), 90.0), (Period.parse("2023-Q3"), 80.0), (Period.parse("2023-Q4"), 70.0)]
    assert trend_run(gap) == TrendRun(-10.0, "down", 1, 0, False)
