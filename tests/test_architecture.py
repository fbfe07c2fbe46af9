"""The layout's rules (docs/architecture.md), read from the source with ``ast`` so they stay true.

Every ``import`` counts, at the top of a module or inside a function, and under ``TYPE_CHECKING``
too: a type is a dependency as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "review"

#: The stages and what each may import of ``review`` (besides itself and the root package, whose
#: only content is the version). The same table is in docs/architecture.md.
ALLOWED = {
    "errors": set(),
    "pause": set(),
    "model": {"errors"},
    "intake": {"errors", "model"},
    "language": {"errors", "model", "intake"},
    "evaluate": {"errors", "model"},
    "recommend": {"errors", "model", "intake", "language", "evaluate"},
    "charts": {"errors", "model"},
    "office": {"errors"},
    "compose": {"errors", "model", "language", "evaluate", "recommend", "charts", "office"},
    "archive": {"errors", "model", "pause", "office"},
    "pipeline": {"errors", "pause", "model", "intake", "language", "evaluate", "recommend", "charts",
                 "office", "compose", "archive"},
    "secretariat": {"errors", "pause", "model", "intake", "language", "evaluate", "recommend", "office",
                    "archive", "pipeline"},
    "cli": {"errors", "model", "intake", "office", "archive", "pipeline", "secretariat"},
    "__main__": {"cli"},
    "api": {"pipeline"},
}

#: Third-party libraries that only some stages may import: the edges of the pipeline.
LIBRARY_OWNERS = {
    "matplotlib": {"charts"},
    "docx": {"office"},
    "pptx": {"office"},
    "lxml": {"office"},
    "xlsxwriter": {"office", "compose", "secretariat"},  # its API, not SpreadsheetML: the helpers are in office
    "openpyxl": {"intake"},
    "yaml": {"intake"},
    "pandas": {"api"},
    "jinja2": {"office"},  # the dashboard's pages: review.office.html
    "markupsafe": {"office"},
    "PIL": {"office"},  # text measured for table columns (office/word/measure.py)
    "fontTools": {"office"},  # the page numbers' font, made from Noto Sans Arabic (office/word/digits.py)
    "fontpkg": {"charts", "office"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("review",) + path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(module: str) -> list[tuple[str, int]]:
    """Return every (imported module or name, line) of ``module``, relative imports made absolute."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _internal_edges() -> dict[str, set[str]]:
    """Return module → the modules of ``review`` it imports (a name resolves to its module)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for name, _ in _imports(module):
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and name != "review":
                edges[module].add(name)
    return edges


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_stage_is_listed():
    assert {_stage(m) for m in MODULES} - {""} == set(ALLOWED)


def test_no_import_cycles():
    edges = _internal_edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert cycles == []


def test_stages_import_only_what_the_layout_allows():
    broken = []
    for module, targets in _internal_edges().items():
        stage = _stage(module)
        for target in targets:
            other = _stage(target)
            if other != stage and other not in ALLOWED.get(stage, set()):
                broken.append(f"{module} imports {target}")
    assert broken == []


def test_nothing_imports_the_command_line():
    importers = [m for m, targets in _internal_edges().items()
                 if _stage(m) not in ("cli", "__main__") and any(_stage(t) == "cli" for t in targets)]
    assert importers == []


def test_libraries_stay_at_their_edges():
    broken = []
    for module in MODULES:
        for name, line in _imports(module):
            library = name.split(".")[0]
            if library in LIBRARY_OWNERS and _stage(module) not in LIBRARY_OWNERS[library] \
                    and not any(b.startswith(f"{module}:{line} ") for b in broken):
                broken.append(f"{module}:{line} imports {name}")
    assert broken == []


def test_no_private_name_is_imported_from_another_module():
    """A private function, class or constant stays in its module; a private module (``_fast…``)
    may serve its own package only."""
    broken = []
    for module in MODULES:
        for name, line in _imports(module):
            owner, _, last = name.rpartition(".")
            if not (owner.startswith("review") and last.startswith("_") and not last.startswith("__")):
                continue
            if name in MODULES:  # a private module: only its own package may import it
                if not module.startswith(owner + "."):
                    broken.append(f"{module}:{line} imports {name}")
            elif owner in MODULES and owner != module:
                broken.append(f"{module}:{line} imports {name}")
    assert broken == []


def test_evaluation_opens_no_file():
    """``evaluate.py`` computes from values: no file, path or stream module, no call that reads."""
    imported = {name.split(".")[0] for name, _ in _imports("review.evaluate")}
    assert imported.isdisjoint({"os", "pathlib", "io", "csv", "glob", "shutil", "tempfile", "zipfile", "open"})
    tree = ast.parse(MODULES["review.evaluate"].read_text(encoding="utf-8"))
    calls = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
             for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert calls.isdisjoint({"open", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob"})


def _dynamic_imports(module: str) -> list[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = [f"{module}:{node.lineno} calls {node.func.id}" for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__"]
    found += [f"{module}:{line} imports {name}" for name, line in _imports(module)
              if name.split(".")[0] == "importlib" and not name.startswith("importlib.metadata")]
    return found


def test_no_dynamic_imports():
    """Every dependency is an ``import`` the rules above can read (importlib.metadata reads versions only)."""
    assert [found for module in MODULES for found in _dynamic_imports(module)] == []


def _private_reads(module: str) -> list[str]:
    """Return ``alias._name`` reads where ``alias`` is another module of ``review`` imported here."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("review"):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname:
                    aliases[alias.asname] = alias.name
    return [f"{module}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
            and node.attr.startswith("_") and not node.attr.startswith("__")
            and not module.startswith(aliases[node.value.id].rpartition(".")[0] + ".")]


