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


def test_decisions_are_numbered_once_and_consolidated_per_rule_and_target():
    from types import SimpleNamespace

    from review.compose.facts import decisions
    from review.recommend.proposals import Proposal
    proposals = [
        Proposal("stalled", "health", "خطة لمؤشر H1", "H1 67%", "MOH", ("H1",)),
        Proposal("missing", "health", "استكمال بيانات الصحة", "0 من 3", "SFD", ("H2",)),
        Proposal("missing", "water", "استكمال بيانات المياه", "0 من 2", "SFD", ("W1", "W2")),
        Proposal("budget", "health", "مراجعة الصرف", "فارق", "MOH", ("H1",)),
        Proposal("stalled", "health", "خطة لمؤشر H1 (مكررة)", "H1 67%", "MOH", ("H1",)),
        Proposal("overdue", None, "توصية متأخرة", "R1", "", ()),
    ]
    found = decisions(SimpleNamespace(proposals=proposals, period=Period.parse("2024-Q4"), decision_numbers={}))
    assert [(d.number, d.rule, d.covers) for d in found] == [
        (1, "stalled", ("H1",)), (2, "missing", ("H2",)), (3, "missing", ("W1", "W2")), (4, "budget", ("H1",)),
        (5, "overdue", ())]
    assert found[0].texts == ("خطة لمؤشر H1", "خطة لمؤشر H1 (مكررة)") and found[0].evidence == ("H1 67%",)
    assert all(d.due == Period.parse("2025-Q1") for d in found)
    assert decisions(SimpleNamespace(proposals=proposals, period=Period.parse("2024-Q4"), decision_numbers={})) == found
    # A later revision keeps the numbers given before: budget:H1 stays 1; 7 (dropped since) is not
    # given again; the new ones follow from 8 in the proposals' order; the sheet goes by number.
    from review.compose.facts import decision_numbering
    later = SimpleNamespace(proposals=proposals, period=Period.parse("2024-Q4"),
                            decision_numbers={"budget:H1": 1, "gone:X": 7})
    assert [(d.number, d.rule, d.covers) for d in decisions(later)] == [
        (1, "budget", ("H1",)), (8, "stalled", ("H1",)), (9, "missing", ("H2",)), (10, "missing", ("W1", "W2")),
        (11, "overdue", ())]
    assert decision_numbering(later) == {"budget:H1": 1, "gone:X": 7, "stalled:H1": 8, "missing:H2": 9,
                                         "missing:W1+W2": 10, "overdue:توصية متأخرة": 11}
