"""``review validate``: every problem of a plan and its data, then who has submitted what."""

from __future__ import annotations

from pathlib import Path

from review.pipeline.build import load
from review.errors import Problem, UsageError, WARNING, WHOLE_FILE, display_path
from review.evaluate import completeness_by_entity, target_for
from review.model.periods import Period, check_year
from review.intake.plan import PLAN_FILE
from review.recommend.proposals import load_rules


def target_warnings(loaded, plan_dir: Path) -> list[Problem]:
    """Return a warning for each indicator lacking a target in periods that have data."""
    warnings = []
    for _, _, indicator in loaded.plan.indicators():
        missing = [str(p) for p in loaded.data.periods if target_for(indicator, p) is None]
        if missing:
            warnings.append(Problem(Path(plan_dir) / PLAN_FILE, WHOLE_FILE, f"indicator {indicator.id}",
                                    f"no target for {', '.join(missing)}: its results there will be 'no data'", WARNING))
    return warnings


_PLURALS = {"entity": "entities"}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun if number == 1 else _PLURALS.get(noun, noun + 's')}"


def validate(plan_dir: Path, period: Period | None = None) -> str:
    """Return the validation report of a valid plan; raise InputError listing every problem."""
    loaded = load(plan_dir)
    plan, data = loaded.plan, loaded.data
    load_rules()  # templates/recommendations.yaml is validated like the plan
    lines = [str(w) for w in data.warnings + target_warnings(loaded, plan_dir)]
    indicators = sum(1 for _ in plan.indicators())
    projects = sum(1 for _ in plan.projects())
    periods = ", ".join(map(str, data.periods)) or "none yet"
    counts = ", ".join(_count(n, noun) for n, noun in (
        (len(plan.sectors), "sector"), (sum(len(s.objectives) for s in plan.sectors), "objective"),
        (indicators, "indicator"), (projects, "project"), (len(plan.entities), "entity")))
    lines.append(f"{display_path(Path(plan_dir) / PLAN_FILE)}: valid — {counts}; periods with data: {periods}")
    if period is None and data.periods:
        period = max(data.periods)
    if period is None:
        return "\n".join(lines)
    try:
        check_year(period.year, plan.calendar)
    except ValueError as exc:
        raise UsageError(f"--period {period}: {exc} (the plan's calendar is {plan.calendar})") from None
    lines.append("")
    if period not in data.periods:
        # Nobody has submitted yet: that is news for the secretariat, not an error.
        lines.append(f"No data folder for {period} yet ({display_path(Path(plan_dir) / 'data' / str(period))}).")
    lines.append(f"Data completeness for {period} (indicators and projects with a value):")
    rows = completeness_by_entity(plan, data, period)
    width = max(len(e.id) for e in plan.entities)
    incomplete = []
    for row in sorted(rows, key=lambda r: (r.completeness is None, r.completeness if r.completeness is not None else 0, r.id)):
        entity = plan.entity_by_id[row.id]
        share = "   —  " if row.completeness is None else f"{row.completeness:5.1f}%"
        lines.append(f"  {row.id:<{width}}  {share}  {row.received:>3}/{row.expected:<3}  {entity.name.get('ar')}"
                     + (f" — {entity.focal_point}" if entity.focal_point else ""))
        if row.completeness is not None and row.completeness < 100:
            incomplete.append(row.id)
    if incomplete:
        lines.append(f"Incomplete: {', '.join(incomplete)} (missing submissions are reported, not errors)")
    else:
        lines.append("Every entity has reported every indicator and project.")
    return "\n".join(lines)