def test_no_private_name_is_read_through_another_module():
    assert [found for module in MODULES for found in _private_reads(module)] == []


def test_the_allowed_directions_have_no_cycle():
    seen: dict[str, int] = {}

    def depth(stage: str, path: tuple[str, ...]) -> int:
        assert stage not in path, " -> ".join(path + (stage,))
        if stage not in seen:
            seen[stage] = 1 + max((depth(other, path + (stage,)) for other in ALLOWED.get(stage, ())), default=0)
        return seen[stage]

    for stage in ALLOWED:
        depth(stage, ())


def test_the_documented_table_is_the_enforced_one():
    """docs/architecture.md's table of packages says what ALLOWED enforces, no more, no less."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0] != "`package`":
            name = cells[0].strip("`").removesuffix("/").removesuffix(".py")
            documented[name] = set(re.findall(r"`([a-z_]+)`", cells[2].split("(")[0] if "nothing" not in cells[2]
                                              else ""))
    assert documented == ALLOWED


@pytest.mark.parametrize("rule, module, target", [
    (test_no_import_cycles, "review.model.periods", "review.model.plan"),
    (test_stages_import_only_what_the_layout_allows, "review.model.plan", "review.intake.readers"),
    (test_nothing_imports_the_command_line, "review.pipeline.build", "review.cli.args"),
    (test_libraries_stay_at_their_edges, "review.compose.sector", "matplotlib.figure"),
    (test_no_private_name_is_imported_from_another_module, "review.compose.sector", "review.language.formats._number_format"),
    (test_evaluation_opens_no_file, "review.evaluate", "pathlib"),
    (test_no_dynamic_imports, "review.model.plan", "importlib.import_module"),
])
def test_the_rules_catch_a_broken_layout(monkeypatch, rule, module, target):
    """Each check above can fail: an import added against its rule is reported."""
    original = _imports

    def with_extra(name: str) -> list[tuple[str, int]]:
        return original(name) + ([(target, 1)] if name == module else [])

    monkeypatch.setitem(globals(), "_imports", with_extra)
    with pytest.raises(AssertionError):
        rule()


def test_a_private_read_through_another_module_is_caught(tmp_path, monkeypatch):
    source = "from review.language import formats\n\nvalue = formats._number_format\n"
    fake = tmp_path / "fake.py"
    fake.write_text(source, encoding="utf-8")
    monkeypatch.setitem(MODULES, "review.compose.fake", fake)
    assert _private_reads("review.compose.fake") == ["review.compose.fake:3 reads review.language.formats._number_format"]
