"""Plan validation in passes: YAML shape and values (pydantic, and every text), then cross-references.

Each pass collects every problem it finds before stopping, so one run shows the whole list; only
the problems that can be shown (``MAX_PER_FILE``) are worked out and located, the rest counted, so
a plan with a million mistakes is refused as fast as one with a single mistake.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from review.errors import (MAX_PER_FILE, InputError, Location, Problem, WHOLE_FILE, at_line, quoted,
                           unlisted)
from review.model.ids import is_valid_id
from review.model.layout import PLAN_FILE
from review.model.limits import MAX_CELL_CHARS, control_character
from review.model.periods import check_year
from review.intake.yamlfile import LoadedYaml, data_path, describe_error, format_path, load_yaml
from review.model.plan import Plan

#: The lists of the plan whose items have an id, and what each item is called in messages.
_KINDS = {"entities": "entity", "sectors": "sector", "objectives": "objective",
          "indicators": "indicator", "projects": "project"}


def _owner(data: object, path: tuple) -> tuple[str, int] | None:
    """Return the innermost object with a valid id along ``path`` in the raw plan — ``('indicator
    PHC-03', 6)``, the name and the length of its path — or None when there is none."""
    found = None
    node, key = data, None
    for depth, part in enumerate(path, 1):
        if isinstance(node, dict) and part in node:
            node, key = node[part], part
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            ident = node.get("id") if isinstance(node, dict) else None
            if key in _KINDS and isinstance(ident, str) and is_valid_id(ident):
                found = (f"{_KINDS[key]} {ident}", depth)
        else:
            break
    return found


def _problem(loaded: LoadedYaml, path: tuple, message: str) -> Problem:
    """Return a plan problem at ``path``, its message led by the id of the object it is in
    (``indicator H01: expected a number, got 'x'``) unless it is about that very id."""
    owner = _owner(loaded.data, path)
    if owner is not None and path[owner[1]:] != ("id",):
        message = f"{owner[0]}: {message}"
    return Problem(loaded.file, at_line(loaded.line_of(path)), format_path(path), message)


def _schema_problems(loaded: LoadedYaml, exc: ValidationError) -> tuple[list[tuple[int, Problem]], int]:
    """Return the first ``MAX_PER_FILE`` schema problems by line, each with its line, and how many
    more there are; only those are described and located."""
    paths, lines, seen = [], [], set()
    for error in exc.errors(include_url=False):
        path = data_path(error["loc"])
        if path and path[-1] == "[key]":
            path = path[:-1]
        key = (path, error["type"], error["msg"])
        if key in seen:  # pydantic may report one wrong value twice (e.g. a dict key and its value)
            continue
        seen.add(key)
        paths.append((path, error))
        lines.append(loaded.line_of(path) or 0)
    order = sorted(range(len(paths)), key=lines.__getitem__)[:MAX_PER_FILE]
    listed = [(lines[i], _problem(loaded, paths[i][0], describe_error(paths[i][1]))) for i in order]
    return listed, len(paths) - len(listed)


def _text_problems(loaded: LoadedYaml) -> tuple[list[tuple[int, Problem]], int]:
    """Return the first ``MAX_PER_FILE`` texts of the plan (keys too) that no output can hold, in
    document order with their lines, and how many more there are: a refused control character, or
    more characters than an Excel cell takes (names go into results.xlsx and the forms)."""
    listed: list[tuple[int, Problem]] = []
    more = 0

    def check(text: str, path: list) -> None:
        nonlocal more
        control = control_character(text)
        if control is None and len(text) <= MAX_CELL_CHARS:
            return
        if len(listed) == MAX_PER_FILE:
            more += 1
            return
        if control is not None:
            message = (f"control character {control} in {quoted(text)} (expected printable text: "
                       "Word and Excel cannot hold it; remove it)")
        else:
            message = (f"text of {len(text):,} characters (expected at most {MAX_CELL_CHARS:,}, "
                       f"what an Excel cell holds), got {quoted(text)}")
        where = tuple(path)
        listed.append((loaded.line_of(where) or 0, _problem(loaded, where, message)))

    def walk(value: object, path: list) -> None:
        # One list for the path, extended and cut back: a tuple per value would cost more than
        # the check itself on a large plan.
        if isinstance(value, dict):
            for key, item in value.items():
                path.append(key)
                if isinstance(key, str):
                    check(key, path)
                walk(item, path)
                path.pop()
        elif isinstance(value, list):
            for i, item in enumerate(value):
                path.append(i)
                walk(item, path)
                path.pop()
        elif isinstance(value, str):
            check(value, path)

    walk(loaded.data, [])
    return listed, more


def _shape_problems(loaded: LoadedYaml, exc: ValidationError | None) -> list[Problem]:
    """Return the problems of pass 2, at most ``MAX_PER_FILE`` of them listed by line and the rest
    counted in one :func:`review.errors.unlisted` entry."""
    found, more = _text_problems(loaded)
    if exc is not None:
        schema, schema_more = _schema_problems(loaded, exc)
        found, more = found + schema, more + schema_more
    found.sort(key=lambda item: item[0])
    problems = [problem for _, problem in found[:MAX_PER_FILE]]
    more += len(found) - len(problems)
    return problems + ([unlisted(loaded.file, more)] if more else [])


def _reference_problems(plan: Plan, loaded: LoadedYaml) -> list[Problem]:
    problems: list[Problem] = []
    more = 0

    def add(path: tuple, message: str) -> None:
        nonlocal more
        if len(problems) == MAX_PER_FILE:
            more += 1
        else:
            problems.append(_problem(loaded, path, message))

    first_seen: dict[str, dict[str, tuple[tuple, str]]] = defaultdict(dict)

    def unique(kind: str, value: str, path: tuple) -> None:
        # Sector and entity ids name files, and Windows and macOS file names ignore case.
        key = value.casefold() if kind in ("sector", "entity") else value
        if key in first_seen[kind]:
            other, first = first_seen[kind][key]
            same = "" if first == value else " (ids that name files must differ in more than case)"
            add(path + ("id",), f"duplicate {kind} id {value!r} (first at line {loaded.line_of(other + ('id',))}){same}")
        else:
            first_seen[kind][key] = (path, value)

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
    for s, sector in enumerate(plan.sectors):
        sp = ("sectors", s)
        unique("sector", sector.id, sp)
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
    return problems + ([unlisted(loaded.file, more)] if more else [])


def load_plan(plan_dir: Path) -> Plan:
    """Return the validated plan of ``plan_dir`` (its ``plan.yaml``).

    Raises InputError with every problem of the first failing pass: YAML, then shape and values
    (the schema, and every text against what Word and Excel hold), then ids and references.
    """
    path = Path(plan_dir) / PLAN_FILE
    if not path.is_file():
        raise InputError([Problem(path, WHOLE_FILE, "", f"no plan here (expected a {PLAN_FILE} in {plan_dir})")])
    loaded = load_yaml(path, owner=lambda data, where: (_owner(data, where) or ("", 0))[0])
    if not isinstance(loaded.data, dict):
        raise InputError([Problem(path, Location(line=1), "", f"expected a mapping of plan fields, got {type(loaded.data).__name__}")])
    plan: Plan | None = None
    invalid: ValidationError | None = None
    try:
        plan = Plan.model_validate(loaded.data)
    except ValidationError as exc:
        invalid = exc
    problems = _shape_problems(loaded, invalid)
    if problems or plan is None:
        raise InputError(problems)
    problems = _reference_problems(plan, loaded)
    if problems:
        raise InputError(problems)
    return plan
