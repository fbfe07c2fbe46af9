"""Evaluation rules of SPEC §4: targets, actuals, achievement, status, roll-ups, trends, projects,
completeness. Pure functions over the plan and the data; never opens a file.

All percentages are on the 0–100 scale; None means "not computable" (no target, not reported).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from review.model import status as st
from review.model.data import ACCEPTED, DataSet
from review.model.periods import Period
from review.model.plan import EvaluationSettings, Indicator, Plan, Project

#: A change of at most this many percentage points is shown as level (▬).
TREND_FLAT = 1.0


# -- indicator formulas (SPEC §4.1–4.4) -------------------------------------------------------

def interpolation_start(indicator: Indicator, year: int) -> float | None:
    """Return the level indicator's start for ``year``: last year's target, else baseline, else this year's."""
    if year - 1 in indicator.targets:
        return indicator.targets[year - 1]
    if indicator.baseline is not None:
        return indicator.baseline
    return indicator.targets.get(year)


def target_for(indicator: Indicator, period: Period) -> float | None:
    """Return the indicator's target for ``period`` (year to date for cumulative), or None without one.

    ``quarterly_targets`` wins; otherwise cumulative: annual × q/4; level: start + (annual − start) × q/4.
    """
    if period in indicator.quarterly_targets:
        return indicator.quarterly_targets[period]
    annual = indicator.targets.get(period.year)
    if annual is None:
        return None
    share = period.quarter / 4
    if indicator.measure == "cumulative":
        return annual * share
    start = interpolation_start(indicator, period.year)
    # This year's target is the start's last fallback, and it exists here, so start is never None.
    assert start is not None
    return start + (annual - start) * share


def actual_for(indicator: Indicator, data: DataSet, period: Period) -> float | None:
    """Return the actual for ``period``: the value (level) or the year-to-date sum (cumulative).

    None when the period itself has no value, whatever earlier quarters hold.
    """
    value = data.value(indicator.id, period)
    if value is None or indicator.measure == "level":
        return value
    total = 0.0
    for quarter in range(1, period.quarter + 1):
        earlier = data.value(indicator.id, Period(period.year, quarter))
        total += earlier or 0.0
    return total


def ratio_achievement(direction: str, target: float, actual: float) -> float:
    """Return achievement % by the ratio method: actual/target (up) or target/actual (down)."""
    if direction == "down":
        return 100.0 if actual == 0 else target / actual * 100
    if target == 0:
        return 100.0 if actual >= 0 else 0.0
    return actual / target * 100


def achievement_for(indicator: Indicator, method: str, target: float | None, actual: float | None,
                    start: float | None) -> float | None:
    """Return achievement % (not capped), or None when target or actual is missing.

    ``progress`` measures the way from ``start`` to the target; it falls back to the ratio when
    the target equals the start (or there is no start).
    """
    if target is None or actual is None:
        return None
    if method == "progress" and start is not None and target != start:
        return (actual - start) / (target - start) * 100
    return ratio_achievement(indicator.direction, target, actual)


def status_for(achievement: float | None, settings: EvaluationSettings) -> str:
    """Return on_track / at_risk / off_track by the thresholds, or no_data for None."""
    if achievement is None:
        return st.NO_DATA
    if achievement >= settings.on_track:
        return st.ON_TRACK
    if achievement >= settings.at_risk:
        return st.AT_RISK
    return st.OFF_TRACK


def score_of(achievement: float | None, settings: EvaluationSettings) -> float | None:
    """Return the score: achievement clamped to 0…cap, None for None."""
    if achievement is None:
        return None
    return min(max(achievement, 0.0), settings.cap)


def weighted_mean(pairs: list[tuple[float | None, float]]) -> float | None:
    """Return the weighted mean of (value, weight) pairs over values that are not None.

    None when no value is present or all their weights are zero.
    """
    present = [(v, w) for v, w in pairs if v is not None]
    total = sum(w for _, w in present)
    if not present or total == 0:
        return None
    return sum(v * w for v, w in present) / total


def trend_of(current: float | None, previous: float | None) -> float | None:
    """Return the change in percentage points, None when either side is missing."""
    if current is None or previous is None:
        return None
    return current - previous


def trend_arrow(change: float | None) -> str:
    """Return ▲, ▼ or ▬ (|change| ≤ 1 pp) for a change, '' for None."""
    if change is None:
        return ""
    if abs(change) <= TREND_FLAT:
        return "▬"
    return "▲" if change > 0 else "▼"


