"""Safe YAML loading that remembers where every value came from.

PyYAML's parser reads the document as a stream of events; we build plain Python values from them
ourselves (no node tree) so that

* only the standard YAML tags are accepted (``!!python/…`` and custom tags are refused),
* duplicate mapping keys are reported instead of silently overwritten,
* alias expansion is bounded (an "alias bomb" is refused after ``MAX_NODES`` values), and so are
  the keys of one mapping (``MAX_KEYS``) and the nesting (``MAX_DEPTH``), each refused as soon as
  it is passed, without reading the rest,
* each value's path (``("sectors", 1, "id")``) maps to its 1-based line for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml
from pydantic_core import ErrorDetails
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from review.errors import MAX_QUOTED, InputError, Location, Problem, WHOLE_FILE, quoted

#: Files larger than this are refused before parsing (a plan is a few hundred kilobytes at most).
MAX_BYTES = 10 * 1024 * 1024
#: Values built from one document, counting each alias expansion again.
MAX_NODES = 2_000_000
#: Keys in one mapping: a plan's largest holds a few dozen, the phrases catalogue a few hundred.
#: A document past it is refused at that key, without reading the rest (a file of 200,000
#: unknown keys is refused as fast as a short plan).
MAX_KEYS = 5_000
#: Nesting of mappings and lists (a plan nests six deep).
MAX_DEPTH = 64

_ALLOWED_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml parses ten times faster than the pure-Python parser; same events, same marks.
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


class _Frame:
    """A mapping or list being built from the event stream."""

    __slots__ = ("value", "path", "anchor", "start", "line", "key", "key_line", "keep", "keys", "role")

    def __init__(self, value, path: tuple, anchor: str | None, start: int, line: int, role: str):
        self.value = value
        self.path = path
        self.anchor = anchor
        self.start = start  # values counted before this one began (for its anchor's size)
        self.line = line
        self.key: object = _NO_KEY  # mappings: the key whose value comes next
        self.key_line = 0
        self.keep = True  # whether that value is stored (False after a refused key)
        self.keys = 0
        self.role = role  # "value", or "key" while a mapping or list is read as a key


_NO_KEY = object()
#: The path part of a value whose key was refused (not stored, not printed).
_REFUSED = "<refused>"
#: The value of a merge key ``<<`` (refused with its own message).
_MERGE = object()
#: What ``begin`` and ``finish`` return while the document is not complete.
_PENDING = object()


class _Builder:
    """Builds plain values from PyYAML's event stream (no node tree: five times faster than
    ``yaml.compose`` and able to stop early), with the line of every value."""

    def __init__(self, file: Path | None):
        self.file = file
        self.lines: dict[tuple, int] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = SafeConstructor()
        self.resolver = Resolver()
        self.anchors: dict[str, tuple[object, int, int] | None] = {}  # None: still being read
        self.stack: list[_Frame] = []

    def problem(self, line: int, message: str, path: tuple = ()) -> None:
        self.problems.append(Problem(self.file, Location(line=line), format_path(path), message))

    def run(self, events) -> object:
        """Return the one document of ``events`` as plain values (None for an empty stream)."""
        documents = 0
        result = None
        for event in events:
            kind = type(event)
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.composer.ComposerError(
                        "expected a single document in the stream", None,
                        "but found another document", event.start_mark)
                continue
            if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
                continue
            line = event.start_mark.line + 1
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = self.stack.pop()
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (frame.value, self.count - frame.start, frame.line)
                done = self.finish(frame.value, frame.line, frame.role)
            else:
                done = self.begin(event, kind, line)
            if done is not _PENDING:
                result = done
        return result

    def root(self) -> object:
        """Return the document as far as it was read, the open mappings and lists put in their
        places (for naming where it was refused; the builder is done with)."""
        for parent, child in zip(self.stack, self.stack[1:]):
            if child.role == "key":
                break
            if isinstance(parent.value, list):
                parent.value.append(child.value)
            elif parent.keep and parent.key is not _NO_KEY:
                parent.value[parent.key] = child.value
        return self.stack[0].value if self.stack else None

    def where(self) -> tuple[tuple, str]:
        """Return the path of the value that comes next, and whether it is a key or a value."""
        if not self.stack:
            return (), "value"
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            return frame.path + (len(frame.value),), "value"
        if frame.key is _NO_KEY:
            return frame.path + ("<key>",), "key"
        return frame.path + (frame.key if frame.keep else _REFUSED,), "value"

    def tick(self, size: int, line: int) -> None:
        self.count += size
        if self.count > MAX_NODES:
            raise _TooBig(line)

    def begin(self, event, kind, line: int) -> object:
        """Start a value; return it when complete (a scalar or an alias), else _PENDING."""
        path, role = self.where()
        if kind is yaml.AliasEvent:
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {quoted(event.anchor)}",
                                                  event.start_mark)
            known = self.anchors[event.anchor]
            if known is None:
                raise _Refused(line, "an alias used inside its own anchor (a recursive document); refused")
            value, size, _ = known
            self.tick(size, line)
            self.lines.setdefault(path, line)
            return self.finish(value, line, role)
        self.tick(1, line)
        self.lines.setdefault(path, line)
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                first = self.anchors[anchor]
                where = f" (first on line {first[2]})" if first else ""
                raise yaml.composer.ComposerError(None, None, f"found duplicate anchor {quoted(anchor)}{where}",
                                                  event.start_mark)
            self.anchors[anchor] = None
        if kind is yaml.ScalarEvent:
            value = self.scalar(event, line, path)
            if anchor is not None:
                self.anchors[anchor] = (value, 1, line)
            return self.finish(value, line, role)
        mapping = kind is yaml.MappingStartEvent
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP_TAG if mapping else _SEQ_TAG):
            what = "a plain mapping" if mapping else "a plain list"
            self.problem(line, f"unsupported YAML tag {quoted(tag)} (expected {what})", path)
        if len(self.stack) >= MAX_DEPTH:
            raise _Refused(line, f"the document nests more than {MAX_DEPTH} levels deep; refused")
        self.stack.append(_Frame({} if mapping else [], path, anchor, self.count - 1, line, role))
        return _PENDING

    def scalar(self, event, line: int, path: tuple) -> object:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:  # most values: no constructor needed
            return event.value
        if tag == _MERGE_TAG:
            return _MERGE
        if tag not in _ALLOWED_SCALAR_TAGS:
            self.problem(line, f"unsupported YAML tag {quoted(tag)}", path)
            return None
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self.problem(line, f"unreadable value {quoted(event.value)} ({str(exc)[:MAX_QUOTED]})", path)
            return None

    def finish(self, value: object, line: int, role: str) -> object:
        """Put a complete value into its parent; return it when it is the document itself."""
        if not self.stack:
            return value
        frame = self.stack[-1]
        if role == "key":
            self.key(frame, value, line)
            return _PENDING
        if isinstance(frame.value, list):
            frame.value.append(value)
        else:
            if frame.keep:
                frame.value[frame.key] = value
            frame.key, frame.keep = _NO_KEY, True
        return _PENDING

    def key(self, frame: _Frame, key: object, line: int) -> None:
        frame.keys += 1
        if frame.keys > MAX_KEYS:
            raise _Refused(line, f"more than {MAX_KEYS:,} keys in the mapping that starts on line {frame.line} "
                                 "(unknown fields? expected those of docs/plan-format.md); refused", frame.path)
        frame.key, frame.keep = key, False
        if key is _MERGE:
            self.problem(line, "YAML merge keys ('<<') are not supported", frame.path)
        elif isinstance(key, (dict, list)) or key is None:
            self.problem(line, f"expected a simple key, got {quoted(key)}", frame.path)
        elif key in frame.value:
            first = self.lines[frame.path + (key,)]
            self.problem(line, f"duplicate key {quoted(key)} (first on line {first})", frame.path + (key,))
        else:
            frame.keep = True
            self.lines[frame.path + (key,)] = line


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
    def __init__(self, line: int):
        self.line = line


class _Refused(Exception):
    """A document refused at once, without reading the rest (one problem)."""

    def __init__(self, line: int, message: str, path: tuple = ()):
        self.line, self.message, self.path = line, message, path


#: A key printed as is in a path; any other key is printed quoted (``sectors[0]['a b']``), so a
#: path never carries a control character or more than a few dozen characters of the input.
_PLAIN_KEY = re.compile(r"[\w.-]{1,64}")


def format_path(path: tuple) -> str:
    """Return a document path as users write it: ``sectors[1].objectives[0].id``; a key that is
    not a plain word is quoted: ``sectors[0]['\\x1b[31m']``."""
    out = ""
    for part in path:
        if part == "<key>" or part == _REFUSED:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += f"[{quoted(part)}]"
    return out


def load_yaml(path: Path, text: str | None = None,
              owner: Callable[[object, tuple], str | None] | None = None) -> LoadedYaml:
    """Return the YAML document at ``path`` (or ``text``) as plain values with line numbers.

    Raises InputError listing every problem: unreadable file, syntax error, unsupported tags,
    duplicate keys, too many values. ``owner(data, path)`` names the object a document refused
    part-way is in (``sector health``), from the part read.
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
    builder = _Builder(path)
    try:
        data = builder.run(yaml.parse(text, Loader=_LOADER))
    except yaml.reader.ReaderError as exc:
        raise InputError([_reader_problem(path, text, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(line=mark.line + 1, column=mark.column + 1) if mark else WHOLE_FILE
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputError([Problem(path, where, "", f"YAML syntax error: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(path, WHOLE_FILE, "", f"YAML syntax error: {str(exc)[:MAX_QUOTED]}")]) from None
    except _TooBig as big:
        raise InputError([Problem(path, Location(line=big.line), "",
                                  f"the document expands to more than {MAX_NODES:,} values "
                                  "(aliases repeating aliases?); refused")]) from None
    except _Refused as refused:
        name = owner(builder.root(), refused.path) if owner is not None else None
        message = f"{name}: {refused.message}" if name else refused.message
        raise InputError([Problem(path, Location(line=refused.line), format_path(refused.path), message)]) from None
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
