"""Safe YAML loading that remembers where every value came from.

PyYAML composes the document into nodes; we build plain Python values from them ourselves so that

* only the standard YAML tags are accepted (``!!python/…`` and custom tags are refused),
* duplicate mapping keys are reported instead of silently overwritten,
* alias expansion is bounded (an "alias bomb" is refused after ``MAX_NODES`` values),
* each value's path (``("sectors", 1, "id")``) maps to its 1-based line for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic_core import ErrorDetails
from yaml.constructor import SafeConstructor

from review.errors import MAX_QUOTED, InputError, Location, Problem, WHOLE_FILE, quoted

#: Files larger than this are refused before parsing (a plan is a few hundred kilobytes at most).
MAX_BYTES = 10 * 1024 * 1024
#: Values built from one document, counting each alias expansion again.
MAX_NODES = 2_000_000

_ALLOWED_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
# libyaml composes ten times faster than the pure-Python parser; same nodes, same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class LoadedYaml:
    """A YAML document as plain values, with the line of every value (1-based)."""

    data: object
    lines: dict[tuple, int] = field(default_factory=dict)
    file: Path | None = None

    def line_of(self, path: tuple) -> int | None:
        """Return the line of the value at ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


class _Builder:
    def __init__(self, file: Path | None):
        self.file = file
        self.lines: dict[tuple, int] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = SafeConstructor()

    def problem(self, node: yaml.Node, message: str, path: tuple = ()) -> None:
        self.problems.append(Problem(self.file, Location(line=node.start_mark.line + 1),
                                     format_path(path), message))

    def build(self, node: yaml.Node, path: tuple) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(node)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                self.problem(node, f"unsupported YAML tag {quoted(node.tag)} (expected a plain mapping)", path)
                return None
            result: dict = {}
            key_lines: dict = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problem(key_node, "YAML merge keys ('<<') are not supported", path)
                    continue
                key = self.build(key_node, path + ("<key>",))
                if isinstance(key, (dict, list)) or key is None:
                    self.problem(key_node, f"expected a simple key, got {quoted(key)}", path)
                    continue
                if key in result:
                    self.problem(key_node, f"duplicate key {quoted(key)} (first on line {key_lines[key]})",
                                 path + (key,))
                    continue
                key_lines[key] = key_node.start_mark.line + 1
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self.problem(node, f"unsupported YAML tag {quoted(node.tag)} (expected a plain list)", path)
                return None
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        if node.tag == _STR_TAG:  # most values: no constructor needed
            return node.value
        if node.tag not in _ALLOWED_SCALAR_TAGS:
            self.problem(node, f"unsupported YAML tag {quoted(node.tag)}", path)
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self.problem(node, f"unreadable value {quoted(node.value)} ({str(exc)[:MAX_QUOTED]})", path)
            return None