@dataclass(frozen=True)
class TrendRun:
    """How a score moved across the whole history (SPEC §5.6: trends read across quarters).

    ``change`` is the last step in percentage points (None without one); ``direction`` is ``up``,
    ``down`` or ``flat`` (the last step rounds to 0.0 pp) or ``none`` (no step); ``streak`` counts
    the quarters in a row moving in ``direction``, this one included; ``before`` counts the
    quarters in a row that moved the other way just before the streak; ``all_flat`` is True when
    every step of the history is within the dead band (|change| ≤ ``TREND_FLAT``).
    """

    change: float | None
    direction: str
    streak: int = 0
    before: int = 0
    all_flat: bool = False


def _sign(change: float) -> int:
    # A change shown as 0.0 pp is no move: the words must agree with the one-decimal figure.
    rounded = round(change, 1)
    return (rounded > 0) - (rounded < 0)


def trend_run(series: list[tuple[Period, float | None]]) -> TrendRun:
    """Return the trend of a score over ``series`` of (period, score), oldest first.

    Steps join consecutive quarters that both have a score; the run is read back from the last
    step, which must end at the series' last period (else there is no trend, as in SPEC §4.6).
    """
    steps: list[float] = []
    for (earlier, a), (later, b) in zip(series, series[1:]):
        if a is None or b is None or earlier.next() != later:
            steps = []
            continue
        steps.append(b - a)
    if not steps or series[-1][1] is None:
        return TrendRun(None, "none")
    last = steps[-1]
    all_flat = all(abs(s) <= TREND_FLAT for s in steps)
    sign = _sign(last)
    if sign == 0:
        return TrendRun(last, "flat", 1, 0, all_flat)
    streak = 0
    for step in reversed(steps):
        if _sign(step) != sign:
            break
        streak += 1
    before = 0
    for step in reversed(steps[:len(steps) - streak]):
        if _sign(step) != -sign:
            break
        before += 1
    return TrendRun(last, "up" if sign > 0 else "down", streak, before, all_flat)


# -- projects (SPEC §4.7) ---------------------------------------------------------------------

def planned_progress(project: Project, period: Period) -> float:
    """Return the planned cumulative progress % for ``period``: the curve's value, else linear."""
    if period in project.planned_progress:
        return project.planned_progress[period]
    span = project.end.index - project.start.index + 1
    done = period.index - project.start.index + 1
    return min(max(done / span * 100, 0.0), 100.0)


# -- results ------------------------------------------------------------------------------------

@dataclass
class IndicatorResult:
    id: str
    sector: str
    objective: str
    entity: str
    target: float | None
    actual: float | None
    achievement: float | None
    score: float | None
    status: str
    trend: float | None
    start: float | None = None


@dataclass
class RollUp:
    """A score over indicators: an objective, a sector or the plan."""

    id: str
    score: float | None
    status: str
    coverage: float
    trend: float | None = None
    sector: str | None = None


@dataclass
class ProjectResult:
    id: str
    sector: str
    entity: str
    planned: float
    actual: float | None
    achievement: float | None
    status: str
    budget_execution: float | None
    spent: float | None = None


#: An entity's timeliness for a period (SPEC §3.4): its first accepted receipt against the deadline.
ON_TIME, LATE, NOT_RECEIVED = "on_time", "late", "not_received"
#: Received, but there is no deadline to compare with.
RECEIVED = "received"
#: Its data is in the folder but no receipt was logged (placed by hand): time unknown.
UNKNOWN_TIME = "unknown_time"


@dataclass
class EntityResult:
    id: str
    completeness: float | None
    expected: int
    received: int
    #: When its first accepted receipt came (UTC), None when none was logged.
    received_at: dt.datetime | None = None
    #: Whole days after the deadline (0 when on time); None when not received, time unknown or no deadline.
    days_late: int | None = None
    #: ON_TIME, LATE, NOT_RECEIVED, RECEIVED or UNKNOWN_TIME.
    timeliness: str = NOT_RECEIVED


@dataclass
class PeriodResult:
    """Everything evaluated for one period."""

    period: Period
    plan: RollUp
    sectors: list[RollUp] = field(default_factory=list)
    objectives: list[RollUp] = field(default_factory=list)
    indicators: list[IndicatorResult] = field(default_factory=list)
    projects: list[ProjectResult] = field(default_factory=list)
    entities: list[EntityResult] = field(default_factory=list)

    def sector(self, sector_id: str) -> RollUp:
        """Return the roll-up of one sector."""
        return next(s for s in self.sectors if s.id == sector_id)


