"""Every formula of SPEC §4 against numbers computed by hand (the comment on each case shows how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.errors import Location
from review import evaluate as ev
from review.model import status as st
from review.model.data import DataSet, Origin, PeriodData, ProjectReport, Reported
from review.model.periods import Period
from review.model.plan import EvaluationSettings, Indicator, Plan, Project

from .conftest import Memory, base_plan

P = Period.parse
ORIGIN = Origin(Path("x.csv"), Location(row=2))


def indicator(**fields) -> Indicator:
    values = {"id": "I", "name": "م", "entity": "E", "targets": {}} | fields
    return Indicator.model_validate(values)


def dataset(values: dict[str, dict[str, float]] | None = None,
            projects: dict[str, dict[str, tuple[float, float | None]]] | None = None) -> DataSet:
    """Build a DataSet from {period: {indicator: value}} and {period: {project: (progress, spent)}}."""
    periods: dict[Period, PeriodData] = {}
    for period, items in (values or {}).items():
        data = periods.setdefault(P(period), PeriodData(P(period), Path()))
        for ident, value in items.items():
            data.indicators[ident] = Reported(value, "", "", ORIGIN)
    for period, items in (projects or {}).items():
        data = periods.setdefault(P(period), PeriodData(P(period), Path()))
        for ident, (progress, spent) in items.items():
            data.projects[ident] = ProjectReport(progress, spent, "", ORIGIN)
    return DataSet(dict(sorted(periods.items())))


# -- 4.1 target -------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, period, expected", [
    # level, start = previous year's target 40: 40 + (80 − 40) × 2/4 = 60
    ({"targets": {2023: 40, 2024: 80}, "baseline": 10}, "2024-Q2", 60.0),
    # level, no previous year → baseline 20: 20 + (80 − 20) × 1/4 = 35
    ({"targets": {2024: 80}, "baseline": 20}, "2024-Q1", 35.0),
    # level, neither → start = the year's target: 80 every quarter
    ({"targets": {2024: 80}}, "2024-Q3", 80.0),
    # level, Q4 reaches the annual target
    ({"targets": {2023: 40, 2024: 80}}, "2024-Q4", 80.0),
    # cumulative: 400 × 3/4 = 300
    ({"targets": {2024: 400}, "measure": "cumulative"}, "2024-Q3", 300.0),
    # quarterly override wins (year to date for cumulative)
    ({"targets": {2024: 400}, "measure": "cumulative", "quarterly_targets": {"2024-Q2": 150}}, "2024-Q2", 150.0),
    # quarters without an override still interpolate: 20 + (80 − 20) × 3/4 = 65
    ({"targets": {2024: 80}, "baseline": 20, "quarterly_targets": {"2024-Q2": 99}}, "2024-Q3", 65.0),
    # down direction interpolates the same way: 100 + (60 − 100) × 1/4 = 90
    ({"targets": {2023: 100, 2024: 60}, "direction": "down"}, "2024-Q1", 90.0),
    # no target for the year → None
    ({"targets": {2023: 40}}, "2024-Q1", None),
])
def test_target(fields, period, expected):
    assert ev.target_for(indicator(**fields), P(period)) == expected


# -- 4.2 actual -------------------------------------------------------------------------------

def test_level_actual_is_the_periods_value():
    data = dataset({"2024-Q1": {"I": 5}, "2024-Q2": {"I": 7}})
    assert ev.actual_for(indicator(), data, P("2024-Q2")) == 7


def test_cumulative_actual_sums_the_year_and_skips_unreported_quarters():
    # Q1 10 + Q2 not reported + Q3 30 = 40; the previous year's Q4 is not counted
    data = dataset({"2023-Q4": {"I": 1000}, "2024-Q1": {"I": 10}, "2024-Q3": {"I": 30}})
    ind = indicator(measure="cumulative")
    assert ev.actual_for(ind, data, P("2024-Q3")) == 40


def test_cumulative_restarts_at_the_year_boundary():
    data = dataset({"2024-Q4": {"I": 50}, "2025-Q1": {"I": 20}})
    assert ev.actual_for(indicator(measure="cumulative"), data, P("2025-Q1")) == 20


def test_no_value_in_the_period_means_no_data_even_for_cumulative():
    data = dataset({"2024-Q1": {"I": 10}})
    assert ev.actual_for(indicator(measure="cumulative"), data, P("2024-Q2")) is None


# -- 4.3 achievement --------------------------------------------------------------------------

@pytest.mark.parametrize("direction, method, target, actual, start, expected", [
    ("up", "ratio", 80, 60, None, 75.0),          # 60/80
    ("up", "ratio", 80, 100, None, 125.0),        # over-achievement is not capped here
    ("down", "ratio", 90, 120, None, 75.0),       # 90/120
    ("down", "ratio", 90, 0, None, 100.0),        # actual 0 in the down direction → 100
    ("up", "ratio", 0, 5, None, 100.0),           # target 0, actual ≥ 0 → 100
    ("up", "ratio", 0, -1, None, 0.0),            # target 0, actual < 0 → 0
    ("up", "progress", 70, 65, 60, 50.0),         # (65 − 60)/(70 − 60)
    ("down", "progress", 90, 95, 100, 50.0),      # (95 − 100)/(90 − 100)
    ("up", "progress", 60, 30, 60, 50.0),         # target = start → ratio 30/60
    ("up", "ratio", None, 5, None, None),
    ("up", "ratio", 5, None, None, None),
])
def test_achievement(direction, method, target, actual, start, expected):
    result = ev.achievement_for(indicator(direction=direction), method, target, actual, start)
    assert result == pytest.approx(expected) if expected is not None else result is None


# -- 4.4 status -------------------------------------------------------------------------------

@pytest.mark.parametrize("achievement, expected", [
    (95, st.ON_TRACK), (94.99, st.AT_RISK), (75, st.AT_RISK), (74.9, st.OFF_TRACK), (None, st.NO_DATA),
])
def test_status_thresholds(achievement, expected):
    assert ev.status_for(achievement, EvaluationSettings()) == expected


def test_custom_thresholds_and_cap():
    settings = EvaluationSettings(on_track=90, at_risk=60, cap=120)
    assert ev.status_for(89, settings) == st.AT_RISK
    assert ev.score_of(150, settings) == 120
    assert ev.score_of(-20, settings) == 0


# -- plan-level evaluation: stalled, roll-ups, coverage, trend -----------------------------------

def mini_plan(**changes) -> Plan:
    raw = base_plan()
    for key, value in changes.items():
        raw[key] = value
    return Plan.model_validate(raw)


def test_period_evaluation_by_hand():
    plan = mini_plan()
    data = dataset({
        # H1 level up: target Q1 = 60 + (80 − 60)/4 = 65; Q2 = 70.
        # H2 level down: target Q1 = 100 + (60 − 100)/4 = 90; Q2 = 80.
        # W1 cumulative: target Q1 = 100; Q2 = 200.
        "2024-Q1": {"H1": 65, "H2": 120, "W1": 50},
        "2024-Q2": {"H1": 63, "H2": 100, "W1": 60},
    })
    result = ev.evaluate_period(plan, data, P("2024-Q2"))
    by_id = {i.id: i for i in result.indicators}
    # H1: 63/70 = 90 % → at risk; Q1 was 100 % → trend −10 pp
    assert by_id["H1"].achievement == pytest.approx(90.0)
    assert by_id["H1"].status == st.AT_RISK
    assert by_id["H1"].trend == pytest.approx(-10.0)
    # H2: 80/100 = 80 % → at risk; Q1 90/120 = 75 % → trend +5
    assert by_id["H2"].achievement == pytest.approx(80.0)
    assert by_id["H2"].trend == pytest.approx(5.0)
    # W1: (50 + 60)/200 = 55 %, and Q1 50/100 = 50 % was also off track → stalled
    assert by_id["W1"].actual == 110
    assert by_id["W1"].achievement == pytest.approx(55.0)
    assert by_id["W1"].status == st.STALLED
    # health objective = mean(90, 80) = 85; water = 55; plan = mean(85, 55) = 70
    assert result.sector("health").score == pytest.approx(85.0)
    assert result.sector("water").score == pytest.approx(55.0)
    assert result.plan.score == pytest.approx(70.0)
    assert result.plan.status == st.OFF_TRACK
    # Q1: health mean(100, 75) = 87.5 → trend −2.5; plan Q1 = mean(87.5, 50) = 68.75 → +1.25
    assert result.sector("health").trend == pytest.approx(-2.5)
    assert result.plan.trend == pytest.approx(1.25)
    assert result.plan.coverage == 100.0


def test_weights_and_missing_scores_are_left_out():
    raw = base_plan()
    raw["sectors"][0]["objectives"][0]["indicators"][0]["weight"] = 3
    raw["sectors"][1]["weight"] = 0.5
    plan = Plan.model_validate(raw)
    # Q1: H1 65/65 = 100, H2 90/90 = 100 … make H2 50 % instead: 90/180
    data = dataset({"2024-Q1": {"H1": 65, "H2": 180}})
    result = ev.evaluate_period(plan, data, P("2024-Q1"))
    # health = (100×3 + 50×1)/4 = 87.5; water has no value → left out of the plan score
    assert result.sector("health").score == pytest.approx(87.5)
    assert result.sector("water").score is None
    assert result.sector("water").status == st.NO_DATA
    assert result.sector("water").coverage == 0.0
    assert result.plan.score == pytest.approx(87.5)
    # coverage: 2 of 3 indicators reported
    assert result.plan.coverage == pytest.approx(200 / 3)


def test_scores_are_capped_before_rolling_up():
    plan = mini_plan()
    data = dataset({"2024-Q1": {"H1": 130, "H2": 90}})  # H1 130/65 = 200 % → score 100
    result = ev.evaluate_period(plan, data, P("2024-Q1"))
    h1 = next(i for i in result.indicators if i.id == "H1")
    assert h1.achievement == pytest.approx(200.0)
    assert h1.score == 100.0
    assert result.sector("health").score == pytest.approx(100.0)


def test_stalled_needs_off_track_in_the_previous_quarter_across_the_year_boundary():
    plan = mini_plan()
    # W1 2024-Q4: target 400, actual 100 → 25 %; 2025-Q1: target 50, actual 10 → 20 % → stalled
    data = dataset({"2024-Q4": {"W1": 100}, "2025-Q1": {"W1": 10}})
    result = ev.evaluate_period(plan, data, P("2025-Q1"))
    w1 = next(i for i in result.indicators if i.id == "W1")
    assert w1.achievement == pytest.approx(20.0)
    assert w1.status == st.STALLED
    assert w1.trend == pytest.approx(-5.0)


def test_no_previous_value_means_no_stalled_and_no_trend():
    plan = mini_plan()
    data = dataset({"2024-Q2": {"W1": 10}})
    w1 = next(i for i in ev.evaluate_period(plan, data, P("2024-Q2")).indicators if i.id == "W1")
    assert w1.status == st.OFF_TRACK
    assert w1.trend is None


def test_no_target_for_the_year_gives_no_data():
    plan = mini_plan()
    data = dataset({"2026-Q1": {"H1": 70}})
    h1 = next(i for i in ev.evaluate_period(plan, data, P("2026-Q1")).indicators if i.id == "H1")
    assert (h1.target, h1.achievement, h1.score, h1.status) == (None, None, None, st.NO_DATA)


@pytest.mark.parametrize("change, arrow", [(1.0, "▬"), (-1.0, "▬"), (1.01, "▲"), (-3, "▼"), (None, "")])
def test_trend_arrow(change, arrow):
    assert ev.trend_arrow(change) == arrow


# -- 4.7 projects -----------------------------------------------------------------------------

def project(**fields) -> Project:
    return Project.model_validate({"id": "P", "name": "م", "entity": "E", "start": "2024-Q1",
                                   "end": "2024-Q4"} | fields)


@pytest.mark.parametrize("fields, period, expected", [
    ({}, "2024-Q1", 25.0),                                   # (1)/(4)
    ({}, "2024-Q3", 75.0),                                   # (3)/(4)
    ({"start": "2023-Q4", "end": "2024-Q2"}, "2024-Q1", 200 / 3),  # quarters at their end: 2/3
    ({}, "2023-Q3", 0.0),                                    # before start, clamped
    ({}, "2025-Q2", 100.0),                                  # after end, clamped
    ({"planned_progress": {"2024-Q2": 30}}, "2024-Q2", 30.0),  # the curve wins
    ({"planned_progress": {"2024-Q2": 30}}, "2024-Q3", 75.0),  # elsewhere linear
])
def test_planned_progress(fields, period, expected):
    assert ev.planned_progress(project(**fields), P(period)) == pytest.approx(expected)


def evaluate_project(progress, spent, period, **fields):
    raw = base_plan()
    raw["sectors"][0]["projects"][0].update(fields)
    plan = Plan.model_validate(raw)
    data = dataset(projects={period: {"P1": (progress, spent)}} if progress is not None else {})
    data.periods.setdefault(P(period), PeriodData(P(period), Path()))
    return next(p for p in ev.evaluate_period(plan, data, P(period)).projects if p.id == "P1")


def test_project_schedule_achievement_and_budget_execution():
    # planned Q2 = 2/4 = 50 %; actual 40 → 80 % → at risk; spent 300 of 1000 → 30 %
    result = evaluate_project(40, 300, "2024-Q2")
    assert result.planned == pytest.approx(50.0)
    assert result.achievement == pytest.approx(80.0)
    assert result.status == st.AT_RISK
    assert result.budget_execution == pytest.approx(30.0)


def test_project_achievement_is_not_capped_and_planned_zero_gives_100():
    assert evaluate_project(90, None, "2024-Q2").achievement == pytest.approx(180.0)
    zero = evaluate_project(5, None, "2024-Q1", planned_progress={"2024-Q1": 0})
    assert zero.achievement == 100.0
    assert zero.budget_execution is None


def test_project_completed_wins_over_delayed_and_delayed_after_end():
    assert evaluate_project(100, None, "2025-Q2").status == st.COMPLETED
    assert evaluate_project(90, None, "2025-Q1").status == st.DELAYED


def test_project_not_reported_is_no_data():
    result = evaluate_project(None, None, "2024-Q2")
    assert (result.actual, result.achievement, result.status) == (None, None, st.NO_DATA)


def test_budget_execution_needs_a_budget():
    assert evaluate_project(50, 10, "2024-Q2", budget=None).budget_execution is None


# -- 4.8 completeness -------------------------------------------------------------------------

def test_completeness_per_entity():
    raw = base_plan()
    raw["entities"].append({"id": "NONE", "name": "جهة بلا مؤشرات"})
    plan = Plan.model_validate(raw)
    # MOH has H1, H2 and P1; it reported H1 and P1 → 2/3; MOW reported nothing → 0
    data = dataset({"2024-Q1": {"H1": 60}}, {"2024-Q1": {"P1": (10, None)}})
    result = {e.id: e for e in ev.evaluate_period(plan, data, P("2024-Q1")).entities}
    assert result["MOH"].completeness == pytest.approx(200 / 3)
    assert (result["MOH"].received, result["MOH"].expected) == (2, 3)
    assert result["MOW"].completeness == 0.0
    assert result["NONE"].completeness is None


def test_history_covers_every_period_with_data():
    plan = mini_plan()
    data = dataset({"2024-Q1": {"H1": 65}, "2024-Q2": {"H1": 70}, "2024-Q4": {"H1": 80}})
    history = ev.evaluate_history(plan, data, P("2024-Q4"))
    assert [str(r.period) for r in history] == ["2024-Q1", "2024-Q2", "2024-Q4"]
    # 2024-Q4's previous quarter (Q3) has no value → no trend
    assert next(i for i in history[-1].indicators if i.id == "H1").trend is None
    assert next(i for i in history[1].indicators if i.id == "H1").trend == pytest.approx(0.0)


def test_history_remembers_the_earlier_periods_by_what_they_were_read_from():
    plan = mini_plan()
    data = dataset({"2024-Q1": {"H1": 65}, "2024-Q2": {"H1": 70}, "2024-Q3": {"H1": 40}})
    fresh = ev.evaluate_history(plan, data, P("2024-Q3"))
    remember = Memory()
    computed = remember.computed

    # Without keys (not read through a cache) nothing is remembered.
    assert ev.evaluate_history(plan, data, P("2024-Q3"), remember) == fresh and not computed
    data.keys.update({P("2024-Q1"): "a", P("2024-Q2"): "b", P("2024-Q3"): "c"})
    assert ev.evaluate_history(plan, data, P("2024-Q3"), remember) == fresh
    assert computed == [("history", ("a", "b"))]  # Q1 and Q2, not the period built
    # Q3's figures change: Q1 and Q2 come from the memory, Q3 is evaluated against Q2 as before.
    data.periods[P("2024-Q3")].indicators["H1"] = Reported(85, "", "", ORIGIN)
    data.keys[P("2024-Q3")] = "c2"
    changed = ev.evaluate_history(plan, data, P("2024-Q3"), remember)
    assert changed == ev.evaluate_history(plan, data, P("2024-Q3")) and len(computed) == 1
    assert next(i for i in changed[-1].indicators if i.id == "H1").trend == pytest.approx(
        next(i for i in ev.evaluate_history(plan, data, P("2024-Q3"))[-1].indicators if i.id == "H1").trend)
    # An earlier period read from other files is evaluated again.
    data.keys[P("2024-Q2")] = "b2"
    ev.evaluate_history(plan, data, P("2024-Q3"), remember)
    assert computed[-1] == ("history", ("a", "b2"))