def _reader_problem(path: Path, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """Return the problem of a character YAML refuses anywhere (a control character), located."""
    # libyaml reports a byte offset, the Python reader a character offset: find the character
    # itself, whose first occurrence is the one refused (the reader stops at the first).
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    at = text.find(character)
    if at < 0:
        return Problem(path, WHOLE_FILE, "", f"unreadable YAML: {exc.reason}")
    line_start = text.rfind("\n", 0, at) + 1
    where = Location(line=text.count("\n", 0, at) + 1, column=at - line_start + 1)
    return Problem(path, where, "", f"character U+{ord(character):04X} is not allowed in a YAML file "
                                    "(expected printable text: remove it)")


class _TooBig(Exception):
    def __init__(self, node: yaml.Node):
        self.node = node


#: A key printed as is in a path; any other key is printed quoted (``sectors[0]['a b']``), so a
#: path never carries a control character or more than a few dozen characters of the input.
_PLAIN_KEY = re.compile(r"[\w.-]{1,64}")


def format_path(path: tuple) -> str:
    """Return a document path as users write it: ``sectors[1].objectives[0].id``; a key that is
    not a plain word is quoted: ``sectors[0]['\\x1b[31m']``."""
    out = ""
    for part in path:
        if part == "<key>":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += f"[{quoted(part)}]"
    return out


def load_yaml(path: Path, text: str | None = None) -> LoadedYaml:
    """Return the YAML document at ``path`` (or ``text``) as plain values with line numbers.

    Raises InputError listing every problem: unreadable file, syntax error, unsupported tags,
    duplicate keys, too many values.
    """
    if text is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError([Problem(path, WHOLE_FILE, "", f"cannot read the file ({exc.strerror})")])
        if size > MAX_BYTES:
            raise InputError([Problem(path, WHOLE_FILE, "", f"file too large ({size:,} bytes; expected at most {MAX_BYTES:,})")])
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError([Problem(path, WHOLE_FILE, "", f"not valid UTF-8 text (byte {exc.start}); save the file as UTF-8")])
    if not text.strip():
        raise InputError([Problem(path, WHOLE_FILE, "", "the file is empty (expected a YAML plan)")])
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as exc:
        raise InputError([_reader_problem(path, text, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(line=mark.line + 1, column=mark.column + 1) if mark else WHOLE_FILE
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputError([Problem(path, where, "", f"YAML syntax error: {reason}")])
    except yaml.YAMLError as exc:
        raise InputError([Problem(path, WHOLE_FILE, "", f"YAML syntax error: {exc}")])
    builder = _Builder(path)
    try:
        data = builder.build(node, ())
    except _TooBig as big:
        raise InputError([Problem(path, Location(line=big.node.start_mark.line + 1), "",
                                  f"the document expands to more than {MAX_NODES:,} values "
                                  "(aliases repeating aliases?); refused")])
    except RecursionError:
        raise InputError([Problem(path, WHOLE_FILE, "", "the document nests too deeply; refused")])
    if builder.problems:
        raise InputError(builder.problems)
    return LoadedYaml(data, builder.lines, path)


def top_level_text(path: Path, key: str) -> str | None:
    """Return the text value of ``key`` in the YAML mapping at the top of ``path``, reading only as
    far as that key; None when the file cannot be read, is not such a mapping, or the value is not a
    plain text or number (the full load then reports why).

    For answers that must come before the whole document is loaded (the build's up-to-date check
    needs only the plan's ``id``); the parser is the same safe one :func:`load_yaml` uses.
    """
    try:
        with open(path, "rb") as stream:
            events = yaml.parse(stream, Loader=_LOADER)
            for event in events:  # up to the start of the top-level value
                if isinstance(event, yaml.MappingStartEvent):
                    break
                if isinstance(event, (yaml.SequenceStartEvent, yaml.ScalarEvent, yaml.AliasEvent)):
                    return None
            else:
                return None
            depth, is_key = 0, True  # depth: nesting below the top mapping
            for event in events:
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    depth += 1
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    if depth == 0:
                        return None  # the top mapping ended without the key
                    depth -= 1
                    is_key = is_key if depth else not is_key  # a nested key or value ended
                elif depth == 0:  # a scalar or alias of the top mapping: a key, then its value
                    if is_key and isinstance(event, yaml.ScalarEvent) and event.value == key:
                        value = next(events, None)
                        return value.value if isinstance(value, yaml.ScalarEvent) else None
                    is_key = not is_key
    except (OSError, yaml.YAMLError):
        return None
    return None


# -- schema errors (pydantic) in the project's wording ----------------------------------------

def describe_error(error: ErrorDetails) -> str:
    """Return a pydantic validation error (one of ``ValidationError.errors()``) as
    ``expected X, got Y`` in the project's wording."""
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field (got {quoted(got)}); check the spelling against docs/plan-format.md"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {quoted(got)}"
    if kind == "finite_number":
        return f"expected a finite number, got {quoted(got)}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {what}, got {quoted(got)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        sign = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"expected a number {sign} {bound}, got {quoted(got)}"
    if kind == "too_short":
        return "expected at least one item, got none"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type", "string_type"):
        what = {"list_type": "a list", "dict_type": "a mapping", "string_type": "a text"}.get(kind, "a mapping")
        return f"expected {what}, got {quoted(got)}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']} (got {quoted(got)})"


def data_path(loc: tuple) -> tuple:
    """Return the document path of a pydantic error's ``loc``, without the validators' names."""
    # pydantic adds '[key]' segments for dict keys and function names for validators; keep the data path.
    if not any(isinstance(part, str) and part.startswith("function-") for part in loc):
        return loc
    return tuple(part for part in loc if not (isinstance(part, str) and part.startswith("function-")))