def _coverage(reported: int, total: int) -> float:
    return reported / total * 100 if total else 0.0


def _rollup(ident: str, pairs: list[tuple[float | None, float]], reported: int, total: int,
            settings: EvaluationSettings, sector: str | None = None) -> RollUp:
    score = weighted_mean(pairs)
    return RollUp(ident, score, status_for(score, settings), _coverage(reported, total), None, sector)


def _evaluate_base(plan: Plan, data: DataSet, period: Period) -> PeriodResult:
    """Evaluate one period without looking at the previous one (no trend, no stalled)."""
    settings = plan.evaluation
    indicators, objectives, sectors = [], [], []
    sector_pairs = []
    plan_reported = plan_total = 0
    for sector in plan.sectors:
        objective_pairs = []
        sector_reported = sector_total = 0
        for objective in sector.objectives:
            pairs = []
            reported = 0
            for indicator in objective.indicators:
                method = indicator.method or settings.method
                target = target_for(indicator, period)
                actual = actual_for(indicator, data, period)
                start = 0.0 if indicator.measure == "cumulative" else interpolation_start(indicator, period.year)
                achievement = achievement_for(indicator, method, target, actual, start)
                score = score_of(achievement, settings)
                reported += actual is not None
                indicators.append(IndicatorResult(
                    indicator.id, sector.id, objective.id, indicator.entity, target, actual,
                    achievement, score, status_for(achievement, settings), None, start))
                pairs.append((score, indicator.weight))
            count = len(objective.indicators)
            roll = _rollup(objective.id, pairs, reported, count, settings, sector.id)
            objectives.append(roll)
            objective_pairs.append((roll.score, objective.weight))
            sector_reported += reported
            sector_total += count
        roll = _rollup(sector.id, objective_pairs, sector_reported, sector_total, settings)
        sectors.append(roll)
        sector_pairs.append((roll.score, sector.weight))
        plan_reported += sector_reported
        plan_total += sector_total
    result = PeriodResult(period, _rollup(plan.id, sector_pairs, plan_reported, plan_total, settings),
                          sectors, objectives, indicators)
    result.projects = [_evaluate_project(plan, sector.id, project, data, period)
                       for sector, project in plan.projects()]
    result.entities = completeness_by_entity(plan, data, period)
    return result


def _evaluate_project(plan: Plan, sector_id: str, project: Project, data: DataSet,
                      period: Period) -> ProjectResult:
    planned = planned_progress(project, period)
    report = data.project(project.id, period)
    actual = report.progress if report else None
    spent = report.spent if report else None
    if actual is None:
        achievement, status = None, st.NO_DATA
    else:
        achievement = 100.0 if planned == 0 else actual / planned * 100
        if actual >= 100:
            status = st.COMPLETED
        elif period > project.end:
            status = st.DELAYED
        else:
            status = status_for(achievement, plan.evaluation)
    execution = spent / project.budget * 100 if spent is not None and project.budget else None
    return ProjectResult(project.id, sector_id, project.entity, planned, actual, achievement, status,
                         execution, spent)


def completeness_by_entity(plan: Plan, data: DataSet, period: Period) -> list[EntityResult]:
    """Return each entity's data completeness for ``period`` (§4.8): share of its indicators and
    projects with a value, 0–100; None for an entity with neither."""
    expected = {e.id: 0 for e in plan.entities}
    received = {e.id: 0 for e in plan.entities}
    for _, _, indicator in plan.indicators():
        expected[indicator.entity] += 1
        received[indicator.entity] += data.value(indicator.id, period) is not None
    for _, project in plan.projects():
        expected[project.entity] += 1
        received[project.entity] += data.project(project.id, period) is not None
    results = [EntityResult(e.id, received[e.id] / expected[e.id] * 100 if expected[e.id] else None,
                            expected[e.id], received[e.id]) for e in plan.entities]
    period_data = data.get(period)
    deadline = period_deadline(plan, data, period)
    first: dict[str, dt.datetime] = {}
    for receipt in sorted(period_data.receipts, key=lambda r: r.received):
        if receipt.result == ACCEPTED and receipt.entity:
            first.setdefault(receipt.entity, receipt.received)
    sent = {c.entity_id for c in period_data.challenges}
    for row in results:
        row.received_at, row.days_late, row.timeliness = timeliness_of(
            first.get(row.id), row.received > 0 or row.id in sent, deadline)
    return results


