"""``review validate``: every problem of a plan and its data, then who has submitted what."""

from __future__ import annotations

from pathlib import Path

from .build import load
from .errors import WARNING, InputError, Problem, display_path, format_problems
from .evaluate import _completeness
from .periods import Period
from .plan.validation import PLAN_FILE


def target_warnings(loaded, plan_dir: Path) -> list[Problem]:
    """Return a warning for each indicator lacking a target for a year that has data."""
    years = sorted({p.year for p in loaded.data.periods})
    warnings = []
    for _, _, indicator in loaded.plan.indicators():
        for year in years:
            if year not in indicator.targets and not any(p.year == year for p in indicator.quarterly_targets):
                warnings.append(Problem(Path(plan_dir) / PLAN_FILE, "", f"indicator {indicator.id}",
                                        f"no target for {year}: its results for {year} will be 'no data'", WARNING))
    return warnings


def validate(plan_dir: Path, period: Period | None = None) -> str:
    """Return the validation report of a valid plan; raise InputError listing every problem."""
    loaded = load(plan_dir)
    plan, data = loaded.plan, loaded.data
    lines = [str(w) for w in data.warnings + target_warnings(loaded, plan_dir)]
    indicators = sum(1 for _ in plan.indicators())
    projects = sum(1 for _ in plan.projects())
    periods = ", ".join(map(str, data.periods)) or "none yet"
    lines.append(f"{display_path(Path(plan_dir) / PLAN_FILE)}: valid — {len(plan.sectors)} sectors, "
                 f"{sum(len(s.objectives) for s in plan.sectors)} objectives, {indicators} indicators, "
                 f"{projects} projects, {len(plan.entities)} entities; periods with data: {periods}")
    if period is None and data.periods:
        period = max(data.periods)
    if period is None:
        return "\n".join(lines)
    if period not in data.periods:
        raise InputError([Problem(Path(plan_dir) / "data" / str(period), "", "",
                                  f"no data folder for {period} (periods with data: {periods})")])
    lines.append("")
    lines.append(f"Data completeness for {period} (indicators and projects with a value):")
    rows = _completeness(plan, data, period)
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


__all__ = ["validate", "format_problems"]
