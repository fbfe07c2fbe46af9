"""Plan validation in passes: YAML shape and values (pydantic), then cross-references.

Each pass collects every problem it finds before stopping, so one run shows the whole list.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from review.errors import InputError, Location, Problem, WHOLE_FILE, at_line
from review.model.layout import PLAN_FILE
from review.model.periods import check_year
from review.intake.yamlfile import LoadedYaml, data_path, describe_error, format_path, load_yaml
from review.model.plan import WINDOWS_RESERVED, Plan


def _shape_problems(loaded: LoadedYaml, exc: ValidationError) -> list[Problem]:
    problems = []
    seen = set()
    for error in exc.errors(include_url=False):
        path = data_path(error["loc"])
        if path and path[-1] == "[key]":
            path = path[:-1]
        line = loaded.line_of(path)
        message = describe_error(error)
        key = (path, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(loaded.file, at_line(line), format_path(path), message))
    return sorted(problems, key=lambda p: p.where.line or 0)


def _reference_problems(plan: Plan, loaded: LoadedYaml) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: tuple, message: str) -> None:
        line = loaded.line_of(path)
        problems.append(Problem(loaded.file, at_line(line), format_path(path), message))

    first_seen: dict[str, dict[str, tuple]] = defaultdict(dict)

    def unique(kind: str, value: str, path: tuple) -> None:
        # Sector and entity ids name files, and Windows and macOS file names ignore case.
        key = value.casefold() if kind in ("sector", "entity") else value
        if key in first_seen[kind]:
            other = first_seen[kind][key]
            same = "" if key == value else " (ids that name files must differ in more than case)"
            add(path + ("id",), f"duplicate {kind} id {value!r} (first at line {loaded.line_of(other + ('id',))}){same}")
        else:
            first_seen[kind][key] = path

    entity_ids = {e.id for e in plan.entities}

    def resolves(value: str | None, path: tuple) -> None:
        if value is not None and value not in entity_ids:
            add(path, f"expected the id of an entity listed under 'entities', got {value!r}")

    def period_ok(period, path: tuple) -> None:
        try:
            check_year(period.year, plan.calendar)
        except ValueError as exc:
            add(path, f"{exc} (period {str(period)!r})")

    for i, entity in enumerate(plan.entities):
        unique("entity", entity.id, ("entities", i))
        if entity.id.lower().split(".")[0] in WINDOWS_RESERVED:
            add(("entities", i, "id"), f"{entity.id!r} cannot be a file name on Windows (forms are named after "
                                       "entities); choose another entity id")
    for s, sector in enumerate(plan.sectors):
        sp = ("sectors", s)
        unique("sector", sector.id, sp)
        if sector.id.lower().split(".")[0] in WINDOWS_RESERVED:
            add(sp + ("id",), f"{sector.id!r} cannot be a file name on Windows; choose another sector id")
        resolves(sector.lead_entity, sp + ("lead_entity",))
        for o, objective in enumerate(sector.objectives):
            op = sp + ("objectives", o)
            unique("objective", objective.id, op)
            for n, indicator in enumerate(objective.indicators):
                ip = op + ("indicators", n)
                unique("indicator", indicator.id, ip)
                resolves(indicator.entity, ip + ("entity",))
                for year in indicator.targets:
                    try:
                        check_year(year, plan.calendar)
                    except ValueError as exc:
                        add(ip + ("targets", year), str(exc))
                for period in indicator.quarterly_targets:
                    period_ok(period, ip + ("quarterly_targets", str(period)))
        for p, project in enumerate(sector.projects):
            pp = sp + ("projects", p)
            unique("project", project.id, pp)
            resolves(project.entity, pp + ("entity",))
            period_ok(project.start, pp + ("start",))
            period_ok(project.end, pp + ("end",))
            for period in project.planned_progress:
                period_ok(period, pp + ("planned_progress", str(period)))
    return problems


def load_plan(plan_dir: Path) -> Plan:
    """Return the validated plan of ``plan_dir`` (its ``plan.yaml``).

    Raises InputError with every problem of the first failing pass: YAML, then shape and values,
    then ids and references.
    """
    path = Path(plan_dir) / PLAN_FILE
    if not path.is_file():
        raise InputError([Problem(path, WHOLE_FILE, "", f"no plan here (expected a {PLAN_FILE} in {plan_dir})")])
    loaded = load_yaml(path)
    if not isinstance(loaded.data, dict):
        raise InputError([Problem(path, Location(line=1), "", f"expected a mapping of plan fields, got {type(loaded.data).__name__}")])
    try:
        plan = Plan.model_validate(loaded.data)
    except ValidationError as exc:
        raise InputError(_shape_problems(loaded, exc)) from None
    problems = _reference_problems(plan, loaded)
    if problems:
        raise InputError(problems)
    return plan