def period_deadline(plan: Plan, data: DataSet, period: Period) -> dt.date | None:
    """Return the period's deadline (Gregorian): the plan's, else the one recorded with the period
    (``review forms --deadline``); None when neither sets one."""
    return plan.deadline(period) or data.get(period).deadline


def timeliness_of(received: dt.datetime | None, has_data: bool,
                  deadline: dt.date | None) -> tuple[dt.datetime | None, int | None, str]:
    """Return (time received, days late, timeliness) of one entity (SPEC §3.4).

    ``received`` is its first accepted receipt (UTC), ``has_data`` whether the period holds any of
    its values or challenges. A receipt on the deadline's day (UTC) is on time; each day after
    it is a day late. Data without a receipt (placed by hand) counts as received at an unknown time.
    """
    if received is None:
        return None, None, UNKNOWN_TIME if has_data else NOT_RECEIVED
    if deadline is None:
        return received, None, RECEIVED
    late = max(0, (received.astimezone(dt.timezone.utc).date() - deadline).days)
    return received, late, LATE if late else ON_TIME


def days_overdue(deadline: dt.date | None, now: dt.datetime) -> int:
    """Return the whole days ``now`` (UTC) is past ``deadline``; 0 before or on it, or without one."""
    if deadline is None:
        return 0
    return max(0, (now.astimezone(dt.timezone.utc).date() - deadline).days)


def evaluate_period(plan: Plan, data: DataSet, period: Period,
                    previous: PeriodResult | None = None) -> PeriodResult:
    """Return the full evaluation of ``period``: statuses with *stalled*, and trends.

    ``previous`` is the base evaluation of the quarter before (computed here when not given);
    when that quarter has no value for an indicator nothing is stalled and there is no trend.
    """
    current = _evaluate_base(plan, data, period)
    if previous is None:
        previous = _evaluate_base(plan, data, period.previous())
    settings = plan.evaluation
    before = {r.id: r for r in previous.indicators}
    for result in current.indicators:
        prior = before[result.id]
        result.trend = trend_of(result.achievement, prior.achievement)
        if (result.status == st.OFF_TRACK and prior.achievement is not None
                and prior.achievement < settings.at_risk):
            result.status = st.STALLED
    for rolls, prior_rolls in ((current.objectives, previous.objectives),
                               (current.sectors, previous.sectors)):
        prior_by_id = {r.id: r for r in prior_rolls}
        for roll in rolls:
            roll.trend = trend_of(roll.score, prior_by_id[roll.id].score)
    current.plan.trend = trend_of(current.plan.score, previous.plan.score)
    return current


def evaluate_history(plan: Plan, data: DataSet, until: Period,
                     remember: Callable[[tuple, Callable[[], Any]], Any] | None = None) -> list[PeriodResult]:
    """Return the evaluation of every period with data up to and including ``until``, oldest first.

    Each period is evaluated once and reused as the next one's previous quarter. ``remember(key,
    compute)`` (the build's cache) keeps the evaluation of the periods before ``until`` by what
    they were read from (:attr:`DataSet.keys`: the plan and their files), so that a rebuild after
    a change to ``until``'s figures evaluates that period only.
    """
    periods = sorted({p for p in data.periods if p <= until} | {until})
    earlier = periods[:-1]
    keys = [data.keys.get(period) for period in earlier]
    if remember is None or not earlier or not all(keys):
        return _evaluate_periods(plan, data, periods)
    results = list(remember(("history", tuple(keys)), lambda: _evaluate_periods(plan, data, earlier)))
    return _evaluate_periods(plan, data, periods[-1:], results)


def _evaluate_periods(plan: Plan, data: DataSet, periods: list[Period],
                      results: list[PeriodResult] | None = None) -> list[PeriodResult]:
    """Return ``results`` (the evaluations of the periods before) followed by those of ``periods``."""
    results = list(results or [])
    for period in periods:
        # A full result serves as the next quarter's previous one: stalled only changes statuses,
        # and the next quarter reads achievements and scores.
        previous = results[-1] if results and results[-1].period == period.previous() else None
        results.append(evaluate_period(plan, data, period, previous))
    return results
