"""Plan validation in passes: YAML shape and values (pydantic), then cross-references.

Each pass collects every problem it finds before stopping, so one run shows the whole list.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from review.errors import InputError, Problem
from review.model.layout import PLAN_FILE
from review.model.periods import check_year
from review.intake.yamlfile import LoadedYaml, format_path, load_yaml
from review.model.plan import _WINDOWS_RESERVED, Plan


def _message(error: dict) -> str:
    """Return a pydantic error as ``expected X, got Y`` in the project's wording."""
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field (got {got!r}); check the spelling against docs/plan-format.md"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {got!r}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {what}, got {got!r}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        sign = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"expected a number {sign} {bound}, got {got!r}"
    if kind == "too_short":
        return "expected at least one item, got none"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type", "string_type"):
        what = {"list_type": "a list", "dict_type": "a mapping", "string_type": "a text"}.get(kind, "a mapping")
        return f"expected {what}, got {got!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']} (got {got!r})"


def _loc_path(loc: tuple) -> tuple:
    # pydantic adds '[key]' segments for dict keys and function names for validators; keep the data path.
    return tuple(part for part in loc if not (isinstance(part, str) and part.startswith("function-")))


def _shape_problems(loaded: LoadedYaml, exc: ValidationError) -> list[Problem]:
    problems = []
    seen = set()
    for error in exc.errors(include_url=False):
        path = _loc_path(error["loc"])
        if path and path[-1] == "[key]":
            path = path[:-1]
        line = loaded.line_of(path)
        message = _message(error)
        key = (path, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(loaded.file, f"line {line}" if line else "", format_path(path), message))
    return sorted(problems, key=lambda p: int(p.where.split()[1]) if p.where else 0)


def _reference_problems(plan: Plan, loaded: LoadedYaml) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: tuple, message: str) -> None:
        line = loaded.line_of(path)
        problems.append(Problem(loaded.file, f"line {line}" if line else "", format_path(path), message))

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
        if entity.id.lower().split(".")[0] in _WINDOWS_RESERVED:
            add(("entities", i, "id"), f"{entity.id!r} cannot be a file name on Windows (forms are named after "
                                       "entities); choose another entity id")
    for s, sector in enumerate(plan.sectors):
        sp = ("sectors", s)
        unique("sector", sector.id, sp)
        if sector.id.lower().split(".")[0] in _WINDOWS_RESERVED:
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
        raise InputError([Problem(path, "", "", f"no plan here (expected a {PLAN_FILE} in {plan_dir})")])
    loaded = load_yaml(path)
    if not isinstance(loaded.data, dict):
        raise InputError([Problem(path, "line 1", "", f"expected a mapping of plan fields, got {type(loaded.data).__name__}")])
    try:
        plan = Plan.model_validate(loaded.data)
    except ValidationError as exc:
        raise InputError(_shape_problems(loaded, exc)) from None
    problems = _reference_problems(plan, loaded)
    if problems:
        raise InputError(problems)
    return plan
